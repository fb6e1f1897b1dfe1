package dev.ringfence.agent.lambda;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Binds parsed JSON (what {@link dev.ringfence.agent.runtimeapi.JsonReader#parse} returns) into a
 * Lambda handler's declared input type, and writes what it returned back as JSON values, as the AWS
 * Lambda Java runtime's serialiser does for plain beans such as aws-lambda-java-events'
 * {@code APIGatewayV2HTTPEvent} and {@code APIGatewayV2HTTPResponse} — without a JSON library.
 *
 * <h2>What binds</h2>
 * <ul>
 *   <li>Beans: classes of the handler's own class loader with a public no-argument constructor,
 *       filled through public setters and public non-final fields ({@link BeanType}); JSON keys the
 *       class does not know are ignored, a property whose type is none of these kinds is left unset.</li>
 *   <li>{@code String} (a JSON number or boolean as its text), primitives and their boxes,
 *       {@code BigDecimal}, {@code BigInteger} (numbers also from their text, a fraction truncated
 *       for an integral type), {@code char}, enums by name (then ignoring case), {@code byte[]} from
 *       base64 text, arrays; {@code List}, {@code Collection}, {@code Iterable}, {@code Set} (and
 *       {@code ArrayList}, {@code HashSet}, {@code LinkedHashSet}, {@code TreeSet}) and {@code Map}s
 *       with string keys ({@code HashMap}, {@code LinkedHashMap}, {@code TreeMap}), with their
 *       declared element types; {@code Object} as {@link LambdaAdapter#fromJson} gives it. A type
 *       variable binds as its bound. JSON null is null, or zero/false for a primitive.</li>
 *   <li>A bean whose public members name a class missing from the handler's classpath (an event of
 *       aws-lambda-java-events typed with joda-time, without joda-time in the folder) is a type it
 *       does not handle: left unset as a property, refused as the handler's input.</li>
 * </ul>
 *
 * <h2>What writes</h2>
 * Null, strings, numbers, booleans as themselves; characters and enums (by name) as strings;
 * {@code byte[]} as base64 text; other arrays, {@code Iterable}s and {@code Map}s (keys as text) as
 * JSON arrays and objects; beans of the handler's class loader as objects of their public getters
 * and fields, null properties left out. Anything else is an {@link IllegalArgumentException}.
 *
 * <h2>Security</h2>
 * <ul>
 *   <li>Runs on the invocation's sandbox thread. It instantiates, sets and reads only classes of the
 *       handler's own class loader (through public members, see {@link BeanType}) and the JDK value
 *       and collection types above, which it creates itself; it never makes a JDK member accessible
 *       and never creates a class the JSON names: the declared types alone decide.</li>
 *   <li>Nesting is bounded by {@link #MAX_DEPTH}, the values of one pass by {@link #MAX_VALUES} (a
 *       self-referencing or endless result included): beyond, an {@link IllegalArgumentException}.</li>
 *   <li>What a handler's constructor, setter or getter throws is rethrown unwrapped, as if the
 *       handler had thrown it: the invocation ends as the sandbox judges it ({@code ERROR}, or the
 *       budget's outcome).</li>
 * </ul>
 * Thread-safe: the introspection cache is concurrent, each call is its own pass.
 */
final class JsonBinder {
    /** The deepest nesting bound or written. */
    static final int MAX_DEPTH = 64;
    /** The most values one bind or write visits. */
    static final int MAX_VALUES = 1 << 20;

    /** A type this binder does not handle: the property is skipped; at the top, the handler is refused. */
    static final class UnsupportedTypeException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UnsupportedTypeException(String message) {
            super(message);
        }
    }

    private final ClassLoader loader;
    private final Map<Class<?>, BeanType> beans = new ConcurrentHashMap<>();

    /** @param loader the handler's class loader: the only one whose classes are treated as beans */
    JsonBinder(ClassLoader loader) {
        this.loader = loader;
    }

    /**
     * @param type a declared type
     * @return whether {@link #bind} can produce it (a bean only with its public no-argument constructor)
     */
    boolean canBind(Type type) {
        Class<?> raw = raw(type);
        if (raw.isArray()) {
            return raw == byte[].class || canBind(raw.getComponentType());
        }
        if (scalar(raw) || raw.isEnum() || collection(raw) != null || map(raw) != null) {
            return true;
        }
        try {
            return bean(raw) && beanType(raw).constructor() != null;
        } catch (UnsupportedTypeException e) {
            return false;
        }
    }

    /**
     * @param json parsed JSON
     * @param type the declared type
     * @return the value
     * @throws IllegalArgumentException when the JSON does not fit the type, or a bound is passed
     * @throws Exception what a handler's constructor or setter threw
     */
    Object bind(Object json, Type type) throws Exception {
        return new Pass().bind(json, type, 0);
    }

    /**
     * @param value what a handler returned
     * @return values {@link dev.ringfence.agent.runtimeapi.JsonReader#write} takes
     * @throws IllegalArgumentException on a value of no JSON form, or a bound passed
     * @throws Exception what a handler's getter threw
     */
    Object write(Object value) throws Exception {
        return new Pass().write(value, 0);
    }

    private boolean bean(Class<?> c) {
        return c.getClassLoader() == loader && loader != null && !c.isArray() && !c.isPrimitive()
                && !Map.class.isAssignableFrom(c) && !Iterable.class.isAssignableFrom(c);
    }

    /** @throws UnsupportedTypeException when a class its public members name is missing from the handler's classpath */
    private BeanType beanType(Class<?> c) {
        try {
            return beans.computeIfAbsent(c, BeanType::of);
        } catch (LinkageError e) {
            throw new UnsupportedTypeException(c.getName() + " cannot be introspected: " + e);
        }
    }

    private static boolean scalar(Class<?> c) {
        return c.isPrimitive() || c == String.class || c == CharSequence.class || c == Object.class
                || c == Boolean.class || c == Character.class || c == BigDecimal.class || c == BigInteger.class
                || c == Number.class || (Number.class.isAssignableFrom(c) && c.getName().startsWith("java.lang."));
    }

    /** @return the collection to fill for a declared collection type, or null for none */
    private static Collection<Object> collection(Class<?> c) {
        if (c == List.class || c == Collection.class || c == Iterable.class || c == ArrayList.class) {
            return new ArrayList<>();
        }
        if (c == Set.class || c == LinkedHashSet.class || c == HashSet.class) {
            return new LinkedHashSet<>();
        }
        return c == SortedSet.class || c == TreeSet.class ? new TreeSet<>() : null;
    }

    /** @return the map to fill for a declared map type, or null for none */
    private static Map<Object, Object> map(Class<?> c) {
        if (c == Map.class || c == LinkedHashMap.class || c == java.util.HashMap.class) {
            return new LinkedHashMap<>();
        }
        return c == SortedMap.class || c == TreeMap.class ? new TreeMap<>() : null;
    }

    /** The class a declared type erases to. */
    static Class<?> raw(Type t) {
        if (t instanceof Class) {
            return (Class<?>) t;
        }
        if (t instanceof ParameterizedType) {
            return raw(((ParameterizedType) t).getRawType());
        }
        if (t instanceof GenericArrayType) {
            return Array.newInstance(raw(((GenericArrayType) t).getGenericComponentType()), 0).getClass();
        }
        if (t instanceof WildcardType) {
            return raw(((WildcardType) t).getUpperBounds()[0]);
        }
        if (t instanceof TypeVariable) {
            Type[] bounds = ((TypeVariable<?>) t).getBounds();
            return bounds.length == 0 ? Object.class : raw(bounds[0]);
        }
        return Object.class;
    }

    private static Type argument(Type t, int i) {
        return t instanceof ParameterizedType && ((ParameterizedType) t).getActualTypeArguments().length > i
                ? ((ParameterizedType) t).getActualTypeArguments()[i] : Object.class;
    }

    private static Type component(Type t) {
        return t instanceof GenericArrayType ? ((GenericArrayType) t).getGenericComponentType()
                : raw(t).getComponentType();
    }

    /** One bind or write: its count of values. */
    private final class Pass {
        private int values;

        private void step(int depth) {
            if (depth > MAX_DEPTH) {
                throw new IllegalArgumentException("JSON nested deeper than " + MAX_DEPTH);
            }
            if (++values > MAX_VALUES) {
                throw new IllegalArgumentException("more than " + MAX_VALUES + " JSON values");
            }
        }

        Object bind(Object json, Type type, int depth) throws Exception {
            step(depth);
            Class<?> raw = raw(type);
            if (json == null) {
                return raw.isPrimitive() ? Scalars.zero(raw) : null;
            }
            if (raw == Object.class) {
                return LambdaAdapter.fromJson(json);
            }
            if (scalar(raw)) {
                return Scalars.convert(json, raw);
            }
            if (raw.isEnum()) {
                return Scalars.enumConstant(json, raw);
            }
            if (raw == byte[].class) {
                if (!(json instanceof String)) {
                    throw new IllegalArgumentException("byte[] takes base64 text, not " + kind(json));
                }
                return Base64.getMimeDecoder().decode((String) json);
            }
            if (raw.isArray()) {
                List<?> in = list(json, raw);
                Object array = Array.newInstance(raw.getComponentType(), in.size());
                for (int i = 0; i < in.size(); i++) {
                    Array.set(array, i, bind(in.get(i), component(type), depth + 1));
                }
                return array;
            }
            Collection<Object> c = collection(raw);
            if (c != null) {
                for (Object x : list(json, raw)) {
                    c.add(bind(x, argument(type, 0), depth + 1));
                }
                return c;
            }
            Map<Object, Object> m = map(raw);
            if (m != null) {
                Class<?> key = raw(argument(type, 0));
                if (key != String.class && key != Object.class && key != CharSequence.class) {
                    throw new UnsupportedTypeException("a map with " + key.getName() + " keys");
                }
                for (Map.Entry<?, ?> e : object(json, raw).entrySet()) {
                    m.put(e.getKey(), bind(e.getValue(), argument(type, 1), depth + 1));
                }
                return m;
            }
            if (!bean(raw)) {
                throw new UnsupportedTypeException(raw.getName() + " is not a type ringfence binds JSON to");
            }
            return bindBean(object(json, raw), raw, depth);
        }

        private Object bindBean(Map<?, ?> json, Class<?> raw, int depth) throws Exception {
            BeanType b = beanType(raw);
            if (b.constructor() == null) {
                throw new UnsupportedTypeException(raw.getName() + " has no public no-argument constructor");
            }
            Object target = call(() -> b.constructor().newInstance());
            for (Map.Entry<?, ?> e : json.entrySet()) {
                BeanType.Setter s = b.setter((String) e.getKey());
                if (s == null) {
                    continue; // a key the class does not know: ignored
                }
                Object v;
                try {
                    v = bind(e.getValue(), s.type(), depth + 1);
                } catch (UnsupportedTypeException skipped) {
                    continue; // a property of a type this binder does not handle: left unset
                }
                if (s.member() instanceof Method) {
                    call(() -> ((Method) s.member()).invoke(target, v));
                } else {
                    ((Field) s.member()).set(target, v);
                }
            }
            return target;
        }

        Object write(Object v, int depth) throws Exception {
            step(depth);
            if (v == null || v instanceof String || v instanceof Boolean || v instanceof Number) {
                return v;
            }
            if (v instanceof Character) {
                return v.toString();
            }
            if (v instanceof Enum) {
                return ((Enum<?>) v).name();
            }
            if (v instanceof byte[]) {
                return Base64.getEncoder().encodeToString((byte[]) v);
            }
            if (v instanceof Map) {
                Map<String, Object> m = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    Object k = e.getKey();
                    m.put(k instanceof Enum ? ((Enum<?>) k).name() : String.valueOf(k), write(e.getValue(), depth + 1));
                }
                return m;
            }
            List<Object> l = new ArrayList<>();
            if (v instanceof Iterable) {
                for (Object x : (Iterable<?>) v) {
                    l.add(write(x, depth + 1));
                }
                return l;
            }
            if (v.getClass().isArray()) {
                for (int i = 0, n = Array.getLength(v); i < n; i++) {
                    l.add(write(Array.get(v, i), depth + 1));
                }
                return l;
            }
            if (!bean(v.getClass())) {
                throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " as JSON: return a"
                        + " bean of the handler's own classes, a Map, a List, a String, a number or a boolean");
            }
            Map<String, Object> m = new LinkedHashMap<>();
            for (BeanType.Getter g : beanType(v.getClass()).getters()) {
                Object x = g.member() instanceof Method ? call(() -> ((Method) g.member()).invoke(v))
                        : ((Field) g.member()).get(v);
                if (x != null) {
                    m.put(g.name(), write(x, depth + 1));
                }
            }
            return m;
        }
    }

    private static List<?> list(Object json, Class<?> raw) {
        if (!(json instanceof List)) {
            throw new IllegalArgumentException(raw.getSimpleName() + " takes a JSON array, not " + kind(json));
        }
        return (List<?>) json;
    }

    private static Map<?, ?> object(Object json, Class<?> raw) {
        if (!(json instanceof Map)) {
            throw new IllegalArgumentException(raw.getName() + " takes a JSON object, not " + kind(json));
        }
        return (Map<?, ?>) json;
    }

    static String kind(Object json) {
        return json instanceof Map ? "an object" : json instanceof List ? "an array" : json instanceof String ? "a string"
                : json instanceof Boolean ? "a boolean" : json == null ? "null" : "a number";
    }

    /** A reflective call into handler code. */
    private interface Reflective {
        Object call() throws ReflectiveOperationException;
    }

    /** Runs a constructor, setter or getter of the handler: what it threw comes out unwrapped. */
    private static Object call(Reflective r) throws Exception {
        try {
            return r.call();
        } catch (InvocationTargetException e) {
            throw LambdaAdapter.unwrap(e);
        }
    }
}

package dev.ringfence.agent.lambda;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.util.HashMap;
import java.util.Map;

/**
 * The type arguments a handler class gives a generic interface it implements, such as the
 * {@code I} of {@code RequestHandler<I, O>}, found by walking its generic superclasses and
 * interfaces and substituting type variables on the way ({@code class H extends Base<Order>} with
 * {@code Base<T> implements RequestHandler<T, String>} gives {@code Order}). Stateless.
 */
final class HandlerTypes {
    private static final int MAX_DEPTH = 32;

    private HandlerTypes() {
    }

    /**
     * @param c the handler class
     * @param interfaceName the generic interface's binary name
     * @param index which of its type parameters
     * @return the type argument, or null when unknown (a raw use, an unresolved type variable, a
     *     signature that does not parse or names a missing class)
     */
    static Type argument(Class<?> c, String interfaceName, int index) {
        try {
            Type t = find(c, interfaceName, index, Map.of(), 0);
            return t instanceof TypeVariable ? null : t;
        } catch (RuntimeException | LinkageError e) {
            return null; // a malformed or unresolvable generic signature: fall back on the erased type
        }
    }

    private static Type find(Type t, String name, int index, Map<TypeVariable<?>, Type> outer, int depth) {
        if (depth > MAX_DEPTH) {
            return null;
        }
        Class<?> raw;
        Map<TypeVariable<?>, Type> here = new HashMap<>();
        if (t instanceof ParameterizedType) {
            ParameterizedType p = (ParameterizedType) t;
            raw = (Class<?>) p.getRawType();
            TypeVariable<?>[] vars = raw.getTypeParameters();
            Type[] args = p.getActualTypeArguments();
            for (int i = 0; i < vars.length && i < args.length; i++) {
                Type a = args[i];
                here.put(vars[i], a instanceof TypeVariable && outer.containsKey(a) ? outer.get(a) : a);
            }
        } else if (t instanceof Class) {
            raw = (Class<?>) t;
        } else {
            return null;
        }
        if (raw.getName().equals(name)) {
            TypeVariable<?>[] vars = raw.getTypeParameters();
            return index < vars.length ? here.get(vars[index]) : null;
        }
        for (Type i : raw.getGenericInterfaces()) {
            Type found = find(i, name, index, here, depth + 1);
            if (found != null) {
                return found;
            }
        }
        Type s = raw.getGenericSuperclass();
        return s == null ? null : find(s, name, index, here, depth + 1);
    }
}

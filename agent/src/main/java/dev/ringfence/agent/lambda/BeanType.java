package dev.ringfence.agent.lambda;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link JsonBinder} knows of one POJO class of a handler: its public no-argument constructor,
 * its writable properties (public {@code setX(value)} methods, then public non-final fields) and
 * its readable ones (public {@code getX()} and boolean {@code isX()} methods, then public fields).
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Only public members are found, through {@link Class#getMethods()}, {@link Class#getFields()}
 *       and {@link Class#getConstructor}: nothing the handler's own code could not call. A member is
 *       made accessible only when its declaring class belongs to the handler's class loader (a public
 *       method inherited from a package-private class of the handler), never a JDK member.</li>
 *   <li>Property names follow the JavaBeans rule ({@code getRawPath} is {@code rawPath}, {@code getURL}
 *       is {@code URL}); {@code getIsBase64Encoded}/{@code setIsBase64Encoded}, as aws-lambda-java-events
 *       declares them, is {@code isBase64Encoded}; a boolean {@code isActive()} is {@code active}.</li>
 *   <li>A JSON key finds its setter exactly, then ignoring case, then (for a boolean property) with or
 *       without an {@code is} prefix: {@link #setter} answers null for a key it does not know, which
 *       the binder ignores.</li>
 *   <li>Immutable once built; shared between threads.</li>
 * </ul>
 */
final class BeanType {
    /** A writable property: the method or field and its generic type. */
    record Setter(Member member, Type type) {
    }

    /** A readable property: its JSON name and the method or field. */
    record Getter(String name, Member member) {
    }

    private final Constructor<?> constructor;
    private final Map<String, Setter> setters;
    private final Map<String, Setter> settersByLowerCase;
    private final List<Getter> getters;

    private BeanType(Constructor<?> constructor, Map<String, Setter> setters, List<Getter> getters) {
        this.constructor = constructor;
        this.setters = setters;
        this.getters = getters;
        Map<String, Setter> lower = new LinkedHashMap<>();
        setters.forEach((k, v) -> lower.putIfAbsent(k.toLowerCase(Locale.ROOT), v));
        this.settersByLowerCase = lower;
    }

    /**
     * Introspects a class of the handler.
     *
     * @param c the class, of the handler's class loader (the caller checks)
     * @return what is known of it; its constructor null when it has no public no-argument one
     */
    static BeanType of(Class<?> c) {
        Constructor<?> ctor = null;
        if (!c.isInterface() && !Modifier.isAbstract(c.getModifiers()) && Modifier.isPublic(c.getModifiers())) {
            try {
                ctor = c.getConstructor();
                open(c, ctor);
            } catch (NoSuchMethodException e) {
                ctor = null;
            }
        }
        Map<String, Setter> setters = new LinkedHashMap<>();
        Map<String, Getter> getters = new LinkedHashMap<>();
        for (Method m : c.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.isBridge() || m.getDeclaringClass() == Object.class) {
                continue;
            }
            String n = m.getName();
            if (m.getParameterCount() == 1 && n.length() > 3 && n.startsWith("set")) {
                open(c, m);
                setters.putIfAbsent(decapitalize(n.substring(3)), new Setter(m, m.getGenericParameterTypes()[0]));
            } else if (m.getParameterCount() == 0 && m.getReturnType() != void.class) {
                String name = n.length() > 3 && n.startsWith("get") ? decapitalize(n.substring(3))
                        : n.length() > 2 && n.startsWith("is") && m.getReturnType() == boolean.class
                        ? decapitalize(n.substring(2)) : null;
                if (name != null) {
                    open(c, m);
                    getters.putIfAbsent(name, new Getter(name, m));
                }
            }
        }
        for (Field f : c.getFields()) {
            int mod = f.getModifiers();
            if (Modifier.isStatic(mod)) {
                continue;
            }
            open(c, f);
            if (!Modifier.isFinal(mod)) {
                setters.putIfAbsent(f.getName(), new Setter(f, f.getGenericType()));
            }
            getters.putIfAbsent(f.getName(), new Getter(f.getName(), f));
        }
        return new BeanType(ctor, Collections.unmodifiableMap(setters), List.copyOf(getters.values()));
    }

    /**
     * A public member declared by a non-public class of the handler (inherited into a public one)
     * cannot be called from here without this; a member of any other loader (the JDK's) is never opened.
     */
    private static void open(Class<?> c, Member m) {
        Class<?> d = m.getDeclaringClass();
        if (!Modifier.isPublic(d.getModifiers()) && d.getClassLoader() == c.getClassLoader()
                && d.getClassLoader() != null && m instanceof java.lang.reflect.AccessibleObject) {
            ((java.lang.reflect.AccessibleObject) m).setAccessible(true);
        }
    }

    /** @return the public no-argument constructor, or null when there is none (or the class is abstract) */
    Constructor<?> constructor() {
        return constructor;
    }

    /** @return the readable properties, in the order {@link Class#getMethods()} gave them, then fields */
    List<Getter> getters() {
        return getters;
    }

    /**
     * @param key a JSON object's key
     * @return the property it sets, or null when the class has none
     */
    Setter setter(String key) {
        Setter s = lookup(key);
        if (s == null && key.length() > 2 && key.startsWith("is") && Character.isUpperCase(key.charAt(2))) {
            s = booleanOnly(lookup(decapitalize(key.substring(2)))); // "isActive" for setActive(boolean)
        } else if (s == null && !key.isEmpty()) {
            s = booleanOnly(lookup("is" + Character.toUpperCase(key.charAt(0)) + key.substring(1)));
        }
        return s;
    }

    /** The property named exactly, else ignoring case. */
    private Setter lookup(String key) {
        Setter s = setters.get(key);
        return s != null ? s : settersByLowerCase.get(key.toLowerCase(Locale.ROOT));
    }

    private static Setter booleanOnly(Setter s) {
        return s != null && (s.type() == boolean.class || s.type() == Boolean.class) ? s : null;
    }

    /** The JavaBeans rule: the first letter lower-cased unless the first two are both upper case. */
    static String decapitalize(String s) {
        if (s.isEmpty() || (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isUpperCase(s.charAt(1)))) {
            return s;
        }
        return Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}

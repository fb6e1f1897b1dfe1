package dev.ringfence.agent.gates;

/**
 * One row of the gate table: which JDK method(s) to gate, with which rule, passing which values.
 *
 * <p>Values are named by source: {@code this}, {@code p0}, {@code p1} … (parameters, counted from
 * zero), or {@code f:owner.name:descriptor} (a field of {@code this}). The object values
 * {@code a} and {@code b} must come from references, {@code n} from an {@code int}-like value
 * (for a rule that {@linkplain GateKind#reserves() reserves}: a {@code long} or {@code int}
 * parameter, or a constant written {@code k:N}).
 *
 * @param capability the capability this gate protects, as reports name it ({@code files}, {@code network} …)
 * @param kind the rule
 * @param owner the JDK class, internal name
 * @param name the method name, {@code <init>} for a constructor, or {@code *} for every public static method
 * @param desc the method descriptor, or null for every method of that name
 * @param a the source of the first object value, or null
 * @param b the source of the second object value, or null
 * @param n the source of the int value, or null
 * @param api the API named in a denial, or null to derive it from owner and method
 */
record GateSpec(String capability, GateKind kind, String owner, String name, String desc,
        String a, String b, String n, String api) {

    /**
     * Starts a row without values.
     *
     * @param capability the capability
     * @param kind the rule
     * @param owner the class, internal name
     * @param name the method name
     * @param desc the descriptor, or null for any
     * @return the row
     */
    static GateSpec of(String capability, GateKind kind, String owner, String name, String desc) {
        return new GateSpec(capability, kind, owner, name, desc, null, null, null, null);
    }

    /**
     * @param first the source of {@code a}
     * @return this row passing {@code a}
     */
    GateSpec a(String first) {
        return new GateSpec(capability, kind, owner, name, desc, first, b, n, api);
    }

    /**
     * @param first the source of {@code a}
     * @param second the source of {@code b}
     * @return this row passing {@code a} and {@code b}
     */
    GateSpec ab(String first, String second) {
        return new GateSpec(capability, kind, owner, name, desc, first, second, n, api);
    }

    /**
     * @param first the source of {@code a}
     * @param number the source of {@code n}
     * @return this row passing {@code a} and {@code n}
     */
    GateSpec an(String first, String number) {
        return new GateSpec(capability, kind, owner, name, desc, first, b, number, api);
    }

    /**
     * @param number the source of {@code n}
     * @return this row passing {@code n}
     */
    GateSpec n(String number) {
        return new GateSpec(capability, kind, owner, name, desc, a, b, number, api);
    }

    /**
     * @param named the API to name in denials
     * @return this row with that name
     */
    GateSpec api(String named) {
        return new GateSpec(capability, kind, owner, name, desc, a, b, n, named);
    }

    /**
     * Whether this row gates a method.
     *
     * @param methodName the method's name
     * @param methodDesc its descriptor
     * @param access its access flags
     * @return true if it matches
     */
    boolean matches(String methodName, String methodDesc, int access) {
        if (name.equals("*")) {
            int publicStatic = java.lang.reflect.Modifier.PUBLIC | java.lang.reflect.Modifier.STATIC;
            return (access & publicStatic) == publicStatic && !methodName.startsWith("<");
        }
        return name.equals(methodName) && (desc == null || desc.equals(methodDesc));
    }

    /**
     * The API a denial at one method names.
     *
     * @param methodName the gated method
     * @return {@link #api} if set, else the owner's binary name and the method, as a user would search for it
     */
    String apiFor(String methodName) {
        if (api != null) {
            return api;
        }
        String type = owner.replace('/', '.').replace('$', '.');
        return methodName.equals("<init>") ? type : type + "." + methodName;
    }
}

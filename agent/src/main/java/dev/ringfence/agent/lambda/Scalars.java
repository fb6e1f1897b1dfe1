package dev.ringfence.agent.lambda;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;

/**
 * JSON scalars (strings, {@link BigDecimal} numbers, booleans) converted to the JDK value types a
 * bean property declares, leniently as Jackson's defaults do: a number or boolean to a {@code
 * String} as its text, a number from its text, a fraction truncated for an integral type, a boolean
 * from {@code "true"}/{@code "false"} or a number (non-zero is true). A value out of the type's range,
 * or of a kind that does not fit (an object for a number), is an {@link IllegalArgumentException}.
 * Stateless and thread-safe.
 */
final class Scalars {
    private static final Map<Class<?>, Object> ZEROS = Map.of(boolean.class, false, char.class, '\0', byte.class,
            (byte) 0, short.class, (short) 0, int.class, 0, long.class, 0L, float.class, 0f, double.class, 0d);

    private Scalars() {
    }

    /**
     * @param primitive a primitive type
     * @return its zero, what JSON null binds to
     */
    static Object zero(Class<?> primitive) {
        return ZEROS.get(primitive);
    }

    /**
     * @param json a parsed JSON value, not null
     * @param type a scalar type: a primitive, a box, {@code String}, {@code CharSequence},
     *     {@code BigDecimal}, {@code BigInteger} or {@code Number}
     * @return the value
     */
    static Object convert(Object json, Class<?> type) {
        if (type == String.class || type == CharSequence.class) {
            if (json instanceof String || json instanceof Boolean) {
                return json.toString();
            }
            if (json instanceof BigDecimal) {
                return ((BigDecimal) json).toString();
            }
            throw mismatch(json, type);
        }
        if (type == boolean.class || type == Boolean.class) {
            if (json instanceof Boolean) {
                return json;
            }
            if (json instanceof String && (json.equals("true") || json.equals("false"))) {
                return Boolean.valueOf((String) json);
            }
            if (json instanceof BigDecimal) {
                return ((BigDecimal) json).signum() != 0;
            }
            throw mismatch(json, type);
        }
        if (type == char.class || type == Character.class) {
            if (json instanceof String && ((String) json).length() == 1) {
                return ((String) json).charAt(0);
            }
            throw mismatch(json, type);
        }
        return number(number(json, type), type);
    }

    private static BigDecimal number(Object json, Class<?> type) {
        if (json instanceof BigDecimal) {
            return (BigDecimal) json;
        }
        if (json instanceof String) {
            try {
                return new BigDecimal(((String) json).trim());
            } catch (NumberFormatException e) {
                throw mismatch(json, type);
            }
        }
        throw mismatch(json, type);
    }

    private static Object number(BigDecimal d, Class<?> type) {
        try {
            if (type == int.class || type == Integer.class) {
                return integral(d).intValueExact();
            }
            if (type == long.class || type == Long.class) {
                return integral(d).longValueExact();
            }
            if (type == short.class || type == Short.class) {
                return integral(d).shortValueExact();
            }
            if (type == byte.class || type == Byte.class) {
                return integral(d).byteValueExact();
            }
            if (type == BigInteger.class) {
                if (d.precision() - d.scale() > 1000) {
                    throw new IllegalArgumentException("an integer of more than 1000 digits");
                }
                return integral(d).toBigIntegerExact();
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(d + " is out of range for " + type.getSimpleName());
        }
        if (type == double.class || type == Double.class) {
            return d.doubleValue();
        }
        if (type == float.class || type == Float.class) {
            return d.floatValue();
        }
        if (type == BigDecimal.class) {
            return d;
        }
        if (type == Number.class) {
            return LambdaAdapter.fromJson(d);
        }
        throw new JsonBinder.UnsupportedTypeException(type.getName() + " is not a type ringfence binds JSON to");
    }

    /** Rounds toward zero, as Jackson accepts a fraction for an integral type. */
    private static BigDecimal integral(BigDecimal d) {
        if (d.precision() - d.scale() > 1000) {
            throw new ArithmeticException("too large");
        }
        return d.setScale(0, RoundingMode.DOWN);
    }

    /**
     * @param json a parsed JSON value
     * @param type an enum type
     * @return its constant of that name, exactly or else ignoring case
     */
    static Object enumConstant(Object json, Class<?> type) {
        if (!(json instanceof String)) {
            throw mismatch(json, type);
        }
        Object[] constants = type.getEnumConstants();
        for (Object c : constants) {
            if (((Enum<?>) c).name().equals(json)) {
                return c;
            }
        }
        for (Object c : constants) {
            if (((Enum<?>) c).name().toLowerCase(Locale.ROOT).equals(((String) json).toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        throw new IllegalArgumentException(type.getName() + " has no constant " + json);
    }

    private static IllegalArgumentException mismatch(Object json, Class<?> type) {
        return new IllegalArgumentException(type.getSimpleName() + " cannot be bound from " + JsonBinder.kind(json));
    }
}

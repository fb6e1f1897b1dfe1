package dev.ringfence.agent.cli;

import dev.ringfence.agent.log.JsonText;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes one flat JSON object per line. Values are strings, numbers, booleans or null. */
final class Json {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    Json put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            quote(sb, e.getKey());
            sb.append(':');
            Object v = e.getValue();
            if (v == null) {
                sb.append("null");
            } else if (v instanceof Number || v instanceof Boolean) {
                sb.append(v);
            } else {
                quote(sb, v.toString());
            }
        }
        return sb.append('}').toString();
    }

    static void quote(StringBuilder sb, String s) {
        JsonText.quote(sb, s);
    }
}

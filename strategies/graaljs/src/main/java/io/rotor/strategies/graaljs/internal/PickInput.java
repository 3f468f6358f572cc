package io.rotor.strategies.graaljs.internal;

import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import java.util.List;

/**
 * The script's arguments as one JSON text, which the harness parses into frozen plain objects
 * inside the context: one string crosses into the sandbox instead of host objects, so nothing
 * the script touches leads back to Java.
 */
final class PickInput {

    private PickInput() {
    }

    /** {@code {"accounts": [...], "request": {...}}} with the fields of DESIGN §7. */
    static String json(List<Candidate> candidates, PickRequest request) {
        StringBuilder json = new StringBuilder(64 + 256 * candidates.size());
        json.append("{\"accounts\":[");
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            if (i > 0) {
                json.append(',');
            }
            json.append("{\"id\":");
            string(json, c.id());
            json.append(",\"upstream\":");
            string(json, c.upstream());
            json.append(",\"priority\":").append(c.priority());
            json.append(",\"weight\":").append(c.weight());
            json.append(",\"tags\":[");
            for (int t = 0; t < c.tags().size(); t++) {
                if (t > 0) {
                    json.append(',');
                }
                string(json, c.tags().get(t));
            }
            json.append("],\"status\":");
            string(json, c.status() == null ? null : c.status().wireName());
            json.append(",\"requestsThisWindow\":").append(c.requestsThisWindow());
            json.append(",\"totalRequests\":").append(c.totalRequests());
            json.append(",\"lastUsed\":").append(c.lastUsed());
            json.append(",\"inFlight\":").append(c.inFlight());
            json.append(",\"maxConcurrent\":").append(c.maxConcurrent());
            // The engine's moving average of upstream latency; null until the account has served a request.
            json.append(",\"latencyMs\":");
            double latency = c.latencyMs();
            if (Double.isFinite(latency)) {
                json.append(Math.round(latency * 1000) / 1000.0);
            } else {
                json.append("null");
            }
            json.append('}');
        }
        json.append("],\"request\":{\"model\":");
        string(json, request.model());
        json.append(",\"user\":");
        string(json, request.user());
        json.append(",\"pool\":");
        string(json, request.pool());
        json.append(",\"attempt\":").append(request.attempt());
        return json.append("}}").toString();
    }

    private static void string(StringBuilder json, String value) {
        if (value == null) {
            json.append("null");
            return;
        }
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        json.append(String.format("\\u%04x", (int) ch));
                    } else {
                        json.append(ch);
                    }
                }
            }
        }
        json.append('"');
    }
}

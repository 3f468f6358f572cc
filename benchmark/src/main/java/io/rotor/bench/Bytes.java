package io.rotor.bench;

import java.nio.charset.StandardCharsets;

/** Byte-level helpers for the HTTP/1.1 reading on both sides of the benchmark. */
final class Bytes {

    static final byte[] CRLFCRLF = {'\r', '\n', '\r', '\n'};
    static final byte[] CRLF = {'\r', '\n'};
    static final byte[] MODEL_FIELD = "\"model\"".getBytes(StandardCharsets.US_ASCII);

    private Bytes() {
    }

    /** Index of {@code pattern} in {@code buffer[from, to)}, or -1. */
    static int indexOf(byte[] buffer, int from, int to, byte[] pattern) {
        int last = to - pattern.length;
        outer:
        for (int i = from; i <= last; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (buffer[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * The value of a header in the head {@code buffer[from, to)} as a number, or {@code fallback}.
     * {@code name} is lower case; header names are matched without regard to case.
     */
    static long headerValueLong(byte[] buffer, int from, int to, String name, long fallback) {
        int at = headerValueStart(buffer, from, to, name);
        if (at < 0) {
            return fallback;
        }
        long value = 0;
        boolean any = false;
        for (int i = at; i < to && buffer[i] >= '0' && buffer[i] <= '9'; i++) {
            value = value * 10 + (buffer[i] - '0');
            any = true;
        }
        return any ? value : fallback;
    }

    /** True if the head has the header with a value starting with {@code value} (both lower case). */
    static boolean headerHas(byte[] buffer, int from, int to, String name, String value) {
        int at = headerValueStart(buffer, from, to, name);
        if (at < 0 || to - at < value.length()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.toLowerCase(buffer[at + i]) != value.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int headerValueStart(byte[] buffer, int from, int to, String name) {
        int line = from;
        while (line < to) {
            int lineEnd = indexOf(buffer, line, to, CRLF);
            if (lineEnd < 0) {
                lineEnd = to;
            }
            if (lineEnd - line > name.length() && buffer[line + name.length()] == ':' && matches(buffer, line, name)) {
                int at = line + name.length() + 1;
                while (at < lineEnd && buffer[at] == ' ') {
                    at++;
                }
                return at;
            }
            line = lineEnd + 2;
        }
        return -1;
    }

    private static boolean matches(byte[] buffer, int at, String lowerName) {
        for (int i = 0; i < lowerName.length(); i++) {
            if (Character.toLowerCase(buffer[at + i]) != lowerName.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}

package io.rotor.plugins.support;

import io.rotor.api.Upstream;
import java.io.IOException;
import java.net.URI;

/** Reads an upstream's configured properties ({@code upstream.NAME.*}) with the adapter's defaults. */
public final class BaseUrls {

    private BaseUrls() {
    }

    /** The upstream's {@code baseUrl}, or {@code fallback} when it declares none; without a trailing slash. */
    public static String base(Upstream upstream, String fallback) {
        String value = upstream.baseUrl() == null || upstream.baseUrl().isBlank() ? null : upstream.baseUrl();
        return withoutTrailingSlash(value != null ? value : property(upstream, "baseUrl", fallback));
    }

    /** A URL-valued property, or {@code fallback}; without a trailing slash. */
    public static String url(Upstream upstream, String key, String fallback) {
        return withoutTrailingSlash(property(upstream, key, fallback));
    }

    /** The upstream property {@code key}, or {@code fallback} when unset or blank; trimmed. */
    public static String property(Upstream upstream, String key, String fallback) {
        String value = upstream.properties().get(key);
        return value == null || value.isBlank() ? fallback : value.strip();
    }

    /** {@code base + path} as a URI. */
    public static URI uri(Upstream upstream, String base, String path) throws IOException {
        try {
            return URI.create(base + path);
        } catch (IllegalArgumentException e) {
            throw new IOException("upstream " + upstream.name() + " has a malformed URL: " + e.getMessage(), e);
        }
    }

    private static String withoutTrailingSlash(String value) {
        if (value == null) {
            return null;
        }
        String trimmed = value.strip();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        return trimmed;
    }
}

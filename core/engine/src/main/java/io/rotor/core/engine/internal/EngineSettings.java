package io.rotor.core.engine.internal;

import io.rotor.api.Pool;
import io.rotor.api.Upstream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The engine's view of the configuration (PID {@code rotor}): rotation defaults and the declared
 * upstreams. Keys and defaults are DESIGN §3's.
 */
record EngineSettings(String strategy, int perAccount, long windowMs, long cooldownMs, int maxRetries,
        boolean autoValidateOnAdd, int maxPerUser, Map<String, Upstream> upstreams, long retryBackoffMs) {

    static final String DEFAULT_STRATEGY = "round-robin";

    /** Upstreams every installation knows without configuration; a declared one of the same name wins. */
    private static final Map<String, Map<String, String>> BUILT_IN_UPSTREAMS = Map.of(
            "openai", Map.of("type", "openai", "baseUrl", "https://api.openai.com/v1", "models", "*"),
            "k2think", Map.of("type", "k2think", "baseUrl", "https://www.k2think.ai",
                    "models", "MBZUAI-IFM/K2-Think-v2"),
            "gemini-code-assist", Map.of("type", "gemini-code-assist", "baseUrl", "https://cloudcode-pa.googleapis.com",
                    "tokenUrl", "https://oauth2.googleapis.com/token",
                    "models", "gemini-2.5-pro,gemini-2.5-flash,gemini-2.5-flash-lite,gemini-3-pro-preview,"
                            + "gemini-3-flash-preview"));

    static EngineSettings from(Map<String, ?> config) {
        Map<String, Map<String, String>> declared = new TreeMap<>();
        BUILT_IN_UPSTREAMS.forEach((name, props) -> declared.put(name, new LinkedHashMap<>(props)));
        Map<String, Map<String, String>> configured = new TreeMap<>();
        for (Map.Entry<String, ?> entry : config.entrySet()) {
            String key = entry.getKey();
            if (!key.startsWith("upstream.") || entry.getValue() == null) {
                continue;
            }
            String rest = key.substring("upstream.".length());
            int dot = rest.indexOf('.');
            if (dot <= 0) {
                continue; // upstream-wide client settings such as upstream.readTimeoutMs
            }
            configured.computeIfAbsent(rest.substring(0, dot), n -> new LinkedHashMap<>())
                    .put(rest.substring(dot + 1), String.valueOf(entry.getValue()));
        }
        // A declared upstream overrides the built-in one of the same name key by key.
        configured.forEach((name, props) -> declared.computeIfAbsent(name, n -> new LinkedHashMap<>()).putAll(props));
        Map<String, Upstream> upstreams = new LinkedHashMap<>();
        declared.forEach((name, props) -> upstreams.put(name, toUpstream(name, props)));
        return new EngineSettings(
                text(config, "rotation.strategy", DEFAULT_STRATEGY),
                (int) number(config, "rateLimit.perAccount", 10),
                number(config, "rateLimit.windowMs", 60_000),
                number(config, "rateLimit.cooldownMs", 30_000),
                (int) number(config, "retry.max", 3),
                Boolean.parseBoolean(text(config, "accounts.autoValidateOnAdd", "true")),
                (int) number(config, "accounts.maxPerUser", 10),
                Map.copyOf(upstreams),
                Math.min(number(config, "retry.backoffMs", RetryPolicy.DEFAULT_BACKOFF_MS), RetryPolicy.MAX_BACKOFF_MS));
    }

    private static Upstream toUpstream(String name, Map<String, String> props) {
        String type = props.getOrDefault("type", name);
        String models = props.getOrDefault("models", "*");
        List<String> modelList = Arrays.stream(models.split(",")).map(String::trim).filter(m -> !m.isEmpty()).toList();
        return new Upstream(name, type, props.getOrDefault("baseUrl", ""), modelList.isEmpty() ? List.of("*") : modelList,
                props);
    }

    /** Resolves a pool's effective policy: its stored overrides over these defaults. */
    PoolPolicy policyFor(Pool pool) {
        return new PoolPolicy(pool.name(),
                pool.strategy() != null ? pool.strategy() : strategy,
                pool.perAccount() != null ? pool.perAccount() : perAccount,
                pool.windowMs() != null ? pool.windowMs() : windowMs,
                pool.cooldownMs() != null ? pool.cooldownMs() : cooldownMs,
                pool.maxRetries() != null ? pool.maxRetries() : maxRetries);
    }

    private static String text(Map<String, ?> config, String key, String fallback) {
        Object value = config.get(key);
        return value == null || String.valueOf(value).isBlank() ? fallback : String.valueOf(value).trim();
    }

    private static long number(Map<String, ?> config, String key, long fallback) {
        Object value = config.get(key);
        if (value == null || String.valueOf(value).isBlank()) {
            return fallback;
        }
        try {
            long parsed = Long.parseLong(String.valueOf(value).trim());
            if (parsed < 0) {
                throw new IllegalArgumentException(key + " must not be negative, got " + parsed);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + value + "'");
        }
    }
}

package io.rotor.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.configuration2.PropertiesConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.io.FileHandler;

/**
 * The settings of one Rotor run: {@code rotor.properties} (Commons Configuration, with
 * {@code ${env:NAME}} interpolation) over the defaults of DESIGN §3. Secrets are kept apart
 * from the rest, because the rest goes to Configuration Admin, which persists what it gets.
 */
public final class RotorConfig {

    public static final String DEFAULT_FILE = "rotor.properties";
    /** The values of {@code store}: each names a store bundle {@code io.rotor.storage.NAME}. */
    public static final List<String> STORES = List.of("json", "sqlite");

    private static final Map<String, String> DEFAULTS = defaults();
    /** Keys holding paths, resolved against the config file's folder so every working directory agrees. */
    private static final Set<String> PATH_KEYS = Set.of("store.json.path", "store.sqlite.path",
            "security.encryptionKeyFile", "plugins.dir");
    private static final Map<String, String> SECRET_KEYS = Map.of(
            "security.masterKey", "ROTOR_MASTER_KEY",
            "security.encryptionKey", "ACCOUNT_ENCRYPTION_KEY");

    private final Map<String, String> settings;
    private final Map<String, String> secrets;
    private final Path source;
    private final Set<String> explicitKeys;

    private RotorConfig(Map<String, String> settings, Map<String, String> secrets, Path source,
            Set<String> explicitKeys) {
        this.settings = Map.copyOf(settings);
        this.secrets = Map.copyOf(secrets);
        this.source = source;
        this.explicitKeys = Set.copyOf(explicitKeys);
    }

    /**
     * Loads the config file, or only the defaults when {@code file} is null and there is no
     * {@code rotor.properties} in the working directory.
     *
     * @throws IllegalArgumentException if an explicitly named file is missing or unreadable
     */
    public static RotorConfig load(Path file) {
        return load(file, Map.of());
    }

    /** As {@link #load(Path)}, with {@code overrides} applied last (used by {@code demo} and tests). */
    public static RotorConfig load(Path file, Map<String, String> overrides) {
        Path chosen = file;
        if (chosen == null && Files.isRegularFile(Path.of(DEFAULT_FILE))) {
            chosen = Path.of(DEFAULT_FILE);
        }
        return build(chosen, overrides);
    }

    /**
     * The given settings (the keys of {@code rotor.properties}, {@code ${env:NAME}} interpolated) over the
     * defaults, without reading any file; relative paths are resolved against the working directory.
     *
     * @throws IllegalArgumentException for a bad {@code store} or {@code security.encryptionKey}
     */
    public static RotorConfig of(Map<String, String> properties) {
        PropertiesConfiguration config = new PropertiesConfiguration();
        properties.forEach(config::setProperty);
        return build(null, values(config));
    }

    private static RotorConfig build(Path chosen, Map<String, String> overrides) {
        Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
        Set<String> explicit = new HashSet<>(overrides.keySet());
        Path base = Path.of("").toAbsolutePath();
        if (chosen != null) {
            if (!Files.isRegularFile(chosen)) {
                throw new IllegalArgumentException("config file not found: " + chosen.toAbsolutePath());
            }
            chosen = chosen.toAbsolutePath();
            base = chosen.getParent();
            Map<String, String> fromFile = read(chosen);
            explicit.addAll(fromFile.keySet());
            values.putAll(fromFile);
        }
        values.putAll(overrides);
        Map<String, String> secrets = new LinkedHashMap<>();
        SECRET_KEYS.forEach((key, env) -> {
            String value = values.remove(key);
            if (value == null || value.isBlank() || value.contains("${")) {
                value = System.getenv(env);
            }
            if (value != null && !value.isBlank()) {
                secrets.put(key, value.trim());
            }
        });
        for (Iterator<Map.Entry<String, String>> it = values.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, String> entry = it.next();
            if (isUpstreamSecret(entry.getKey())) {
                it.remove();
                if (entry.getValue() != null && !entry.getValue().isBlank()) {
                    secrets.put(entry.getKey(), entry.getValue().trim());
                }
            }
        }
        String encryptionKey = secrets.get("security.encryptionKey");
        if (encryptionKey != null && !encryptionKey.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("security.encryptionKey (or ACCOUNT_ENCRYPTION_KEY) must be 64 hex"
                    + " characters (32 bytes)");
        }
        String store = values.get("store") == null ? "" : values.get("store").trim().toLowerCase(Locale.ROOT);
        values.put("store", store);
        if (!STORES.contains(store)) {
            throw new IllegalArgumentException("store must be one of " + String.join(", ", STORES) + ", got '"
                    + store + "'");
        }
        for (String key : PATH_KEYS) {
            String value = values.get(key);
            if (value != null && !value.isBlank()) {
                values.put(key, base.resolve(value).normalize().toString());
            }
        }
        return new RotorConfig(values, secrets, chosen, explicit);
    }

    private static Map<String, String> read(Path file) {
        PropertiesConfiguration config = new PropertiesConfiguration();
        try {
            new FileHandler(config).load(file.toFile());
        } catch (ConfigurationException e) {
            throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        return values(config);
    }

    private static Map<String, String> values(PropertiesConfiguration config) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Iterator<String> keys = config.getKeys(); keys.hasNext(); ) {
            String key = keys.next();
            // getString interpolates ${env:…}; lists (a,b) are kept as written.
            String[] parts = config.getStringArray(key);
            values.put(key, parts.length <= 1 ? config.getString(key) : String.join(",", parts));
        }
        return values;
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("server.host", "127.0.0.1");
        d.put("server.port", "8787");
        d.put("store", "json");
        d.put("store.json.path", "data/accounts.json");
        d.put("store.sqlite.path", "data/rotor.db");
        d.put("security.encryptionKeyFile", "data/.encryption_key");
        d.put("rotation.strategy", "round-robin");
        d.put("rateLimit.perAccount", "10");
        d.put("rateLimit.windowMs", "60000");
        d.put("rateLimit.cooldownMs", "30000");
        d.put("retry.max", "3");
        d.put("accounts.autoValidateOnAdd", "true");
        d.put("accounts.maxPerUser", "10");
        d.put("plugins.dir", "plugins");
        return d;
    }

    /** Returns every non-secret setting, paths absolute. */
    public Map<String, String> settings() {
        return settings;
    }

    public String get(String key) {
        return settings.get(key);
    }

    /** Returns the configured store: {@code json} or {@code sqlite}. */
    public String store() {
        return settings.get("store");
    }

    /** Returns the absolute path of a store's file ({@code store.json.path}, {@code store.sqlite.path}). */
    public Path storePath(String store) {
        return Path.of(settings.get("store." + store + ".path"));
    }

    /** Returns the secret setting ({@code security.masterKey}, {@code security.encryptionKey}) or null. */
    String secret(String key) {
        return secrets.get(key);
    }

    /** The secret settings of upstreams ({@code upstream.NAME.clientSecret}), by key. */
    Map<String, String> upstreamSecrets() {
        Map<String, String> upstream = new LinkedHashMap<>();
        secrets.forEach((key, value) -> {
            if (isUpstreamSecret(key)) {
                upstream.put(key, value);
            }
        });
        return upstream;
    }

    /** An OAuth client secret an operator configured for an upstream is as secret as the master key. */
    private static boolean isUpstreamSecret(String key) {
        return key.startsWith("upstream.") && key.endsWith(".clientSecret");
    }

    /** True if {@code key} was set in the config file or by an override, not only by a default. */
    public boolean isExplicit(String key) {
        return explicitKeys.contains(key);
    }

    /** The config file read, or null when only defaults apply. */
    public Path source() {
        return source;
    }
}

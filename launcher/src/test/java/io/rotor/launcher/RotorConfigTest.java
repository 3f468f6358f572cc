package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rotor.properties over the defaults of DESIGN §3, with {@code ${env:…}} interpolation. */
class RotorConfigTest {

    @TempDir
    Path dir;

    private RotorConfig load(String text) throws IOException {
        Path file = dir.resolve("rotor.properties");
        Files.writeString(file, text);
        return RotorConfig.load(file);
    }

    @Test
    void anEmptyFileGivesTheDesignsDefaults() throws IOException {
        RotorConfig config = load("");
        Map<String, String> expected = Map.ofEntries(
                Map.entry("server.host", "127.0.0.1"), Map.entry("server.port", "8787"), Map.entry("store", "json"),
                Map.entry("rotation.strategy", "round-robin"), Map.entry("rateLimit.perAccount", "10"),
                Map.entry("rateLimit.windowMs", "60000"), Map.entry("rateLimit.cooldownMs", "30000"),
                Map.entry("retry.max", "3"), Map.entry("accounts.autoValidateOnAdd", "true"),
                Map.entry("accounts.maxPerUser", "10"));
        expected.forEach((key, value) -> assertEquals(value, config.get(key), key));
        assertEquals(dir.resolve("data/accounts.json"), config.storePath("json"), "paths are relative to the file");
        assertEquals(dir.resolve("data/rotor.db"), config.storePath("sqlite"));
        assertEquals(dir.resolve("plugins").toString(), config.get("plugins.dir"));
        assertFalse(config.isExplicit("store"));
    }

    @Test
    void fileValuesOverrideDefaultsAndAreExplicit() throws IOException {
        RotorConfig config = load("store = SQLite\nrateLimit.perAccount = 0\nstore.sqlite.path = /var/lib/rotor/r.db\n");
        assertEquals("sqlite", config.store());
        assertEquals("0", config.get("rateLimit.perAccount"));
        assertEquals(Path.of("/var/lib/rotor/r.db"), config.storePath("sqlite"));
        assertTrue(config.isExplicit("store"));
    }

    @Test
    void envReferencesAreInterpolated() throws IOException {
        String home = System.getenv("HOME");
        assumeTrue(home != null && home.startsWith("/"), "needs HOME set to an absolute path");
        RotorConfig config = load("plugins.dir = ${env:HOME}/rotor-plugins\n");
        assertEquals(Path.of(home, "rotor-plugins").normalize().toString(), config.get("plugins.dir"));
    }

    @Test
    void secretsAreKeptApartFromTheSettingsThatGoToConfigurationAdmin() throws IOException {
        String key = "ab".repeat(32);
        RotorConfig config = load("security.masterKey = m-secret-123\nsecurity.encryptionKey = " + key + "\n");
        assertEquals("m-secret-123", config.secret("security.masterKey"));
        assertEquals(key, config.secret("security.encryptionKey"));
        assertFalse(config.settings().containsKey("security.masterKey"));
        assertFalse(config.settings().containsValue("m-secret-123"));
        assertFalse(config.settings().containsValue(key));
    }

    @Test
    void anUnsetEnvReferenceForASecretMeansNoSecret() throws IOException {
        assumeTrue(System.getenv("ROTOR_MASTER_KEY") == null, "ROTOR_MASTER_KEY is set in this environment");
        RotorConfig config = load("security.masterKey = ${env:ROTOR_MASTER_KEY}\n");
        assertNull(config.secret("security.masterKey"), "then one is generated on first start");
    }

    @Test
    void badValuesAreRefusedWithAClearMessage() {
        IllegalArgumentException store = assertThrows(IllegalArgumentException.class, () -> load("store = mongo\n"));
        assertTrue(store.getMessage().contains("store must be one of json, sqlite"), store.getMessage());
        IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
                () -> load("security.encryptionKey = 1234\n"));
        assertTrue(key.getMessage().contains("64 hex"), key.getMessage());
        assertFalse(key.getMessage().contains("1234"), "the bad key is not echoed");
        assertThrows(IllegalArgumentException.class, () -> RotorConfig.load(dir.resolve("missing.properties")));
    }
}

package io.rotor.storage.json.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import io.rotor.api.StoreSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON store's loader, given any file content. It loads, or refuses with {@code store_error} without
 * quoting the file's secrets; what it loads survives a write: a store that then records one setting reads
 * back the same accounts, users and pools.
 */
class JsonStoreLoaderFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempDirectory("rotor-fuzz-json").resolve("accounts.json");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void loadsOrRefusesAndWhatLoadsSurvivesAWrite(byte[] content) throws IOException {
        Files.write(FILE, content);
        StoreSnapshot loaded;
        try {
            loaded = new JsonAccountStore(FILE).snapshot();
        } catch (RotorException refused) {
            assertEquals(ErrorCode.STORE_ERROR, refused.code(), refused::getMessage);
            for (String secret : secrets(content)) {
                assertFalse(String.valueOf(refused.getMessage()).contains(secret), "the refusal quotes a secret");
            }
            return;
        }
        new JsonAccountStore(FILE).putSetting("fuzzWrite", "1");
        StoreSnapshot reread = new JsonAccountStore(FILE).snapshot();
        assertEquals(loaded.accounts(), reread.accounts());
        assertEquals(loaded.users(), reread.users());
        assertEquals(loaded.pools(), reread.pools());
        Map<String, String> settings = new HashMap<>(loaded.settings());
        settings.put("fuzzWrite", "1");
        assertEquals(settings, reread.settings());
    }

    /** The values of the secret fields in the content, where it parses as JSON at all. */
    private static List<String> secrets(byte[] content) {
        JsonNode root;
        try {
            root = JSON.readTree(content);
        } catch (IOException notJson) {
            return List.of();
        }
        List<String> secrets = new ArrayList<>();
        for (String field : List.of("password", "apiKey", "credential")) {
            for (JsonNode value : root == null ? List.<JsonNode>of() : root.findValues(field)) {
                if (value.isTextual() && value.asText().length() >= 8) {
                    secrets.add(value.asText());
                }
            }
        }
        return secrets;
    }
}

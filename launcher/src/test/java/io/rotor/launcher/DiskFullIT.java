package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.store.contract.SmallDisk;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server on a store whose disk fills up: admin writes fail in the contract's shape, serving goes on. */
class DiskFullIT {

    @TempDir
    Path dir;

    @Test
    void onAFullDiskAnAdminWriteFailsWithA500InTheContractsShapeAndTheServerGoesOnServing() throws Exception {
        try (FakeOpenAi upstream = new FakeOpenAi(); SmallDisk disk = SmallDisk.mount(dir.resolve("disk"), 4L << 20)) {
            upstream.key("sk-a", FakeOpenAi.KeyRule.unlimited());
            Path storeFile = disk.path().resolve("accounts.json");
            try (RotorHarness server = new RotorHarness(dir, Map.of("store.json.path", storeFile.toString(),
                    "upstream.fake.type", "openai", "upstream.fake.baseUrl", upstream.baseUrl(),
                    "upstream.fake.models", "*", "rateLimit.perAccount", "0")).start()) {
                String accountId = server.addApiKeyAccount("fake", "sk-a", "a").id();
                String user = server.addUser("u");
                byte[] before = Files.readAllBytes(storeFile);
                disk.fill();
                String body = "{\"upstream\":\"fake\",\"apiKey\":\"sk-new-secret\",\"name\":\"n\",\"validate\":false}";

                HttpResponse<String> refused = server.post("/admin/accounts", RotorHarness.MASTER_KEY, body);

                assertEquals(500, refused.statusCode(), refused.body());
                JsonNode error = RotorHarness.json(refused.body()).get("error");
                assertEquals("store_error", error.get("code").asText());
                assertEquals("server_error", error.get("type").asText());
                assertTrue(error.get("message").asText().contains(storeFile.toString()), refused.body());
                assertTrue(error.get("message").asText().contains("No space left on device"), refused.body());
                assertFalse(refused.body().contains("sk-new-secret"));
                HttpResponse<String> listed = server.get("/admin/accounts", RotorHarness.MASTER_KEY);
                assertEquals(200, listed.statusCode());
                assertEquals(1, RotorHarness.json(listed.body()).get("data").size());
                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> served = server.chat(user, "m", false);
                    assertEquals(200, served.statusCode(), served.body());
                    assertEquals(accountId, served.headers().firstValue("X-Rotor-Account").orElseThrow());
                }
                assertArrayEquals(before, Files.readAllBytes(storeFile), "the old file is intact");

                disk.free();
                assertEquals(201, server.post("/admin/accounts", RotorHarness.MASTER_KEY, body).statusCode());
            }
        }
    }
}

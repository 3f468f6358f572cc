package io.rotor.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rotor.api.Account;
import io.rotor.api.Admin;
import io.rotor.api.CreatedUser;
import io.rotor.api.InboundServer;
import io.rotor.api.NewAccount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Boots the real launcher (Felix and the real bundles) on a temporary store and talks HTTP to it. */
final class RotorHarness implements AutoCloseable {

    static final String ENCRYPTION_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    static final String MASTER_KEY = "test-master-key-0123456789";
    static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final Path configFile;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private RotorRuntime runtime;

    RotorHarness(Path dir, Map<String, String> settings) {
        this.dir = dir;
        this.configFile = dir.resolve("rotor.properties");
        properties.put("server.port", "0");
        properties.put("store.json.path", "data/accounts.json");
        properties.put("security.encryptionKey", ENCRYPTION_KEY);
        properties.put("security.masterKey", MASTER_KEY);
        properties.put("accounts.autoValidateOnAdd", "false");
        properties.putAll(settings);
        writeConfig();
    }

    private void writeConfig() {
        StringBuilder text = new StringBuilder();
        properties.forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
        try {
            Files.writeString(configFile, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RotorHarness start() {
        runtime = RotorRuntime.start(RotorConfig.load(configFile), RotorRuntime.Mode.SERVE);
        return this;
    }

    void stop() {
        if (runtime != null) {
            runtime.close();
            runtime = null;
        }
    }

    RotorRuntime runtime() {
        return runtime;
    }

    Admin admin() {
        return runtime.await(Admin.class);
    }

    /** A service of the running gateway, e.g. its SecretCipher. */
    <T> T service(Class<T> type) {
        return runtime.await(type);
    }

    Path storeFile() {
        return dir.resolve("data/accounts.json");
    }

    String baseUrl() {
        var address = runtime.await(InboundServer.class).address();
        return "http://127.0.0.1:" + address.getPort();
    }

    Account addApiKeyAccount(String upstream, String apiKey, String name) {
        return admin().addAccount(new NewAccount(upstream, null, name, null, Map.of(Account.SECRET_API_KEY, apiKey),
                null, null, null, null, false));
    }

    String addUser(String name) {
        CreatedUser created = admin().addUser(name, null);
        return created.apiKey();
    }

    HttpResponse<String> chat(String userKey, String model, boolean stream) {
        String body = "{\"model\":\"" + model + "\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        return post("/v1/chat/completions", userKey, body);
    }

    HttpResponse<String> post(String path, String userKey, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (userKey != null) {
            request.header("Authorization", "Bearer " + userKey);
        }
        return send(request.build());
    }

    HttpResponse<String> get(String path, String userKey) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path)).GET();
        if (userKey != null) {
            request.header("Authorization", "Bearer " + userKey);
        }
        return send(request.build());
    }

    /** Any method, any path; {@code body} null for none. */
    HttpResponse<String> call(String method, String path, String key, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return send(request.build());
    }

    <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> send(HttpRequest request) {
        return send(request, HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}

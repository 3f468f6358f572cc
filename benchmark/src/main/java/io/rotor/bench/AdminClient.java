package io.rotor.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sets Rotor up through its admin API, as an operator would: accounts, users and pool settings.
 * Thousands of accounts or users go in a few bulk requests ({@code {"data": [...]}}), each one
 * durable store write.
 */
final class AdminClient {

    /** Stays well under the admin API's 1 MiB body limit. */
    private static final int BATCH = 2_000;
    private static final Pattern API_KEY = Pattern.compile("\"apiKey\"\\s*:\\s*\"([^\"]+)\"");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String masterKey;

    AdminClient(InetSocketAddress address, String masterKey) {
        this.base = "http://" + address.getHostString() + ":" + address.getPort();
        this.masterKey = masterKey;
    }

    /** Adds {@code count} accounts of upstream {@code upstream} to {@code pool}; weights 1–3, priorities 1–2. */
    void addAccounts(String upstream, String pool, int count) throws IOException, InterruptedException {
        for (int from = 0; from < count; from += BATCH) {
            StringBuilder body = new StringBuilder("{\"data\":[");
            for (int i = from; i < Math.min(count, from + BATCH); i++) {
                if (i > from) {
                    body.append(',');
                }
                body.append("{\"upstream\":\"").append(upstream).append("\",\"apiKey\":\"sk-bench-").append(pool)
                        .append('-').append(i).append("\",\"pool\":\"").append(pool).append("\",\"name\":\"")
                        .append(pool).append('-').append(i).append("\",\"weight\":").append(1 + i % 3)
                        .append(",\"priority\":").append(1 + i % 2).append(",\"validate\":false}");
            }
            body.append("]}");
            send("POST", "/admin/accounts", body.toString(), 201);
        }
    }

    /** Creates {@code count} users of {@code pool} and returns their keys. */
    List<String> addUsers(String pool, int count) throws IOException, InterruptedException {
        List<String> keys = new ArrayList<>();
        for (int from = 0; from < count; from += BATCH) {
            StringBuilder body = new StringBuilder("{\"data\":[");
            for (int i = from; i < Math.min(count, from + BATCH); i++) {
                if (i > from) {
                    body.append(',');
                }
                body.append("{\"name\":\"bench-").append(pool).append('-').append(i).append("\",\"pool\":\"")
                        .append(pool).append("\"}");
            }
            body.append("]}");
            Matcher matcher = API_KEY.matcher(send("POST", "/admin/users", body.toString(), 201));
            while (matcher.find()) {
                keys.add(matcher.group(1));
            }
        }
        if (keys.size() != count) {
            throw new IOException("expected " + count + " user keys, got " + keys.size());
        }
        return keys;
    }

    void setPool(String pool, String settingsJson) throws IOException, InterruptedException {
        send("PATCH", "/admin/pools/" + pool, settingsJson, 200);
    }

    String send(String method, String path, String body, int expectedStatus) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofMinutes(5))
                .header("Authorization", "Bearer " + masterKey);
        if (body != null) {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expectedStatus) {
            String text = response.body();
            throw new IOException(method + " " + path + " answered " + response.statusCode() + ": "
                    + (text.length() > 500 ? text.substring(0, 500) + "…" : text));
        }
        return response.body();
    }
}

package io.rotor.client.example;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.Account;
import io.rotor.api.NewAccount;
import io.rotor.client.ChunkStream;
import io.rotor.client.RotorClient;
import io.rotor.client.RotorClientException;
import io.rotor.client.RotorResponse;
import io.rotor.client.RotorStats;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * An application using Rotor in its own process: it starts the engine from a few settings, adds its
 * API keys as accounts, and sends chat completions that rotate among them, streamed or not, until every
 * account is cooling down; then it resets the limits and prints the statistics.
 *
 * <p>{@code rotor example-client} runs it against a built-in fake upstream. Against a real
 * OpenAI-compatible upstream: {@code rotor example-client --base-url https://api.openai.com/v1 --model
 * gpt-4o-mini < keys.txt} (one API key per line on standard input).
 */
public final class InProcessExample {

    private InProcessExample() {
    }

    /** Arguments: BASE_URL MODEL; the API keys come from standard input, one per line. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: InProcessExample BASE_URL MODEL < keys.txt");
            System.exit(2);
        }
        Path data = java.nio.file.Files.createTempDirectory("rotor-example-");
        run(args[0], args[1], apiKeysFromStdin(), data, new PrintWriter(System.out, true));
    }

    /** The non-blank lines of standard input: API keys are secrets, never command-line arguments. */
    public static List<String> apiKeysFromStdin() {
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        return stdin.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
    }

    /**
     * Runs the example on a store in {@code dataDir} with one account per API key.
     *
     * @param baseUrl the upstream's OpenAI base URL, including {@code /v1}
     */
    public static void run(String baseUrl, String model, List<String> apiKeys, Path dataDir, PrintWriter out) {
        byte[] encryptionKey = new byte[32];
        new SecureRandom().nextBytes(encryptionKey); // this run's store is thrown away: a key in memory will do
        Map<String, String> settings = Map.of(
                "store.json.path", dataDir.resolve("accounts.json").toString(),
                "plugins.dir", dataDir.resolve("plugins").toString(),
                "security.encryptionKey", HexFormat.of().formatHex(encryptionKey),
                "accounts.autoValidateOnAdd", "false",
                "upstream.example.type", "openai",
                "upstream.example.baseUrl", baseUrl,
                "upstream.example.models", model,
                // Small limits, to see rotation and a cooldown within a few requests.
                "rateLimit.perAccount", "2",
                "rateLimit.cooldownMs", "3000");
        Map<String, Object> hello = Map.of("model", model,
                "messages", List.of(Map.of("role", "user", "content", "Say hello.")));

        try (RotorClient client = RotorClient.start(settings)) {
            Map<String, String> names = new HashMap<>();
            for (int i = 0; i < apiKeys.size(); i++) {
                Account account = client.admin().addAccount(new NewAccount("example", null, "key-" + (i + 1), null,
                        Map.of(Account.SECRET_API_KEY, apiKeys.get(i)), null, null, null, null, false));
                names.put(account.id(), account.name());
            }
            out.println("Rotor runs in this process with " + apiKeys.size() + " accounts; no port is open.");

            out.println("\nRotation (create):");
            for (int i = 1; i <= apiKeys.size(); i++) {
                RotorResponse response = client.chat().completions().create(hello);
                out.println("  request " + i + "  served by " + names.get(response.accountId()) + ": "
                        + response.body().at("/choices/0/message/content").asText());
            }

            out.println("\nStreaming (stream), chunks printed as they arrive:");
            try (ChunkStream stream = client.chat().completions().stream(hello)) {
                out.print("  served by " + names.get(stream.accountId()) + ": ");
                for (JsonNode chunk : stream) {
                    out.print(chunk.at("/choices/0/delta/content").asText());
                    out.flush();
                }
                out.println();
            }

            out.println("\nUntil every account is cooling down:");
            for (int i = 1; i <= 2 * apiKeys.size() + 1; i++) {
                try {
                    RotorResponse response = client.chat().completions().create(hello);
                    out.println("  request " + i + "  served by " + names.get(response.accountId()));
                } catch (RotorClientException e) {
                    out.println("  request " + i + "  " + e.code() + " (HTTP " + e.status() + "), retry in "
                            + e.retryAfterMs() + " ms: " + e.getMessage());
                    break;
                }
            }

            out.println("\nresetRateLimits() cleared " + client.resetRateLimits() + " accounts; one more request is"
                    + " served by " + names.get(client.chat().completions().create(hello).accountId()) + ".");

            RotorStats stats = client.stats();
            out.println("\nStatistics (stats):");
            for (RotorStats.AccountEntry account : stats.accounts()) {
                out.printf("  %-8s %-12s requests %d, successful %d, failed %d, rate-limit hits %d%n", account.name(),
                        account.status().wireName(), account.stats().totalRequests(),
                        account.stats().successfulRequests(), account.stats().failedRequests(),
                        account.stats().rateLimitHits());
            }
            out.printf("  total: %d requests, success rate %.0f %%%n", stats.totals().totalRequests(),
                    100 * stats.totals().successRate());
        }
    }
}

package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.ClientRequest;
import io.rotor.api.ClientResponse;
import io.rotor.api.Endpoint;
import io.rotor.api.ErrorCode;
import io.rotor.api.NewAccount;
import io.rotor.api.RotorException;
import io.rotor.api.UpstreamAdapter;
import io.rotor.api.UpstreamCall;
import io.rotor.api.UpstreamResponse;
import io.rotor.core.engine.internal.crypto.AesGcmSecretCipher;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The request pipeline with an in-memory store and a scripted upstream adapter. */
class RotorGatewayTest {

    private static final String KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    private static final String MASTER = "master-key-for-tests";

    @TempDir
    Path dir;
    private MemoryAccountStore store;
    private ScriptedAdapter adapter;
    private RotorGateway gateway;

    /** Answers per API key: an HTTP status, or -1 for a refused connection. */
    static final class ScriptedAdapter implements UpstreamAdapter {
        final Map<String, Integer> statusByKey = new ConcurrentHashMap<>();
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public UpstreamResponse send(UpstreamCall call) throws IOException {
            calls.incrementAndGet();
            int status = statusByKey.getOrDefault(call.secrets().get(Account.SECRET_API_KEY), 200);
            if (status < 0) {
                throw new ConnectException("Connection refused");
            }
            InputStream body = new ByteArrayInputStream("{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
            Map<String, List<String>> headers = status == 429
                    ? Map.of("Content-Type", List.of("application/json"), "Retry-After", List.of("1"))
                    : Map.of("Content-Type", List.of("application/json"));
            return new UpstreamResponse(status, headers, body, null);
        }

        @Override
        public String validate(UpstreamCall call) {
            return statusByKey.getOrDefault(call.secrets().get(Account.SECRET_API_KEY), 200) == 401 ? "HTTP 401" : null;
        }
    }

    @BeforeEach
    void setUp() {
        store = new MemoryAccountStore();
        adapter = new ScriptedAdapter();
        gateway = gateway(Map.of("retry.max", "2"));
    }

    private RotorGateway gateway(Map<String, String> config) {
        RotorGateway created = new RotorGateway(store, new AesGcmSecretCipher(KEY, dir.resolve(".key")),
                EngineSettings.from(config), Clock.systemUTC(), MASTER, false);
        created.bindAdapter(adapter, Map.of(UpstreamAdapter.TYPE, "openai"));
        return created;
    }

    private String add(String apiKey) {
        return gateway.addAccount(new NewAccount("openai", null, apiKey, null, Map.of(Account.SECRET_API_KEY, apiKey),
                null, null, null, null, false)).id();
    }

    private ClientResponse chat(String key) {
        return gateway.handle(new ClientRequest(Endpoint.CHAT_COMPLETIONS, "Bearer " + key,
                "{\"model\":\"gpt-4o\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void upstreamCallsPerRequestNeverExceedRetryMaxPlusOne() {
        for (int i = 0; i < 6; i++) {
            adapter.statusByKey.put("sk-" + i, i % 2 == 0 ? 503 : -1);
            add("sk-" + i);
        }
        RotorException failure = assertThrows(RotorException.class, () -> chat(MASTER));
        assertEquals(ErrorCode.UPSTREAM_ERROR, failure.code());
        assertEquals(3, adapter.calls.get());
        assertTrue(failure.getMessage().contains("3 attempt(s)"), failure.getMessage());
    }

    @Test
    void aDeliveredResponseIsRecordedWhenTheClientHasReadIt() throws Exception {
        String id = add("sk-ok");
        try (ClientResponse response = chat(MASTER)) {
            assertEquals(id, response.headers().get("X-Rotor-Account"));
            assertEquals("{\"ok\":true}", new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        Account account = gateway.accounts().get(0);
        assertEquals(1, account.stats().totalRequests());
        assertEquals(1, account.stats().successfulRequests());
    }

    @Test
    void aClientErrorIsPassedBackAndNotRetried() throws Exception {
        adapter.statusByKey.put("sk-a", 400);
        add("sk-a");
        add("sk-b");
        try (ClientResponse response = chat(MASTER)) {
            assertEquals(400, response.status());
        }
        assertEquals(1, adapter.calls.get());
    }

    @Test
    void anUndecryptableSecretDisablesTheAccountAndIsNeverSentUpstream() {
        String good = add("sk-good");
        Account tampered = store.snapshot().accounts().get(0);
        String stolen = tampered.secrets().get(Account.SECRET_API_KEY);
        Account victim = new Account("acc_victim", "openai", null, "v", AccountStatus.ACTIVE, null, 0, 1, null, 0,
                java.time.Instant.EPOCH, null, null, Map.of(Account.SECRET_API_KEY, stolen), tampered.encryptionKeyId(),
                null, null);
        store.putAccount(victim);
        gateway = gateway(Map.of("rotation.strategy", "priority"));
        try (ClientResponse response = chat(MASTER)) {
            assertEquals(good, response.headers().get("X-Rotor-Account"));
        }
        assertEquals(1, adapter.calls.get(), "the copied ciphertext was never used");
        Account disabled = gateway.accounts().stream().filter(a -> a.id().equals("acc_victim")).findFirst().orElseThrow();
        assertEquals(AccountStatus.INVALID, disabled.status());
        assertEquals(io.rotor.api.SecretCipher.TAMPERED_REASON, disabled.statusReason());
    }

    @Test
    void anAccountUnderAKeyThisServerLacksIsSkippedButNotDisabled() {
        String good = add("sk-good");
        io.rotor.api.SecretCipher.Sealed foreign = new AesGcmSecretCipher("0f".repeat(32), dir.resolve(".other"))
                .seal(Map.of(Account.SECRET_API_KEY, "sk-rotated"), "acc_rotated");
        store.putAccount(new Account("acc_rotated", "openai", null, "r", AccountStatus.ACTIVE, null, 0, 1, null, 0,
                java.time.Instant.EPOCH, null, null, foreign.secrets(), foreign.keyId(), null, null));
        gateway = gateway(Map.of("rotation.strategy", "priority"));
        try (ClientResponse response = chat(MASTER)) {
            assertEquals(good, response.headers().get("X-Rotor-Account"));
        }
        assertEquals(1, adapter.calls.get(), "the account it cannot decrypt was never sent upstream");
        Account skipped = gateway.accounts().stream().filter(a -> a.id().equals("acc_rotated")).findFirst().orElseThrow();
        assertEquals(AccountStatus.ACTIVE, skipped.status());
    }

    @Test
    void usersAreAuthenticatedByKeyAndUseTheirPool() {
        add("sk-default");
        var created = gateway.addUser("ann", "other");
        RotorException empty = assertThrows(RotorException.class, () -> chat(created.apiKey()));
        assertEquals(ErrorCode.NO_AVAILABLE_ACCOUNTS, empty.code());
        assertTrue(empty.getMessage().contains("'other'"));
        assertEquals(ErrorCode.INVALID_API_KEY, assertThrows(RotorException.class, () -> chat("nope")).code());
        assertFalse(store.snapshot().users().get(0).keyHash().contains(created.apiKey()));
    }

    @Test
    void inProcessRequestsNameTheirPoolAndNeedNoKey() throws Exception {
        String other = gateway.addAccount(new NewAccount("openai", "other", "o", null, Map.of(Account.SECRET_API_KEY, "sk-o"),
                null, null, null, null, false)).id();
        add("sk-default");
        byte[] body = "{\"model\":\"gpt-4o\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8);
        try (ClientResponse response = gateway.handle(new ClientRequest(Endpoint.CHAT_COMPLETIONS, null, body), "other")) {
            assertEquals(other, response.headers().get("X-Rotor-Account"));
        }
        RotorException empty = assertThrows(RotorException.class,
                () -> gateway.handle(new ClientRequest(Endpoint.CHAT_COMPLETIONS, null, body), "empty"));
        assertEquals(ErrorCode.NO_AVAILABLE_ACCOUNTS, empty.code());
        RotorException malformed = assertThrows(RotorException.class,
                () -> gateway.handle(new ClientRequest(Endpoint.CHAT_COMPLETIONS, null, body), "../x"));
        assertEquals(ErrorCode.INVALID_REQUEST, malformed.code());
        assertEquals("pool", malformed.param());
        assertEquals(1, adapter.calls.get());
    }

    @Test
    void statisticsAreFlushedToTheStoreOnlyWhenTheyChanged() throws Exception {
        add("sk-f");
        gateway.flush();
        int writes = store.runtimeWrites;
        gateway.flush();
        assertEquals(writes, store.runtimeWrites, "nothing changed, nothing written");
        chat(MASTER).close();
        gateway.flush();
        assertEquals(writes + 1, store.runtimeWrites);
        assertEquals(1, store.snapshot().accounts().get(0).stats().totalRequests());
    }

    @Test
    void aCredentialTheUpstreamRefusesIsNotAdded() {
        adapter.statusByKey.put("sk-bad", 401);
        RotorException refused = assertThrows(RotorException.class, () -> gateway.addAccount(new NewAccount("openai",
                null, null, null, Map.of(Account.SECRET_API_KEY, "sk-bad"), null, null, null, null, true)));
        assertEquals(ErrorCode.INVALID_REQUEST, refused.code());
        assertFalse(refused.getMessage().contains("sk-bad"));
        assertTrue(store.snapshot().accounts().isEmpty());
    }

    @Test
    void seedCiphertextsAreRewrittenInRotorsFormOnTheNextWrite() throws Exception {
        String seedCiphertext = SeedCiphertexts.encrypt("sk-seed", KEY);
        store.putAccount(new Account("acc_seed", "openai", null, "seed", AccountStatus.ACTIVE, null, 1, 1, null, 0,
                java.time.Instant.EPOCH, null, null, Map.of(Account.SECRET_API_KEY, seedCiphertext), null, null, null));
        gateway = gateway(Map.of());
        assertEquals(seedCiphertext, store.snapshot().accounts().get(0).secrets().get(Account.SECRET_API_KEY),
                "reading alone changes nothing");
        chat(MASTER).close();
        gateway.flush();
        Account upgraded = store.snapshot().accounts().get(0);
        String rewritten = upgraded.secrets().get(Account.SECRET_API_KEY);
        assertTrue(upgraded.encryptionKeyId() != null);
        assertEquals(12, java.util.Base64.getDecoder().decode(rewritten.split(":")[0]).length);
        assertEquals("sk-seed", new AesGcmSecretCipher(KEY, dir.resolve(".key")).decrypt(rewritten, "acc_seed"));
        assertEquals(1, upgraded.stats().totalRequests());
    }

    @Test
    void aSeedCiphertextRewrittenByAFlushKeepsTheAccountsLiveCooldownAndCounters() throws Exception {
        store.putAccount(new Account("acc_seed", "openai", null, "seed", AccountStatus.ACTIVE, null, 1, 1, null, 0,
                java.time.Instant.EPOCH, null, null, Map.of(Account.SECRET_API_KEY, SeedCiphertexts.encrypt("sk-seed", KEY)),
                null, null, null));
        adapter.statusByKey.put("sk-seed", 429);
        gateway = gateway(Map.of("rateLimit.cooldownMs", "60000", "retry.max", "0"));
        assertThrows(RotorException.class, () -> chat(MASTER), "the 429 starts a cooldown");
        assertEquals(1, adapter.calls.get());

        gateway.flush(); // rewrites the seed ciphertext and writes the statistics
        Account stored = store.snapshot().accounts().get(0);
        assertTrue(stored.encryptionKeyId() != null, "rewritten in Rotor's form");
        assertEquals(AccountStatus.RATE_LIMITED, stored.status());
        assertEquals(1, stored.stats().rateLimitHits());
        assertEquals(AccountStatus.RATE_LIMITED, gateway.account("acc_seed").status(), "the cooldown goes on");
        assertEquals(ErrorCode.NO_AVAILABLE_ACCOUNTS, assertThrows(RotorException.class, () -> chat(MASTER)).code());
        assertEquals(1, adapter.calls.get(), "a cooling account is not called");
    }

    @Test
    void aFailedFlushIsWrittenByTheNextOne() throws Exception {
        adapter.statusByKey.put("sk-bad", 401);
        add("sk-bad");
        assertEquals(ErrorCode.UPSTREAM_ERROR, assertThrows(RotorException.class, () -> chat(MASTER)).code());
        store.failNextRuntimeWrite = true;
        assertThrows(IllegalStateException.class, gateway::flush);
        gateway.flush();
        Account invalid = store.snapshot().accounts().stream().filter(a -> a.name().equals("sk-bad")).findFirst()
                .orElseThrow();
        assertEquals(AccountStatus.INVALID, invalid.status(), "the status change survived the failed write");
        assertEquals(1, invalid.stats().failedRequests());
    }

    @Test
    void aStrategyThatPicksNoneRefusesTheRequestWithoutCallingUpstream() {
        add("sk-1");
        add("sk-2");
        gateway = gateway(Map.of("rotation.strategy", "nobody"));
        gateway.bindStrategy((candidates, request) -> null, Map.of(io.rotor.api.RotationStrategy.NAME, "nobody"));
        RotorException refused = assertThrows(RotorException.class, () -> chat(MASTER));
        assertEquals(ErrorCode.NO_AVAILABLE_ACCOUNTS, refused.code());
        assertTrue(refused.getMessage().contains("'nobody'"), refused.getMessage());
        assertEquals(0, adapter.calls.get());
    }

    @Test
    void aStrategyThatThrowsFallsBackToAnAccountAndTheRequestSucceeds() {
        String first = add("sk-1");
        add("sk-2");
        gateway = gateway(Map.of("rotation.strategy", "broken"));
        gateway.bindStrategy((candidates, request) -> {
            throw new IllegalStateException("bug");
        }, Map.of(io.rotor.api.RotationStrategy.NAME, "broken"));
        try (ClientResponse response = chat(MASTER)) {
            assertEquals(first, response.headers().get("X-Rotor-Account"));
        }
    }

    @Test
    void aRetryAfterShorterThanCooldownMsCoolsTheAccountForCooldownMs() {
        adapter.statusByKey.put("sk-limited", 429);
        String limited = add("sk-limited");
        String spare = add("sk-spare");
        gateway = gateway(Map.of("rateLimit.cooldownMs", "30000", "rotation.strategy", "priority"));
        long before = System.currentTimeMillis();
        for (int i = 0; i < 2; i++) { // round-robin among equal priorities: one of the two meets the 429
            try (ClientResponse response = chat(MASTER)) {
                assertEquals(spare, response.headers().get("X-Rotor-Account"), "the 429 moved the request on");
            }
        }
        Account cooled = gateway.account(limited);
        assertEquals(AccountStatus.RATE_LIMITED, cooled.status());
        long cooldown = cooled.rateLimit().blockedUntil().toEpochMilli() - before;
        assertTrue(cooldown >= 30_000 && cooldown < 40_000,
                "Retry-After: 1 is shorter than cooldownMs, so cooldownMs wins: " + cooldown + " ms");
    }

    @Test
    void withoutAMasterKeyOneIsGeneratedOnFirstStartPrintedOnceAndStoredOnlyAsAHash() {
        java.io.PrintStream original = System.out;
        java.io.ByteArrayOutputStream first = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream second = new java.io.ByteArrayOutputStream();
        RotorGateway generating;
        try {
            System.setOut(new java.io.PrintStream(first, true, StandardCharsets.UTF_8));
            generating = new RotorGateway(store, new AesGcmSecretCipher(KEY, dir.resolve(".key")),
                    EngineSettings.from(Map.of()), Clock.systemUTC(), null, true);
            System.setOut(new java.io.PrintStream(second, true, StandardCharsets.UTF_8));
            new RotorGateway(store, new AesGcmSecretCipher(KEY, dir.resolve(".key")), EngineSettings.from(Map.of()),
                    Clock.systemUTC(), null, true);
        } finally {
            System.setOut(original);
        }
        java.util.regex.Matcher printed = java.util.regex.Pattern.compile("Generated master key \\(shown once, stored"
                + " only as a hash\\): (rmk-\\S+)").matcher(first.toString(StandardCharsets.UTF_8));
        assertTrue(printed.find(), first.toString(StandardCharsets.UTF_8));
        String masterKey = printed.group(1);
        assertEquals("", second.toString(StandardCharsets.UTF_8), "a second start prints nothing");
        assertTrue(generating.authenticate("Bearer " + masterKey).isMaster());
        String stored = store.snapshot().settings().get(RotorGateway.MASTER_KEY_HASH_SETTING);
        assertTrue(stored != null && !stored.contains(masterKey), "only a hash is stored");
        assertEquals(ErrorCode.INVALID_API_KEY,
                assertThrows(RotorException.class, () -> generating.authenticate("Bearer rmk-guess")).code());
    }

    @Test
    void requestsAreServedWhileTheStoreIsStuckWritingStatisticsOf10000Accounts() throws Exception {
        List<NewAccount> many = new java.util.ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            many.add(new NewAccount("openai", null, "k" + i, null, Map.of(Account.SECRET_API_KEY, "sk-" + i), null,
                    null, null, null, false));
        }
        gateway.addAccounts(many);
        chat(MASTER).close(); // something for the flush to write
        store.runtimeWriteGate = new java.util.concurrent.CountDownLatch(1);
        Thread flushing = Thread.ofPlatform().start(gateway::flush);
        try {
            assertTrue(store.runtimeWriteStarted.await(30, java.util.concurrent.TimeUnit.SECONDS));
            // A liveness bound, not a speed target: with the hot path waiting on the store this never ends.
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> {
                for (int i = 0; i < 500; i++) {
                    chat(MASTER).close();
                }
            });
        } finally {
            store.runtimeWriteGate.countDown();
            flushing.join();
        }
        store.runtimeWriteGate = null;
        gateway.flush();
        long served = store.snapshot().accounts().stream().mapToLong(a -> a.stats().totalRequests()).sum();
        assertEquals(501, served, "every request served meanwhile was counted and flushed afterwards");
    }
}

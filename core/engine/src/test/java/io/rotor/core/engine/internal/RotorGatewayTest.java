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
            return new UpstreamResponse(status, Map.of("Content-Type", List.of("application/json")), body, null);
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
}

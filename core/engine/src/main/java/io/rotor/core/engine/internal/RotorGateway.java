package io.rotor.core.engine.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStatus;
import io.rotor.api.AccountStore;
import io.rotor.api.Admin;
import io.rotor.api.ClientRequest;
import io.rotor.api.ClientResponse;
import io.rotor.api.CreatedUser;
import io.rotor.api.Endpoint;
import io.rotor.api.ErrorCode;
import io.rotor.api.Gateway;
import io.rotor.api.NewAccount;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import io.rotor.api.RotorException;
import io.rotor.api.SecretCipher;
import io.rotor.api.Upstream;
import io.rotor.api.UpstreamAdapter;
import io.rotor.api.UpstreamCall;
import io.rotor.api.UpstreamResponse;
import io.rotor.api.User;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The engine: serves proxied requests from the pooled accounts and manages accounts and users.
 * The request pipeline is {@link #handle}; everything it calls works on memory only, while a
 * background task flushes statistics to the store and picks up changes other processes made.
 */
@Component(service = {Gateway.class, Admin.class}, configurationPid = {"rotor", "rotor.engine"},
        configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class RotorGateway implements Gateway, Admin {

    /** Framework property carrying the master key; never passed through Configuration Admin, which persists. */
    public static final String MASTER_KEY_PROPERTY = "rotor.security.masterKey";
    /** Framework property set by {@code serve}: generate and print a master key if none exists. */
    public static final String GENERATE_MASTER_KEY_PROPERTY = "rotor.generateMasterKey";
    static final String MASTER_KEY_HASH_SETTING = "masterKeyHash";
    private static final long FLUSH_INTERVAL_MS = 1_000;

    private static final System.Logger LOG = System.getLogger(RotorGateway.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AccountStore store;
    private final SecretCipher cipher;
    private final EngineSettings settings;
    private final Clock clock;
    private final AccountRegistry registry = new AccountRegistry();
    private final Authenticator authenticator;
    private final Map<String, RotationStrategy> strategies = new ConcurrentHashMap<>();
    private final Map<String, UpstreamAdapter> adapters = new ConcurrentHashMap<>();
    private final Set<String> reportedMissingStrategies = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService flusher;
    private final String masterKeyHash;
    private volatile long loadedRevision;

    @Activate
    public RotorGateway(BundleContext context, Map<String, Object> config, @Reference AccountStore store,
            @Reference SecretCipher cipher) {
        this(store, cipher, EngineSettings.from(config), Clock.systemUTC(), context.getProperty(MASTER_KEY_PROPERTY),
                Boolean.parseBoolean(context.getProperty(GENERATE_MASTER_KEY_PROPERTY)));
        flusher.scheduleWithFixedDelay(this::flushAndReload, FLUSH_INTERVAL_MS, FLUSH_INTERVAL_MS,
                TimeUnit.MILLISECONDS);
    }

    RotorGateway(AccountStore store, SecretCipher cipher, EngineSettings settings, Clock clock, String masterKey,
            boolean generateMasterKey) {
        this.store = store;
        this.cipher = cipher;
        this.settings = settings;
        this.clock = clock;
        reload();
        this.masterKeyHash = resolveMasterKeyHash(masterKey, generateMasterKey);
        this.authenticator = new Authenticator(registry, () -> masterKeyHash);
        this.flusher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "rotor-stats-flusher");
            thread.setDaemon(true);
            return thread;
        });
    }

    @Deactivate
    void deactivate() {
        flusher.shutdown();
        try {
            flusher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindStrategy(RotationStrategy strategy, Map<String, Object> properties) {
        Object name = properties.get(RotationStrategy.NAME);
        if (name != null) {
            strategies.put(String.valueOf(name), strategy);
        }
    }

    void unbindStrategy(RotationStrategy strategy, Map<String, Object> properties) {
        strategies.values().remove(strategy);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindAdapter(UpstreamAdapter adapter, Map<String, Object> properties) {
        Object type = properties.get(UpstreamAdapter.TYPE);
        if (type != null) {
            adapters.put(String.valueOf(type), adapter);
        }
    }

    void unbindAdapter(UpstreamAdapter adapter, Map<String, Object> properties) {
        adapters.values().remove(adapter);
    }

    // ---------------------------------------------------------------- the request pipeline

    @Override
    public ClientResponse handle(ClientRequest clientRequest) {
        Principal principal = authenticator.authenticate(clientRequest.authorization());
        ParsedRequest parsed = RequestParser.parse(clientRequest.endpoint(), clientRequest.body());
        PoolPolicy policy = settings.policyFor(registry.poolSettings(principal.pool()));
        List<LiveAccount> eligible = eligibleAccounts(policy, parsed.model());
        RotationStrategy strategy = strategyFor(policy);

        Set<String> tried = new HashSet<>();
        List<Outcome> failures = new ArrayList<>();
        for (int attempt = 0; attempt <= policy.maxRetries(); attempt++) {
            PickRequest pick = new PickRequest(parsed.model(), principal.userId(), policy.name(), attempt);
            Lease lease = AccountPicker.acquire(eligible, tried, policy, strategy, pick, clock.millis());
            if (lease == null) {
                break;
            }
            tried.add(lease.accountId());
            Outcome outcome = callUpstream(lease, clientRequest, parsed);
            if (RetryPolicy.delivers(outcome)) {
                return deliver(lease, outcome, parsed, eligible);
            }
            settle(lease, outcome, policy);
            failures.add(outcome);
        }
        long retryAfter = AccountPicker.millisUntilFirstFree(eligible, policy, clock.millis());
        if (failures.isEmpty()) {
            throw noAvailableAccounts(policy, retryAfter);
        }
        throw RetryPolicy.exhausted(failures, retryAfter);
    }

    private List<LiveAccount> eligibleAccounts(PoolPolicy policy, String model) {
        List<LiveAccount> pool = registry.pool(policy.name());
        if (pool.isEmpty()) {
            throw new RotorException(ErrorCode.NO_AVAILABLE_ACCOUNTS,
                    "Pool '" + policy.name() + "' has no accounts.");
        }
        List<LiveAccount> eligible = new ArrayList<>(pool.size());
        for (LiveAccount live : pool) {
            Upstream upstream = settings.upstreams().get(live.account().upstream());
            if (upstream != null && (model == null || upstream.serves(model))) {
                eligible.add(live);
            }
        }
        if (eligible.isEmpty()) {
            throw new RotorException(ErrorCode.MODEL_NOT_FOUND, model == null
                    ? "No account of pool '" + policy.name() + "' belongs to a configured upstream."
                    : "The model '" + model + "' is not served by any upstream of pool '" + policy.name() + "'.",
                    null, "model", null);
        }
        return eligible;
    }

    private RotationStrategy strategyFor(PoolPolicy policy) {
        RotationStrategy strategy = strategies.get(policy.strategy());
        if (strategy != null) {
            return strategy;
        }
        if (reportedMissingStrategies.add(policy.strategy())) {
            LOG.log(System.Logger.Level.WARNING, "strategy ''{0}'' of pool ''{1}'' is not installed; using {2}",
                    policy.strategy(), policy.name(), EngineSettings.DEFAULT_STRATEGY);
        }
        RotationStrategy fallback = strategies.get(EngineSettings.DEFAULT_STRATEGY);
        return fallback != null ? fallback : (candidates, request) -> candidates.get(0).id();
    }

    private Outcome callUpstream(Lease lease, ClientRequest clientRequest, ParsedRequest parsed) {
        Account account = lease.account().account();
        Upstream upstream = settings.upstreams().get(account.upstream());
        UpstreamAdapter adapter = adapters.get(upstream.type());
        if (adapter == null) {
            return new Outcome.Failed("no adapter installed for upstream type '" + upstream.type() + "'", false);
        }
        Map<String, String> secrets;
        try {
            secrets = decryptSecrets(account);
        } catch (RotorException e) {
            return new Outcome.InvalidCredential("secret cannot be decrypted with the configured key");
        }
        UpstreamCall call = new UpstreamCall(upstream, account.id(), account.email(), secrets,
                clientRequest.endpoint(), parsed.model(), parsed.stream(), clientRequest.body());
        try {
            return OutcomeClassifier.classify(adapter.send(call), clock.millis());
        } catch (IOException e) {
            return OutcomeClassifier.classify(e);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "adapter ''{0}'' failed: {1}", upstream.type(), e.getClass().getName());
            return new Outcome.Failed("adapter error", false);
        }
    }

    /** Applies a failed attempt to the account's state before the request moves on. */
    private void settle(Lease lease, Outcome outcome, PoolPolicy policy) {
        LiveAccount account = lease.account();
        switch (outcome) {
            case Outcome.RateLimited limited -> {
                long cooldown = Math.max(limited.retryAfterMs(), policy.cooldownMs());
                account.coolDown(clock.millis() + cooldown, "rate-limited by upstream");
                LOG.log(System.Logger.Level.INFO, "account {0} rate-limited upstream; cooling down for {1} ms",
                        account.id(), cooldown);
            }
            case Outcome.InvalidCredential invalid -> {
                account.invalidate(invalid.reason());
                LOG.log(System.Logger.Level.WARNING, "account {0} marked invalid: {1}", account.id(), invalid.reason());
            }
            case Outcome.Failed failed -> LOG.log(System.Logger.Level.INFO, "account {0} failed upstream: {1}",
                    account.id(), failed.reason());
            default -> throw new IllegalStateException("not a failure: " + outcome);
        }
        lease.release(false);
    }

    private ClientResponse deliver(Lease lease, Outcome outcome, ParsedRequest parsed, List<LiveAccount> eligible) {
        UpstreamResponse upstreamResponse = outcome instanceof Outcome.Served served
                ? served.response() : ((Outcome.Refused) outcome).response();
        String contentType = upstreamResponse.header("Content-Type");
        boolean streaming = contentType != null && contentType.toLowerCase().startsWith("text/event-stream");
        InputStream body = upstreamResponse.body();
        if (parsed.model() == null && outcome instanceof Outcome.Served) {
            body = withDeclaredModels(body, eligible);
        }
        RelayStream relay = new RelayStream(body, streaming || parsed.stream());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", contentType != null ? contentType : "application/json");
        headers.put(ACCOUNT_HEADER, lease.accountId());
        boolean served = outcome instanceof Outcome.Served;
        return new ClientResponse(upstreamResponse.status(), headers, relay, streaming, () -> {
            try {
                upstreamResponse.close();
            } finally {
                lease.release(served && relay.completed());
            }
        });
    }

    /** Adds the explicitly declared models of the pool's other upstreams to an upstream's model list. */
    private InputStream withDeclaredModels(InputStream upstreamBody, List<LiveAccount> eligible) {
        Set<String> declared = new LinkedHashSet<>();
        for (LiveAccount live : eligible) {
            Upstream upstream = settings.upstreams().get(live.account().upstream());
            upstream.models().stream().filter(model -> !"*".equals(model)).forEach(declared::add);
        }
        if (declared.isEmpty()) {
            return upstreamBody;
        }
        try {
            ObjectNode list = (ObjectNode) JSON.readTree(upstreamBody);
            ArrayNode data = list.withArray("data");
            Set<String> present = new HashSet<>();
            data.forEach(model -> present.add(model.path("id").asText()));
            declared.stream().filter(id -> !present.contains(id)).forEach(id -> data.addObject()
                    .put("id", id).put("object", "model").put("created", 0).put("owned_by", "rotor"));
            return new ByteArrayInputStream(JSON.writeValueAsBytes(list));
        } catch (IOException | ClassCastException e) {
            throw new RotorException(ErrorCode.UPSTREAM_ERROR, "The upstream's model list is not valid JSON.");
        }
    }

    private RotorException noAvailableAccounts(PoolPolicy policy, long retryAfter) {
        if (retryAfter == LiveAccount.NEVER) {
            return new RotorException(ErrorCode.NO_AVAILABLE_ACCOUNTS,
                    "No account of pool '" + policy.name() + "' is usable (all inactive, blocked or invalid).");
        }
        return RotorException.retryAfter(ErrorCode.NO_AVAILABLE_ACCOUNTS,
                "All accounts of pool '" + policy.name() + "' are rate-limited or busy; retry in " + retryAfter + " ms.",
                retryAfter);
    }

    private Map<String, String> decryptSecrets(Account account) {
        Map<String, String> plain = new HashMap<>();
        account.secrets().forEach((field, ciphertext) -> plain.put(field, cipher.decrypt(ciphertext, account.id())));
        return plain;
    }

    // ---------------------------------------------------------------- administration

    @Override
    public Account addAccount(NewAccount request) {
        Upstream upstream = settings.upstreams().get(request.upstream());
        if (upstream == null) {
            throw RotorException.badParam("upstream", "Unknown upstream '" + request.upstream()
                    + "'; configured: " + String.join(", ", settings.upstreams().keySet()) + ".");
        }
        requireCredential(upstream, request);
        String id = Keys.newId("acc");
        boolean validate = request.validate() != null ? request.validate() : settings.autoValidateOnAdd();
        if (validate) {
            validateCredential(upstream, id, request);
        }
        Map<String, String> encrypted = new LinkedHashMap<>();
        request.secrets().forEach((field, plain) -> encrypted.put(field, cipher.encrypt(plain, id)));
        Instant now = clock.instant();
        Account account = new Account(id, upstream.name(), request.pool(), request.name(), AccountStatus.ACTIVE, null,
                request.priority() != null ? request.priority() : 1,
                request.weight() != null ? request.weight() : 1,
                request.tags(), request.maxConcurrent() != null ? request.maxConcurrent() : 0,
                now, null, request.email(), encrypted, cipher.keyId(), null, null);
        store.putAccount(account);
        reload();
        return registry.account(id).snapshot();
    }

    private void requireCredential(Upstream upstream, NewAccount request) {
        switch (upstream.type()) {
            case "openai" -> requireSecret(request, Account.SECRET_API_KEY, "apiKey");
            case "k2think" -> {
                if (request.email() == null || request.email().isBlank()) {
                    throw RotorException.badParam("email", "A k2think account needs an email.");
                }
                requireSecret(request, Account.SECRET_PASSWORD, "password");
                boolean duplicate = registry.all().stream().map(LiveAccount::account)
                        .anyMatch(a -> a.upstream().equals(upstream.name()) && request.email().equalsIgnoreCase(a.email()));
                if (duplicate) {
                    throw RotorException.badParam("email", "An account with this email already exists.");
                }
            }
            case "gemini-code-assist" -> requireSecret(request, Account.SECRET_CREDENTIAL, "credential");
            default -> {
                if (request.secrets().isEmpty()) {
                    throw RotorException.badParam(null, "The account needs a credential.");
                }
            }
        }
        if (request.secrets().values().stream().anyMatch(value -> value.length() > 64 * 1024)) {
            throw RotorException.badParam(null, "A credential must not exceed 64 KiB.");
        }
    }

    private static void requireSecret(NewAccount request, String field, String param) {
        String value = request.secrets().get(field);
        if (value == null || value.isBlank()) {
            throw RotorException.badParam(param, "Missing '" + param + "' for this upstream.");
        }
    }

    private void validateCredential(Upstream upstream, String id, NewAccount request) {
        UpstreamAdapter adapter = adapters.get(upstream.type());
        if (adapter == null) {
            throw new RotorException(ErrorCode.UPSTREAM_ERROR,
                    "Cannot validate: no adapter installed for upstream type '" + upstream.type() + "'.");
        }
        UpstreamCall call = new UpstreamCall(upstream, id, request.email(), request.secrets(), Endpoint.MODELS, null,
                false, new byte[0]);
        String refusal;
        try {
            refusal = adapter.validate(call);
        } catch (IOException e) {
            throw new RotorException(ErrorCode.UPSTREAM_ERROR,
                    "Cannot validate the credential: upstream '" + upstream.name() + "' is unreachable ("
                            + e.getClass().getSimpleName() + "). Retry, or add it without validation.");
        }
        if (refusal != null) {
            throw RotorException.badParam(null, "The upstream refused the credential: " + refusal);
        }
    }

    @Override
    public List<Account> accounts() {
        return registry.all().stream().sorted(Comparator.comparingLong(LiveAccount::order))
                .map(LiveAccount::snapshot).toList();
    }

    @Override
    public CreatedUser addUser(String name, String pool) {
        if (name == null || name.isBlank() || name.length() > 100) {
            throw RotorException.badParam("name", "A user needs a name of 1 to 100 characters.");
        }
        String apiKey = Keys.newApiKey("rk-");
        User user = new User(Keys.newId("usr"), name.trim(), Keys.hash(apiKey), pool, clock.instant());
        store.putUser(user);
        reload();
        return new CreatedUser(user, apiKey);
    }

    @Override
    public List<User> users() {
        return registry.users().stream().sorted(Comparator.comparing(User::createdAt)).toList();
    }

    // ---------------------------------------------------------------- background work

    private String resolveMasterKeyHash(String masterKey, boolean generate) {
        if (masterKey != null && !masterKey.isBlank()) {
            return Keys.hash(masterKey.trim());
        }
        String stored = registry.setting(MASTER_KEY_HASH_SETTING);
        if (stored != null || !generate) {
            return stored;
        }
        String generated = Keys.newApiKey("rmk-");
        store.putSetting(MASTER_KEY_HASH_SETTING, Keys.hash(generated));
        reload();
        // The one place a secret is printed: the operator must see it once, DESIGN §3.
        System.out.println("Generated master key (shown once, stored only as a hash): " + generated);
        return Keys.hash(generated);
    }

    private void flushAndReload() {
        try {
            flush();
            if (store.revision() != loadedRevision) {
                reload();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "background flush failed: {0}", e.getMessage());
        }
    }

    /** Writes the statistics and limiter state that changed since the last flush. */
    void flush() {
        var changed = registry.drainRuntimes();
        if (changed.isEmpty()) {
            return;
        }
        upgradeSeedCiphertexts(changed);
        try {
            store.saveRuntime(changed);
        } catch (RuntimeException e) {
            // Counters are absolute, so the next flush writes them again; only keep the status changes pending.
            changed.forEach(runtime -> {
                LiveAccount live = registry.account(runtime.id());
                if (live != null) {
                    live.markUnflushed(runtime.status() != null);
                }
            });
            throw e;
        }
    }

    /**
     * Rewrites the seed tool's ciphertexts (no associated data, no key id) in Rotor's form when
     * their account is written anyway, so a seed store is upgraded without a migration step.
     */
    private void upgradeSeedCiphertexts(List<AccountRuntime> changed) {
        for (AccountRuntime runtime : changed) {
            LiveAccount live = registry.account(runtime.id());
            Account account = live == null ? null : live.account();
            if (account == null || account.encryptionKeyId() != null || account.secrets().isEmpty()) {
                continue;
            }
            try {
                Map<String, String> upgraded = new LinkedHashMap<>();
                account.secrets().forEach((field, ciphertext) ->
                        upgraded.put(field, cipher.encrypt(cipher.decrypt(ciphertext, account.id()), account.id())));
                Account rewritten = account.withSecrets(upgraded, cipher.keyId());
                store.putAccount(rewritten);
                live.refresh(rewritten);
            } catch (RotorException e) {
                LOG.log(System.Logger.Level.WARNING, "account {0}: seed ciphertext not upgraded: {1}",
                        account.id(), e.getMessage());
            }
        }
    }

    private synchronized void reload() {
        var snapshot = store.snapshot();
        registry.load(snapshot);
        loadedRevision = snapshot.revision();
    }
}

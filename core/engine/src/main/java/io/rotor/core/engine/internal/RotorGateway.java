package io.rotor.core.engine.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.AccountStore;
import io.rotor.api.AccountUpdate;
import io.rotor.api.Admin;
import io.rotor.api.Caller;
import io.rotor.api.ClientRequest;
import io.rotor.api.ClientResponse;
import io.rotor.api.ConfigUpdate;
import io.rotor.api.CreatedUser;
import io.rotor.api.ErrorCode;
import io.rotor.api.Gateway;
import io.rotor.api.MetricsExporter;
import io.rotor.api.NewAccount;
import io.rotor.api.NewUser;
import io.rotor.api.PickRequest;
import io.rotor.api.PoolGateway;
import io.rotor.api.PoolInfo;
import io.rotor.api.PoolUpdate;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
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
 * The engine: serves proxied requests from the pooled accounts and manages accounts, users and
 * pools. The request pipeline is {@link #handle}; everything it calls works on memory only, while a
 * background task flushes statistics to the store and picks up changes other processes made.
 */
@Component(service = {Gateway.class, PoolGateway.class, Admin.class, MetricsExporter.class},
        configurationPid = {"rotor", "rotor.engine"}, configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class RotorGateway implements Gateway, PoolGateway, Admin, MetricsExporter {

    /** Framework property carrying the master key; never passed through Configuration Admin, which persists. */
    public static final String MASTER_KEY_PROPERTY = "rotor.security.masterKey";
    /**
     * Framework property naming the secret upstream settings ({@code upstream.NAME.clientSecret}, comma
     * separated), each passed as framework property {@link #UPSTREAM_SECRET_PREFIX} + key, like the master key.
     */
    public static final String UPSTREAM_SECRETS_PROPERTY = "rotor.upstream.secrets";
    public static final String UPSTREAM_SECRET_PREFIX = "rotor.secret.";
    /** Framework property set by {@code serve}: generate and print a master key if none exists. */
    public static final String GENERATE_MASTER_KEY_PROPERTY = "rotor.generateMasterKey";
    static final String MASTER_KEY_HASH_SETTING = "masterKeyHash";
    private static final long FLUSH_INTERVAL_MS = 1_000;

    private static final System.Logger LOG = System.getLogger(RotorGateway.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EngineSettings settings;
    private final Clock clock;
    private final AccountRegistry registry = new AccountRegistry();
    private final Strategies strategies = new Strategies();
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final Map<String, UpstreamAdapter> adapters = new ConcurrentHashMap<>();
    private final StoreSync sync;
    private final Administration administration;
    private final Authenticator authenticator;
    private final ScheduledExecutorService flusher;
    private final String masterKeyHash;

    @Activate
    public RotorGateway(BundleContext context, Map<String, Object> config, @Reference AccountStore store,
            @Reference SecretCipher cipher) {
        this(store, cipher, EngineSettings.from(withUpstreamSecrets(config, context)), Clock.systemUTC(),
                context.getProperty(MASTER_KEY_PROPERTY),
                Boolean.parseBoolean(context.getProperty(GENERATE_MASTER_KEY_PROPERTY)));
        flusher.scheduleWithFixedDelay(sync::flushAndReload, FLUSH_INTERVAL_MS, FLUSH_INTERVAL_MS,
                TimeUnit.MILLISECONDS);
    }

    /** The configuration plus the upstream secrets the launcher kept out of Configuration Admin. */
    private static Map<String, Object> withUpstreamSecrets(Map<String, Object> config, BundleContext context) {
        String keys = context.getProperty(UPSTREAM_SECRETS_PROPERTY);
        if (keys == null || keys.isBlank()) {
            return config;
        }
        Map<String, Object> merged = new LinkedHashMap<>(config);
        for (String key : keys.split(",")) {
            String value = context.getProperty(UPSTREAM_SECRET_PREFIX + key);
            if (value != null) {
                merged.put(key, value);
            }
        }
        return merged;
    }

    RotorGateway(AccountStore store, SecretCipher cipher, EngineSettings settings, Clock clock, String masterKey,
            boolean generateMasterKey) {
        this.settings = settings;
        this.clock = clock;
        this.sync = new StoreSync(store, cipher, registry, clock);
        this.administration = new Administration(sync, cipher, registry, settings, strategies, adapters, clock);
        sync.reload();
        this.masterKeyHash = resolveMasterKeyHash(store, masterKey, generateMasterKey);
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
        sync.flush();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindStrategy(RotationStrategy strategy, Map<String, Object> properties) {
        Object name = properties.get(RotationStrategy.NAME);
        if (name != null) {
            strategies.add(String.valueOf(name), strategy);
        }
    }

    void unbindStrategy(RotationStrategy strategy, Map<String, Object> properties) {
        strategies.remove(strategy);
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
        return traced(clientRequest, () -> Requester.of(authenticator.authenticate(clientRequest.authorization())));
    }

    /** Serves a request from code in this process for a named pool: no key to check (PoolGateway). */
    @Override
    public ClientResponse handle(ClientRequest clientRequest, String pool) {
        return traced(clientRequest, () -> {
            InputRules.pool(pool);
            return new Requester(pool == null ? Account.DEFAULT_POOL : pool, null);
        });
    }

    /** Whose request it is: the pool it draws on and the user (null for the master key or in-process code). */
    private record Requester(String pool, String userId) {
        static Requester of(Caller caller) {
            return new Requester(caller.pool(), caller.isMaster() ? null : caller.user().id());
        }
    }

    private ClientResponse traced(ClientRequest clientRequest, Supplier<Requester> identify) {
        RequestTrace trace = new RequestTrace(clientRequest.requestId());
        metrics.requestStarted();
        try {
            return serve(clientRequest, identify.get(), trace);
        } catch (RuntimeException e) {
            metrics.requestEnded();
            ErrorCode code = e instanceof RotorException rotorException ? rotorException.code() : ErrorCode.INTERNAL;
            metrics.request(trace.pool, GatewayMetrics.NONE, code.httpStatus(), code.code().toLowerCase(Locale.ROOT));
            throw e;
        }
    }

    /** The request pipeline, one step per line (DESIGN §2). */
    private ClientResponse serve(ClientRequest clientRequest, Requester requester, RequestTrace trace) {
        ParsedRequest parsed = RequestParser.parse(clientRequest.endpoint(), clientRequest.body());
        PoolPolicy policy = settings.policyFor(registry.poolSettings(requester.pool()));
        trace.pool = policy.name();
        PoolIndex pool = registry.index(policy.name());
        Eligibility eligible = eligibility(pool.members(), policy, parsed.model());
        RotationStrategy strategy = strategies.forPool(policy);

        Set<String> tried = new HashSet<>();
        List<Outcome> failures = new ArrayList<>();
        int maxRetries = Math.min(policy.maxRetries(), InputRules.MAX_RETRIES_LIMIT);
        for (int attempt = 0; attempt <= maxRetries; attempt++) {
            PickRequest pick = new PickRequest(parsed.model(), requester.userId(), policy.name(), attempt);
            Lease lease;
            try {
                lease = pool.acquire(strategy, policy, pick, eligible.excluding(tried), clock.millis(), clock::millis);
            } catch (PickDeclined declined) {
                if (failures.isEmpty()) {
                    throw PickDeclined.error(policy.name(), policy.strategy());
                }
                break;
            }
            if (lease == null) {
                break;
            }
            noteAttempt(lease, attempt, policy);
            tried.add(lease.accountId());
            Outcome outcome = callUpstream(lease, clientRequest, parsed);
            if (RetryPolicy.delivers(outcome)) {
                return deliver(lease, outcome, parsed, eligible.upstreams(), trace);
            }
            settle(lease, outcome, policy, trace);
            failures.add(outcome);
            if (attempt < maxRetries && RetryPolicy.backsOff(outcome)) {
                pause(RetryPolicy.backoffMs(attempt + 1, settings.retryBackoffMs(), ThreadLocalRandom.current()));
            }
        }
        long retryAfter = pool.millisUntilFirstFree(eligible.ineligible(), policy, clock.millis());
        if (failures.isEmpty()) {
            throw noAvailableAccounts(policy, retryAfter);
        }
        throw RetryPolicy.exhausted(failures, retryAfter);
    }

    private static void pause(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RotorException(ErrorCode.UPSTREAM_ERROR, "Interrupted while waiting to retry.");
        }
    }

    /** What the metrics need to know of one request as it goes; the pool is known after authentication. */
    private static final class RequestTrace {
        final String requestId;
        String pool = GatewayMetrics.NONE;

        RequestTrace(String requestId) {
            this.requestId = requestId == null ? GatewayMetrics.NONE : requestId;
        }
    }

    private void noteAttempt(Lease lease, int attempt, PoolPolicy policy) {
        if (attempt > 0) {
            metrics.retry(policy.name());
        }
        if (lease.account().status() == AccountStatus.RATE_LIMITED) {
            // Taking this slot reached the window limit: the account cools down after this request.
            metrics.cooldown(policy.name(), "window");
        }
    }

    @Override
    public Caller authenticate(String authorization) {
        return authenticator.authenticate(authorization);
    }

    /**
     * Which accounts of a pool may serve a request for {@code model}: decided per upstream, so it costs
     * nothing per account unless the pool mixes upstreams of which only some serve the model.
     *
     * @param ineligible ids of the pool's accounts that may not serve it (usually none)
     * @param upstreams the names of the upstreams that may, in the pool's order
     */
    private record Eligibility(Set<String> ineligible, List<String> upstreams) {

        /** The accounts a pick must skip: those tried already, and the ineligible ones. */
        Set<String> excluding(Set<String> tried) {
            if (ineligible.isEmpty()) {
                return tried;
            }
            Set<String> skip = new HashSet<>(ineligible);
            skip.addAll(tried);
            return skip;
        }
    }

    private Eligibility eligibility(PoolIndex.Members members, PoolPolicy policy, String model) {
        if (members.accounts().isEmpty()) {
            throw new RotorException(ErrorCode.NO_AVAILABLE_ACCOUNTS,
                    "Pool '" + policy.name() + "' has no accounts.");
        }
        List<String> serving = new ArrayList<>(members.upstreams().size());
        for (String name : members.upstreams()) {
            Upstream upstream = settings.upstreams().get(name);
            if (upstream != null && (model == null || upstream.serves(model))) {
                serving.add(name);
            }
        }
        if (serving.isEmpty()) {
            throw new RotorException(ErrorCode.MODEL_NOT_FOUND, model == null
                    ? "No account of pool '" + policy.name() + "' belongs to a configured upstream."
                    : "The model '" + model + "' is not served by any upstream of pool '" + policy.name() + "'.",
                    null, "model", null);
        }
        if (serving.size() == members.upstreams().size()) {
            return new Eligibility(Set.of(), serving);
        }
        Set<String> ineligible = new HashSet<>();
        for (LiveAccount live : members.accounts()) {
            if (!serving.contains(live.account().upstream())) {
                ineligible.add(live.id());
            }
        }
        return new Eligibility(ineligible, serving);
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
            secrets = lease.account().plainSecrets(administration::decrypt);
        } catch (RotorException e) {
            if (e.code() == ErrorCode.SECRET_TAMPERED) {
                return new Outcome.InvalidCredential(SecretCipher.TAMPERED_REASON);
            }
            // A key this server does not have (rotated by the CLI to a key configured elsewhere): not the
            // account's fault, so it is not marked invalid; the request moves on to another account.
            LOG.log(System.Logger.Level.WARNING, "account {0} skipped: {1}", account.id(), e.getMessage());
            return new Outcome.Failed("secret cannot be decrypted with this server's key", false);
        }
        UpstreamCall call = new UpstreamCall(upstream, account.id(), account.email(), secrets,
                clientRequest.endpoint(), parsed.model(), parsed.stream(), clientRequest.body());
        try {
            long started = System.nanoTime();
            UpstreamResponse upstreamResponse = adapter.send(call);
            long latency = System.nanoTime() - started;
            metrics.upstreamLatency(upstream.name(), latency);
            lease.account().recordLatency(latency);
            return OutcomeClassifier.classify(upstreamResponse, clock.millis());
        } catch (IOException e) {
            return OutcomeClassifier.classify(e);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "adapter ''{0}'' failed: {1}", upstream.type(), e.getClass().getName());
            return new Outcome.Failed("adapter error", false);
        }
    }

    /** Applies a failed attempt to the account's state before the request moves on. */
    private void settle(Lease lease, Outcome outcome, PoolPolicy policy, RequestTrace trace) {
        LiveAccount account = lease.account();
        switch (outcome) {
            case Outcome.RateLimited limited -> {
                long cooldown = Math.max(limited.retryAfterMs(), policy.cooldownMs());
                long now = clock.millis();
                account.index().coolDown(account, now + cooldown, "rate-limited by upstream", now);
                metrics.cooldown(policy.name(), "upstream");
                LOG.log(System.Logger.Level.INFO, "request {0}: account {1} rate-limited upstream; cooling down for {2} ms",
                        trace.requestId, account.id(), cooldown);
            }
            case Outcome.InvalidCredential invalid -> {
                account.index().invalidate(account, invalid.reason(), clock.millis());
                LOG.log(System.Logger.Level.WARNING, "request {0}: account {1} marked invalid: {2}", trace.requestId,
                        account.id(), invalid.reason());
            }
            case Outcome.Failed failed -> LOG.log(System.Logger.Level.INFO, "request {0}: account {1} failed upstream: {2}",
                    trace.requestId, account.id(), failed.reason());
            default -> throw new IllegalStateException("not a failure: " + outcome);
        }
        lease.release(false);
    }

    private ClientResponse deliver(Lease lease, Outcome outcome, ParsedRequest parsed, List<String> upstreams,
            RequestTrace trace) {
        UpstreamResponse upstreamResponse = outcome instanceof Outcome.Served served
                ? served.response() : ((Outcome.Refused) outcome).response();
        String contentType = upstreamResponse.header("Content-Type");
        boolean streaming = contentType != null && contentType.toLowerCase().startsWith("text/event-stream");
        InputStream body = upstreamResponse.body();
        if (parsed.model() == null && outcome instanceof Outcome.Served) {
            body = withDeclaredModels(body, upstreams);
        }
        RelayStream relay = new RelayStream(body, streaming || parsed.stream());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", contentType != null ? contentType : "application/json");
        headers.put(ACCOUNT_HEADER, lease.accountId());
        boolean served = outcome instanceof Outcome.Served;
        metrics.request(trace.pool, lease.account(), upstreamResponse.status(), served ? "served" : "refused");
        if (streaming) {
            metrics.streamOpened();
        }
        return new ClientResponse(upstreamResponse.status(), headers, relay, streaming, () -> {
            try {
                upstreamResponse.close();
            } finally {
                lease.release(served && relay.completed());
                if (streaming) {
                    metrics.streamClosed();
                }
                metrics.requestEnded();
            }
        });
    }

    /** Adds the explicitly declared models of the pool's other upstreams to an upstream's model list. */
    private InputStream withDeclaredModels(InputStream upstreamBody, List<String> upstreams) {
        Set<String> declared = new LinkedHashSet<>();
        for (String name : upstreams) {
            Upstream upstream = settings.upstreams().get(name);
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

    // ---------------------------------------------------------------- administration

    @Override
    public Account addAccount(NewAccount account) {
        return administration.addAccount(account);
    }

    @Override
    public List<Account> addAccounts(List<NewAccount> accounts) {
        return administration.addAccounts(accounts);
    }

    @Override
    public Account importAccount(Account account, Map<String, String> plainSecrets) {
        return administration.importAccount(account, plainSecrets);
    }

    @Override
    public List<Account> accounts() {
        return administration.accounts();
    }

    @Override
    public Account account(String id) {
        return administration.account(id);
    }

    @Override
    public Account updateAccount(String id, AccountUpdate update) {
        return administration.updateAccount(id, update);
    }

    @Override
    public void removeAccount(String id) {
        administration.removeAccount(id);
    }

    @Override
    public String validateAccount(String id) {
        return administration.validateAccount(id);
    }

    @Override
    public int resetRateLimits() {
        return administration.resetRateLimits();
    }

    @Override
    public CreatedUser addUser(String name, String pool) {
        return administration.addUser(name, pool);
    }

    @Override
    public List<CreatedUser> addUsers(List<NewUser> users) {
        return administration.addUsers(users);
    }

    @Override
    public List<User> users() {
        return administration.users();
    }

    @Override
    public void removeUser(String id) {
        administration.removeUser(id);
    }

    @Override
    public List<PoolInfo> pools() {
        return administration.pools();
    }

    @Override
    public PoolInfo updatePool(String name, PoolUpdate update) {
        return administration.updatePool(name, update);
    }

    @Override
    public ConfigUpdate configUpdate(String userKey, NewAccount account) {
        return administration.configUpdate(userKey, account);
    }

    @Override
    public String rotate(String userKey) {
        return administration.rotate(userKey);
    }

    @Override
    public Map<String, String> settings() {
        return administration.settings();
    }

    @Override
    public String scrape() {
        return metrics.scrape(registry.all());
    }

    /** Writes pending statistics now (tests; the background task does this every second). */
    void flush() {
        sync.flush();
    }

    // ---------------------------------------------------------------- start-up

    private String resolveMasterKeyHash(AccountStore store, String masterKey, boolean generate) {
        if (masterKey != null && !masterKey.isBlank()) {
            return Keys.hash(masterKey.trim());
        }
        String stored = registry.setting(MASTER_KEY_HASH_SETTING);
        if (stored != null || !generate) {
            return stored;
        }
        String generated = Keys.newApiKey("rmk-");
        store.putSetting(MASTER_KEY_HASH_SETTING, Keys.hash(generated));
        sync.reload();
        // The one place a secret is printed: the operator must see it once, DESIGN §3.
        System.out.println("Generated master key (shown once, stored only as a hash): " + generated);
        return Keys.hash(generated);
    }
}

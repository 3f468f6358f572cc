package io.rotor.core.engine.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.AccountStore;
import io.rotor.api.AccountUpdate;
import io.rotor.api.Candidate;
import io.rotor.api.ConfigUpdate;
import io.rotor.api.CreatedUser;
import io.rotor.api.Endpoint;
import io.rotor.api.ErrorCode;
import io.rotor.api.NewAccount;
import io.rotor.api.NewUser;
import io.rotor.api.PickRequest;
import io.rotor.api.Pool;
import io.rotor.api.PoolInfo;
import io.rotor.api.PoolUpdate;
import io.rotor.api.RotorException;
import io.rotor.api.SecretCipher;
import io.rotor.api.Upstream;
import io.rotor.api.UpstreamAdapter;
import io.rotor.api.UpstreamCall;
import io.rotor.api.User;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The administrative operations behind {@link io.rotor.api.Admin}. Each one checks its input fully,
 * then writes the store durably, then reloads the registry, so a refused call changes nothing and an
 * accepted one is in effect when it returns.
 */
final class Administration {

    private static final System.Logger LOG = System.getLogger(Administration.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The Gemini seed keeps one credential current per user key and moves on when it fails. */
    static final String USER_POOL_STRATEGY = "sticky";

    private final StoreSync sync;
    private final AccountStore store;
    private final SecretCipher cipher;
    private final AccountRegistry registry;
    private final EngineSettings settings;
    private final Strategies strategies;
    private final Map<String, UpstreamAdapter> adapters;
    private final Clock clock;

    Administration(StoreSync sync, SecretCipher cipher, AccountRegistry registry, EngineSettings settings,
            Strategies strategies, Map<String, UpstreamAdapter> adapters, Clock clock) {
        this.sync = sync;
        this.store = sync.store();
        this.cipher = cipher;
        this.registry = registry;
        this.settings = settings;
        this.strategies = strategies;
        this.adapters = adapters;
        this.clock = clock;
    }

    // ---------------------------------------------------------------- accounts

    Account addAccount(NewAccount request) {
        Upstream upstream = prepare(request);
        return store(upstream, request, request.pool());
    }

    /** Checks everything about a new account that can be checked without writing; returns its upstream. */
    private Upstream prepare(NewAccount request) {
        InputRules.check(request);
        Upstream upstream = settings.upstreams().get(request.upstream());
        if (upstream == null) {
            throw RotorException.badParam("upstream", "Unknown upstream '" + request.upstream()
                    + "'; configured: " + String.join(", ", settings.upstreams().keySet()) + ".");
        }
        requireCredential(upstream, request);
        return upstream;
    }

    private Account store(Upstream upstream, NewAccount request, String pool) {
        Account account = newAccount(upstream, request, pool);
        store.putAccount(account);
        sync.reload();
        return live(account.id()).snapshot();
    }

    /** Checks every account first, then validates each credential where asked, then stores them in one write. */
    List<Account> addAccounts(List<NewAccount> requests) {
        List<Upstream> upstreams = new ArrayList<>(requests.size());
        for (NewAccount request : requests) {
            upstreams.add(prepare(request));
        }
        List<Account> accounts = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            accounts.add(newAccount(upstreams.get(i), requests.get(i), requests.get(i).pool()));
        }
        store.putAccounts(accounts);
        sync.reload();
        return accounts.stream().map(account -> live(account.id()).snapshot()).toList();
    }

    /** Validates the credential upstream when asked, encrypts its secrets and builds the account to store. */
    private Account newAccount(Upstream upstream, NewAccount request, String pool) {
        String id = Keys.newId("acc");
        boolean validate = request.validate() != null ? request.validate() : settings.autoValidateOnAdd();
        if (validate) {
            validateNew(upstream, id, request);
        }
        SecretCipher.Sealed sealed = cipher.seal(request.secrets(), id);
        return new Account(id, upstream.name(), pool, request.name(), AccountStatus.ACTIVE, null,
                request.priority() != null ? request.priority() : 1,
                request.weight() != null ? request.weight() : 1,
                request.tags(), request.maxConcurrent() != null ? request.maxConcurrent() : 0,
                clock.instant(), null, request.email(), sealed.secrets(), sealed.keyId(), null, null);
    }

    Account importAccount(Account account, Map<String, String> plainSecrets) {
        if (registry.account(account.id()) != null) {
            throw RotorException.badParam("id", "An account with id '" + account.id() + "' already exists.");
        }
        if (!settings.upstreams().containsKey(account.upstream())) {
            throw RotorException.badParam("upstream", "Unknown upstream '" + account.upstream() + "'.");
        }
        InputRules.pool(account.pool());
        InputRules.name(account.name());
        SecretCipher.Sealed sealed = cipher.seal(plainSecrets, account.id());
        store.putAccount(account.withSecrets(sealed.secrets(), sealed.keyId()));
        sync.reload();
        return live(account.id()).snapshot();
    }

    List<Account> accounts() {
        return registry.all().stream().sorted(Comparator.comparingLong(LiveAccount::order))
                .map(LiveAccount::snapshot).toList();
    }

    Account account(String id) {
        return live(id).snapshot();
    }

    Account updateAccount(String id, AccountUpdate update) {
        InputRules.check(update);
        live(id);
        // Write pending engine changes first, so the update applies to the latest state.
        sync.flush();
        Account stored = storedAccount(id);
        Account updated = new Account(stored.id(), stored.upstream(),
                update.pool() != null ? update.pool() : stored.pool(),
                update.name() != null ? update.name() : stored.name(),
                update.status() != null ? update.status() : stored.status(),
                update.status() != null ? null : stored.statusReason(),
                update.priority() != null ? update.priority() : stored.priority(),
                update.weight() != null ? update.weight() : stored.weight(),
                update.tags() != null ? update.tags() : stored.tags(),
                update.maxConcurrent() != null ? update.maxConcurrent() : stored.maxConcurrent(),
                stored.createdAt(), stored.lastUsed(), stored.email(), stored.secrets(), stored.encryptionKeyId(),
                stored.stats(), stored.rateLimit());
        store.putAccount(updated);
        sync.reload();
        return live(id).snapshot();
    }

    void removeAccount(String id) {
        live(id);
        if (!store.removeAccount(id)) {
            throw notFound("account", id);
        }
        sync.reload();
    }

    String validateAccount(String id) {
        LiveAccount live = live(id);
        Account account = live.account();
        Upstream upstream = settings.upstreams().get(account.upstream());
        UpstreamAdapter adapter = upstream == null ? null : adapters.get(upstream.type());
        if (adapter == null) {
            throw new RotorException(ErrorCode.UPSTREAM_ERROR, "Cannot validate: no adapter installed for upstream '"
                    + account.upstream() + "'.");
        }
        String refusal;
        try {
            refusal = adapter.validate(new UpstreamCall(upstream, id, account.email(), decrypt(account),
                    Endpoint.MODELS, null, false, new byte[0]));
        } catch (RotorException e) {
            if (e.code() != ErrorCode.SECRET_TAMPERED) {
                throw e; // a key this process lacks says nothing about the credential
            }
            refusal = SecretCipher.TAMPERED_REASON;
        } catch (IOException e) {
            throw new RotorException(ErrorCode.UPSTREAM_ERROR, "Cannot validate: upstream '" + account.upstream()
                    + "' is unreachable (" + e.getClass().getSimpleName() + ").");
        }
        if (refusal != null) {
            live.index().invalidate(live, refusal, clock.millis());
            sync.flush();
            LOG.log(System.Logger.Level.WARNING, "account {0} marked invalid: {1}", id, refusal);
        }
        return refusal;
    }

    int resetRateLimits() {
        long now = clock.millis();
        List<LiveAccount> all = registry.all();
        all.forEach(live -> live.resetRateLimit(now));
        registry.markAllStale();
        sync.flush();
        // Tells a server running on the same store (another process) to reset its live state too.
        store.putSetting(StoreSync.RESET_SETTING, Instant.ofEpochMilli(now) + "#" + Keys.newId("r"));
        sync.reload();
        return all.size();
    }

    // ---------------------------------------------------------------- users

    CreatedUser addUser(String name, String pool) {
        checkUser(name, pool);
        CreatedUser created = newUser(name, pool);
        store.putUser(created.user());
        sync.reload();
        return created;
    }

    List<CreatedUser> addUsers(List<NewUser> users) {
        users.forEach(user -> checkUser(user.name(), user.pool()));
        List<CreatedUser> created = users.stream().map(user -> newUser(user.name(), user.pool())).toList();
        store.putUsers(created.stream().map(CreatedUser::user).toList());
        sync.reload();
        return created;
    }

    private static void checkUser(String name, String pool) {
        if (name == null || name.isBlank() || name.length() > InputRules.MAX_NAME) {
            throw RotorException.badParam("name", "A user needs a name of 1 to " + InputRules.MAX_NAME + " characters.");
        }
        InputRules.pool(pool);
    }

    private CreatedUser newUser(String name, String pool) {
        String apiKey = Keys.newApiKey("rk-");
        return new CreatedUser(new User(Keys.newId("usr"), name.trim(), Keys.hash(apiKey), pool, clock.instant()),
                apiKey);
    }

    List<User> users() {
        return registry.users().stream().sorted(Comparator.comparing(User::createdAt,
                Comparator.nullsFirst(Comparator.naturalOrder()))).toList();
    }

    void removeUser(String id) {
        if (registry.users().stream().noneMatch(user -> user.id().equals(id)) || !store.removeUser(id)) {
            throw notFound("user", id);
        }
        sync.reload();
    }

    // ---------------------------------------------------------------- pools

    List<PoolInfo> pools() {
        TreeSet<String> names = new TreeSet<>();
        names.add(Account.DEFAULT_POOL);
        registry.all().forEach(live -> names.add(live.account().pool()));
        registry.users().forEach(user -> names.add(user.pool()));
        names.addAll(registry.poolNames());
        return names.stream().map(this::poolInfo).toList();
    }

    PoolInfo updatePool(String name, PoolUpdate update) {
        InputRules.pool(name);
        if (name == null) {
            throw RotorException.badParam("name", "A pool needs a name.");
        }
        InputRules.check(update);
        Pool current = registry.poolSettings(name);
        store.putPool(new Pool(name,
                update.strategy() != null ? update.strategy() : current.strategy(),
                update.perAccount() != null ? update.perAccount() : current.perAccount(),
                update.windowMs() != null ? update.windowMs() : current.windowMs(),
                update.cooldownMs() != null ? update.cooldownMs() : current.cooldownMs(),
                update.maxRetries() != null ? update.maxRetries() : current.maxRetries()));
        sync.reload();
        return poolInfo(name);
    }

    private PoolInfo poolInfo(String name) {
        PoolPolicy policy = settings.policyFor(registry.poolSettings(name));
        String active = strategies.activeName(policy.strategy());
        String note = active.equals(policy.strategy()) ? null
                : "strategy '" + policy.strategy() + "' is not installed; using " + active;
        long now = clock.millis();
        List<LiveAccount> accounts = registry.pool(name);
        int available = (int) accounts.stream().filter(live -> live.isAvailable(now, policy)).count();
        int users = (int) registry.users().stream().filter(user -> user.pool().equals(name)).count();
        return new PoolInfo(name, policy.strategy(), active, note, policy.perAccount(), policy.windowMs(),
                policy.cooldownMs(), policy.maxRetries(), accounts.size(), available, users);
    }

    // ---------------------------------------------------------------- the Gemini seed's multi-user endpoints

    ConfigUpdate configUpdate(String userKey, NewAccount request) {
        requireUserKey(userKey);
        Upstream upstream = prepare(request);
        User user = registry.userByKeyHash(Keys.hash(userKey));
        if (user != null) {
            List<LiveAccount> pool = registry.pool(user.pool());
            if (pool.size() >= settings.maxPerUser()) {
                throw RotorException.badParam("apiKey", "This user already has " + pool.size()
                        + " credentials, the maximum (accounts.maxPerUser = " + settings.maxPerUser() + ").");
            }
            String identity = identity(upstream, request.email(), request.secrets());
            for (LiveAccount live : pool) {
                Account existing = live.account();
                if (existing.upstream().equals(upstream.name())
                        && identity.equals(identity(upstream, existing.email(), decryptQuietly(existing)))) {
                    throw RotorException.badParam(null, "This user already has this credential (account "
                            + existing.id() + ").");
                }
            }
        }
        boolean created = user == null;
        if (created) {
            String id = Keys.newId("usr");
            String pool = "user-" + id.substring(id.lastIndexOf('_') + 1);
            store.putPool(new Pool(pool, USER_POOL_STRATEGY, null, null, null, null));
            user = new User(id, "user " + id, Keys.hash(userKey.trim()), pool, clock.instant());
            store.putUser(user);
            sync.reload();
        }
        Account account = store(upstream, request, user.pool());
        return new ConfigUpdate(user, created, account);
    }

    String rotate(String userKey) {
        requireUserKey(userKey);
        User user = registry.userByKeyHash(Keys.hash(userKey.trim()));
        if (user == null) {
            throw new RotorException(ErrorCode.NOT_FOUND, "No user has this API key.", null, "apiKey", null);
        }
        PoolPolicy policy = settings.policyFor(registry.poolSettings(user.pool()));
        String next = registry.index(user.pool()).rotate(strategies.forPool(policy), policy,
                new PickRequest(null, user.id(), user.pool(), 0), clock.millis());
        if (next == null) {
            throw new RotorException(ErrorCode.NO_AVAILABLE_ACCOUNTS,
                    "Pool '" + user.pool() + "' has no account available to rotate to.");
        }
        return next;
    }

    Map<String, String> settings() {
        Map<String, String> visible = new LinkedHashMap<>();
        store.snapshot().settings().forEach((key, value) -> {
            if (!key.toLowerCase().contains("hash") && !key.toLowerCase().contains("key")) {
                visible.put(key, value);
            }
        });
        return visible;
    }

    // ---------------------------------------------------------------- helpers

    private void requireCredential(Upstream upstream, NewAccount request) {
        switch (upstream.type()) {
            case "openai" -> requireSecret(request, Account.SECRET_API_KEY, "apiKey");
            case "k2think" -> {
                if (request.email() == null || request.email().isBlank()) {
                    throw RotorException.badParam("email", "A k2think account needs an email.");
                }
                requireSecret(request, Account.SECRET_PASSWORD, "password");
                boolean duplicate = registry.all().stream().map(LiveAccount::account).anyMatch(a ->
                        a.upstream().equals(upstream.name()) && request.email().equalsIgnoreCase(a.email()));
                if (duplicate) {
                    throw RotorException.badParam("email", "An account with this email already exists.");
                }
            }
            case "gemini-code-assist" -> {
                requireSecret(request, Account.SECRET_CREDENTIAL, "credential");
                JsonNode credential = parseCredential(request.secrets().get(Account.SECRET_CREDENTIAL));
                if (!credential.path("refresh_token").isTextual() || credential.path("refresh_token").asText().isBlank()) {
                    throw RotorException.badParam("credential", "The credential needs a 'refresh_token'.");
                }
            }
            default -> {
                if (request.secrets().isEmpty()) {
                    throw RotorException.badParam(null, "The account needs a credential.");
                }
            }
        }
    }

    private static void requireSecret(NewAccount request, String field, String param) {
        String value = request.secrets().get(field);
        if (value == null || value.isBlank()) {
            throw RotorException.badParam(param, "Missing '" + param + "' for this upstream.");
        }
    }

    private static JsonNode parseCredential(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || !node.isObject()) {
                throw RotorException.badParam("credential", "The credential must be a JSON object.");
            }
            return node;
        } catch (IOException e) {
            throw RotorException.badParam("credential", "The credential must be a JSON object.");
        }
    }

    /** What makes two credentials the same, whatever else differs (an access token, a name). */
    private static String identity(Upstream upstream, String email, Map<String, String> secrets) {
        return switch (upstream.type()) {
            case "k2think" -> String.valueOf(email).toLowerCase();
            case "gemini-code-assist" -> {
                String credential = secrets.get(Account.SECRET_CREDENTIAL);
                try {
                    yield credential == null ? "" : JSON.readTree(credential).path("refresh_token").asText();
                } catch (IOException e) {
                    yield credential;
                }
            }
            default -> Objects.toString(secrets.get(Account.SECRET_API_KEY), "") + Objects.toString(
                    secrets.get(Account.SECRET_CREDENTIAL), "");
        };
    }

    private void validateNew(Upstream upstream, String id, NewAccount request) {
        UpstreamAdapter adapter = adapters.get(upstream.type());
        if (adapter == null) {
            LOG.log(System.Logger.Level.WARNING, "no adapter for upstream type ''{0}'' is installed; adding the"
                    + " account without validating it", upstream.type());
            return;
        }
        String refusal;
        try {
            refusal = adapter.validate(new UpstreamCall(upstream, id, request.email(), request.secrets(),
                    Endpoint.MODELS, null, false, new byte[0]));
        } catch (IOException e) {
            throw new RotorException(ErrorCode.UPSTREAM_ERROR,
                    "Cannot validate the credential: upstream '" + upstream.name() + "' is unreachable ("
                            + e.getClass().getSimpleName() + "). Retry, or add it without validation.");
        }
        if (refusal != null) {
            throw RotorException.badParam(null, "The upstream refused the credential: " + refusal);
        }
    }

    Map<String, String> decrypt(Account account) {
        Map<String, String> plain = new HashMap<>();
        account.secrets().forEach((field, ciphertext) ->
                plain.put(field, cipher.decrypt(ciphertext, account.id(), account.encryptionKeyId())));
        return plain;
    }

    private Map<String, String> decryptQuietly(Account account) {
        try {
            return decrypt(account);
        } catch (RotorException e) {
            return Map.of();
        }
    }

    private Account storedAccount(String id) {
        return store.snapshot().accounts().stream().filter(a -> a.id().equals(id)).findFirst()
                .orElseThrow(() -> notFound("account", id));
    }

    private LiveAccount live(String id) {
        LiveAccount live = id == null ? null : registry.account(id);
        if (live == null) {
            throw notFound("account", id);
        }
        return live;
    }

    private static void requireUserKey(String userKey) {
        if (userKey == null || userKey.isBlank()) {
            throw RotorException.badParam("apiKey", "Missing 'apiKey'.");
        }
        if (userKey.trim().length() < 8 || userKey.length() > 512) {
            throw RotorException.badParam("apiKey", "'apiKey' must be 8 to 512 characters.");
        }
    }

    private static RotorException notFound(String kind, String id) {
        return new RotorException(ErrorCode.NOT_FOUND, "No " + kind + " with id '" + id + "'.");
    }
}

package io.rotor.core.engine.internal;

import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.Pool;
import io.rotor.api.StoreSnapshot;
import io.rotor.api.User;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-memory state the hot path reads: live accounts grouped by pool, users by key hash, and
 * pool overrides. It is replaced wholesale from store snapshots (copy-on-write), so request
 * threads never lock it and never wait on disk.
 */
final class AccountRegistry {

    private record State(Map<String, LiveAccount> byId, Map<String, List<LiveAccount>> byPool,
            Map<String, User> usersByKeyHash, Map<String, Pool> pools, Map<String, String> settings) {
    }

    private final AtomicLong nextOrder = new AtomicLong();
    private volatile State state = new State(Map.of(), Map.of(), Map.of(), Map.of(), Map.of());
    /** One index per pool name ever seen; an index outlives reloads, so its selectors and locks do too. */
    private final Map<String, PoolIndex> indexes = new ConcurrentHashMap<>();

    /** Adopts a store snapshot, keeping the live counters of accounts it already knows. */
    synchronized void load(StoreSnapshot snapshot) {
        Map<String, LiveAccount> previous = state.byId();
        Map<String, LiveAccount> byId = new HashMap<>();
        Set<String> changedPools = new HashSet<>();
        List<Account> accounts = new ArrayList<>(snapshot.accounts());
        accounts.sort(Comparator.comparing((Account a) -> a.createdAt() == null ? java.time.Instant.EPOCH : a.createdAt())
                .thenComparing(Account::id));
        for (Account account : accounts) {
            LiveAccount live = previous.get(account.id());
            if (live == null) {
                live = new LiveAccount(account, nextOrder.getAndIncrement());
                changedPools.add(account.pool());
            } else {
                String poolBefore = live.account().pool();
                if (live.refresh(account)) {
                    changedPools.add(poolBefore);
                    changedPools.add(account.pool());
                }
            }
            byId.put(account.id(), live);
        }
        Map<String, List<LiveAccount>> byPool = new HashMap<>();
        byId.values().stream().sorted(Comparator.comparingLong(LiveAccount::order))
                .forEach(live -> byPool.computeIfAbsent(live.account().pool(), p -> new ArrayList<>()).add(live));
        byPool.replaceAll((pool, list) -> List.copyOf(list));
        Set<String> poolNames = new HashSet<>(indexes.keySet());
        poolNames.addAll(byPool.keySet());
        for (String pool : poolNames) {
            PoolIndex index = index(pool);
            List<LiveAccount> members = byPool.getOrDefault(pool, List.of());
            members.forEach(live -> live.index(index));
            index.update(members, changedPools.contains(pool));
        }
        Map<String, User> users = new HashMap<>();
        snapshot.users().forEach(user -> users.put(user.keyHash(), user));
        Map<String, Pool> pools = new HashMap<>();
        snapshot.pools().forEach(pool -> pools.put(pool.name(), pool));
        state = new State(Map.copyOf(byId), Map.copyOf(byPool), Map.copyOf(users), Map.copyOf(pools),
                snapshot.settings());
    }

    /** Returns the index of a pool's accounts (empty if it has none). */
    PoolIndex index(String pool) {
        return indexes.computeIfAbsent(pool, PoolIndex::new);
    }

    /** Makes every pool's next pick look at all its accounts again, after a change made to many at once. */
    void markAllStale() {
        indexes.values().forEach(PoolIndex::markStale);
    }

    /** Returns the live accounts of a pool in their stable order (empty if none). */
    List<LiveAccount> pool(String name) {
        return state.byPool().getOrDefault(name, List.of());
    }

    LiveAccount account(String id) {
        return state.byId().get(id);
    }

    List<LiveAccount> all() {
        return List.copyOf(state.byId().values());
    }

    User userByKeyHash(String keyHash) {
        return state.usersByKeyHash().get(keyHash);
    }

    List<User> users() {
        return List.copyOf(state.usersByKeyHash().values());
    }

    Pool poolSettings(String name) {
        Pool pool = state.pools().get(name);
        return pool != null ? pool : Pool.named(name);
    }

    /** Names of the pools that have stored settings. */
    Set<String> poolNames() {
        return state.pools().keySet();
    }

    String setting(String key) {
        return state.settings().get(key);
    }

    /** Collects the runtime changes of every account since the last call. */
    List<AccountRuntime> drainRuntimes() {
        List<AccountRuntime> changed = new ArrayList<>();
        for (LiveAccount live : state.byId().values()) {
            AccountRuntime runtime = live.drainRuntime();
            if (runtime != null) {
                changed.add(runtime);
            }
        }
        return changed;
    }
}

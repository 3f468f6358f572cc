package io.rotor.core.engine.internal;

import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStore;
import io.rotor.api.Pool;
import io.rotor.api.StoreSnapshot;
import io.rotor.api.User;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An AccountStore kept in memory, for engine tests that are not about storage. */
final class MemoryAccountStore implements AccountStore {

    private final Map<String, Account> accounts = new LinkedHashMap<>();
    private final Map<String, User> users = new LinkedHashMap<>();
    private final Map<String, Pool> pools = new LinkedHashMap<>();
    private final Map<String, String> settings = new LinkedHashMap<>();
    private long revision;
    int runtimeWrites;
    boolean failNextRuntimeWrite;
    /** When set, a statistics write waits for it while holding the store's lock, as a store stuck on a slow disk. */
    volatile java.util.concurrent.CountDownLatch runtimeWriteGate;
    final java.util.concurrent.CountDownLatch runtimeWriteStarted = new java.util.concurrent.CountDownLatch(1);

    @Override
    public synchronized StoreSnapshot snapshot() {
        return new StoreSnapshot(List.copyOf(accounts.values()), List.copyOf(users.values()),
                List.copyOf(pools.values()), settings, revision);
    }

    @Override
    public synchronized long revision() {
        return revision;
    }

    @Override
    public synchronized void putAccount(Account account) {
        accounts.put(account.id(), account);
        revision++;
    }

    @Override
    public synchronized boolean removeAccount(String id) {
        revision++;
        return accounts.remove(id) != null;
    }

    @Override
    public synchronized void putUser(User user) {
        users.put(user.id(), user);
        revision++;
    }

    @Override
    public synchronized boolean removeUser(String id) {
        revision++;
        return users.remove(id) != null;
    }

    @Override
    public synchronized void putPool(Pool pool) {
        pools.put(pool.name(), pool);
        revision++;
    }

    @Override
    public synchronized void putSetting(String key, String value) {
        if (value == null) {
            settings.remove(key);
        } else {
            settings.put(key, value);
        }
        revision++;
    }

    @Override
    public synchronized void saveRuntime(Collection<AccountRuntime> runtimes) {
        java.util.concurrent.CountDownLatch gate = runtimeWriteGate;
        if (gate != null) {
            runtimeWriteStarted.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failNextRuntimeWrite) {
            failNextRuntimeWrite = false;
            throw new IllegalStateException("disk full");
        }
        for (AccountRuntime runtime : runtimes) {
            Account account = accounts.get(runtime.id());
            if (account != null) {
                Account updated = account.withRuntime(runtime.stats(), runtime.rateLimit(), runtime.lastUsed());
                if (runtime.status() != null) {
                    updated = updated.withStatus(runtime.status(), runtime.statusReason());
                }
                accounts.put(runtime.id(), updated);
            }
        }
        runtimeWrites++;
        revision++;
    }
}

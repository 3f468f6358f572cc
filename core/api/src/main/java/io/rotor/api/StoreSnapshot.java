package io.rotor.api;

import java.util.List;
import java.util.Map;

/**
 * A consistent view of everything a store holds.
 *
 * @param settings free-form settings (the seed's {@code settings{…}}), values as strings
 * @param revision changes whenever the stored data changes, also when another process changed it
 */
public record StoreSnapshot(List<Account> accounts, List<User> users, List<Pool> pools,
        Map<String, String> settings, long revision) {

    public StoreSnapshot {
        accounts = List.copyOf(accounts);
        users = List.copyOf(users);
        pools = List.copyOf(pools);
        settings = Map.copyOf(settings);
    }
}

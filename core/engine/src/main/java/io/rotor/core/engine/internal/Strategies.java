package io.rotor.core.engine.internal;

import io.rotor.api.RotationStrategy;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The installed rotation strategies by name, and the fallback when a pool names one that is not installed. */
final class Strategies {

    private static final System.Logger LOG = System.getLogger(Strategies.class.getName());
    /** Used when not even round-robin is installed: the first account in the pool's order. */
    private static final RotationStrategy FIRST = (candidates, request) -> candidates.get(0).id();

    private final Map<String, RotationStrategy> byName = new ConcurrentHashMap<>();
    private final Set<String> reportedMissing = ConcurrentHashMap.newKeySet();

    void add(String name, RotationStrategy strategy) {
        byName.put(name, strategy);
        reportedMissing.remove(name);
    }

    void remove(RotationStrategy strategy) {
        byName.values().remove(strategy);
    }

    boolean isInstalled(String name) {
        return byName.containsKey(name);
    }

    /** Returns the strategy a pool set to {@code name} actually uses now. */
    String activeName(String name) {
        if (byName.containsKey(name)) {
            return name;
        }
        return byName.containsKey(EngineSettings.DEFAULT_STRATEGY) ? EngineSettings.DEFAULT_STRATEGY : "first-available";
    }

    /** Returns the named strategy, or the fallback, saying once in the log why. */
    RotationStrategy forPool(PoolPolicy policy) {
        RotationStrategy strategy = byName.get(policy.strategy());
        if (strategy != null) {
            return strategy;
        }
        if (reportedMissing.add(policy.strategy())) {
            LOG.log(System.Logger.Level.WARNING, "strategy ''{0}'' of pool ''{1}'' is not installed; using {2}",
                    policy.strategy(), policy.name(), activeName(policy.strategy()));
        }
        RotationStrategy fallback = byName.get(EngineSettings.DEFAULT_STRATEGY);
        return fallback != null ? fallback : FIRST;
    }
}

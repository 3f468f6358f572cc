package io.rotor.launcher;

import io.rotor.api.PoolInfo;
import io.rotor.api.PoolUpdate;
import io.rotor.api.Views;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pools", mixinStandardHelpOptions = true, description = "Show and change pool settings.",
        subcommands = {PoolsCommand.ListPools.class, PoolsCommand.Set.class})
final class PoolsCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List pools with their effective settings and how many accounts are available now.")
    static final class ListPools implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Option(names = "--json", description = "Print JSON ({\"data\": [...]}).")
        boolean json;

        @Override
        public Integer call() {
            List<PoolInfo> pools = config.withAdmin(admin -> admin.pools());
            System.out.println(json ? CliOutput.poolsJson(pools) : CliOutput.poolsTable(pools));
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Change a pool's settings (creating the pool's entry if needed). Keys: " + Set.KEYS + ".")
    static final class Set implements Callable<Integer> {
        static final String KEYS = "strategy, perAccount, windowMs, cooldownMs, maxRetries";

        @Mixin
        ConfigOption config;
        @Parameters(index = "0", paramLabel = "NAME", description = "The pool.")
        String name;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "key=value",
                description = "Settings, e.g. strategy=least-used perAccount=5 cooldownMs=10000.")
        List<String> assignments;
        @Option(names = "--json", description = "Print the pool as JSON.")
        boolean json;

        @Override
        public Integer call() {
            PoolUpdate update = parse(assignments);
            PoolInfo pool = config.withAdmin(admin -> admin.updatePool(name, update));
            System.out.println(json ? CliOutput.json(Views.pool(pool))
                    : "Updated pool " + pool.name() + ".\n" + CliOutput.poolsTable(List.of(pool)));
            return 0;
        }

        /**
         * Turns {@code key=value} arguments into a pool update.
         *
         * @throws IllegalArgumentException for an unknown key, a key given twice, or a value that is not a number
         */
        static PoolUpdate parse(List<String> assignments) {
            Map<String, String> values = new HashMap<>();
            for (String assignment : assignments) {
                int eq = assignment.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("expected key=value, got '" + assignment + "' (keys: " + KEYS
                            + ")");
                }
                String key = assignment.substring(0, eq).trim();
                if (!List.of(KEYS.split(", ")).contains(key)) {
                    throw new IllegalArgumentException("unknown pool setting '" + key + "' (keys: " + KEYS + ")");
                }
                if (values.put(key, assignment.substring(eq + 1).trim()) != null) {
                    throw new IllegalArgumentException("pool setting '" + key + "' given twice");
                }
            }
            String strategy = values.get("strategy");
            if (strategy != null && strategy.isEmpty()) {
                throw new IllegalArgumentException("strategy needs a name");
            }
            Long perAccount = number(values, "perAccount");
            Long maxRetries = number(values, "maxRetries");
            return new PoolUpdate(strategy, toInt("perAccount", perAccount), number(values, "windowMs"),
                    number(values, "cooldownMs"), toInt("maxRetries", maxRetries));
        }

        private static Long number(Map<String, String> values, String key) {
            String value = values.get(key);
            if (value == null) {
                return null;
            }
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be a whole number, got '" + value + "'");
            }
        }

        private static Integer toInt(String key, Long value) {
            if (value != null && (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE)) {
                throw new IllegalArgumentException(key + " is out of range: " + value);
            }
            return value == null ? null : value.intValue();
        }
    }
}

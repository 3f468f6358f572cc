package io.rotor.api;

import java.util.List;
import java.util.Map;

/**
 * One declared upstream ({@code upstream.NAME.*} in the config file).
 *
 * @param name the upstream's name, which accounts refer to
 * @param type the adapter type that speaks its protocol ({@code openai}, {@code k2think}, …)
 * @param baseUrl base URL; for {@code openai} it includes {@code /v1}
 * @param models the models it serves; {@code ["*"]} for any
 * @param properties every {@code upstream.NAME.*} key, without the prefix
 */
public record Upstream(String name, String type, String baseUrl, List<String> models,
        Map<String, String> properties) {

    public Upstream {
        models = List.copyOf(models);
        properties = Map.copyOf(properties);
    }

    /** Returns true if this upstream serves {@code model}. */
    public boolean serves(String model) {
        return models.contains("*") || models.contains(model);
    }
}

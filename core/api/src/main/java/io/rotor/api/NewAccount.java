package io.rotor.api;

import java.util.List;
import java.util.Map;

/**
 * An account to add, with its plaintext secrets (encrypted by the engine before storing).
 *
 * @param secrets secret field name ({@link Account#SECRET_API_KEY}, …) to plaintext
 * @param validate whether to check the credential upstream first; null means the configured
 *        default ({@code accounts.autoValidateOnAdd})
 */
public record NewAccount(String upstream, String pool, String name, String email, Map<String, String> secrets,
        Integer priority, Integer weight, List<String> tags, Integer maxConcurrent, Boolean validate) {

    public NewAccount {
        secrets = secrets == null ? Map.of() : Map.copyOf(secrets);
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    @Override
    public String toString() {
        return "NewAccount[upstream=" + upstream + ", pool=" + pool + "]";
    }
}

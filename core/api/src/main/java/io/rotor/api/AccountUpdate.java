package io.rotor.api;

import java.util.List;

/**
 * A change to an account's editable fields; a null field is left as it is. Secrets, ids, counters
 * and the upstream are not editable.
 *
 * @param status only {@code active}, {@code inactive} or {@code blocked}; the engine alone sets
 *        {@code rate-limited} and {@code invalid}
 */
public record AccountUpdate(String name, Integer priority, Integer weight, List<String> tags, AccountStatus status,
        String pool, Integer maxConcurrent) {

    public AccountUpdate {
        tags = tags == null ? null : List.copyOf(tags);
    }

    /** Returns true if nothing would change. */
    public boolean isEmpty() {
        return name == null && priority == null && weight == null && tags == null && status == null && pool == null
                && maxConcurrent == null;
    }
}

package io.rotor.api;

import java.util.Locale;

/** The status of an account, with the seed's wire names. */
public enum AccountStatus {
    ACTIVE("active"),
    INACTIVE("inactive"),
    BLOCKED("blocked"),
    RATE_LIMITED("rate-limited"),
    INVALID("invalid");

    private final String wireName;

    AccountStatus(String wireName) {
        this.wireName = wireName;
    }

    /** Returns the name used in files, JSON and the CLI, e.g. {@code rate-limited}. */
    public String wireName() {
        return wireName;
    }

    /**
     * Parses a wire name (case-insensitive).
     *
     * @throws IllegalArgumentException if the name is not a known status
     */
    public static AccountStatus parse(String wireName) {
        String wanted = wireName == null ? "" : wireName.trim().toLowerCase(Locale.ROOT);
        for (AccountStatus status : values()) {
            if (status.wireName.equals(wanted)) {
                return status;
            }
        }
        throw new IllegalArgumentException("unknown account status '" + wireName
                + "' (expected active, inactive, blocked, rate-limited or invalid)");
    }

    @Override
    public String toString() {
        return wireName;
    }
}

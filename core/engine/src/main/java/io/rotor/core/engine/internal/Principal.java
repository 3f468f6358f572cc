package io.rotor.core.engine.internal;

import io.rotor.api.Account;
import io.rotor.api.User;

/**
 * Who is making a request: a user, or the master key (which uses the {@code default} pool).
 *
 * @param user the user, or null for the master key
 */
record Principal(User user, String pool) {

    static Principal master() {
        return new Principal(null, Account.DEFAULT_POOL);
    }

    boolean isMaster() {
        return user == null;
    }

    String userId() {
        return user == null ? null : user.id();
    }
}

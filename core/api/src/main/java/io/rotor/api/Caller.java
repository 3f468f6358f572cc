package io.rotor.api;

/**
 * Who sent a request, as its key identifies it.
 *
 * @param user the user, or null for the master key
 */
public record Caller(User user) {

    public static final Caller MASTER = new Caller(null);

    public boolean isMaster() {
        return user == null;
    }

    /** The pool the caller's proxied requests use. */
    public String pool() {
        return user == null ? Account.DEFAULT_POOL : user.pool();
    }
}

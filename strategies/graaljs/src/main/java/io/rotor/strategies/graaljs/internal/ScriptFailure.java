package io.rotor.strategies.graaljs.internal;

/**
 * A script did not produce a usable pick. The message completes a sentence about the script
 * ("plugins/by-tag.js threw TypeError: …") and never carries a stack trace.
 */
final class ScriptFailure extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean permanent;
    private final boolean timeout;

    /** @param permanent true when this version of the script can never pick (it does not load) */
    ScriptFailure(String message, boolean permanent) {
        this(message, permanent, false);
    }

    /** @param timeout true when the script was stopped for running too long */
    ScriptFailure(String message, boolean permanent, boolean timeout) {
        super(message, null, false, false);
        this.permanent = permanent;
        this.timeout = timeout;
    }

    boolean permanent() {
        return permanent;
    }

    boolean timeout() {
        return timeout;
    }

    /** The same failure, not held against the script for good. */
    ScriptFailure notPermanent() {
        return new ScriptFailure(getMessage(), false, timeout);
    }
}

package io.rotor.strategies.graaljs.internal;

/**
 * A script did not produce a usable pick. The message completes a sentence about the script
 * ("plugins/by-tag.js threw TypeError: …") and never carries a stack trace.
 */
final class ScriptFailure extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean permanent;

    /** @param permanent true when this version of the script can never pick (it does not load) */
    ScriptFailure(String message, boolean permanent) {
        super(message, null, false, false);
        this.permanent = permanent;
    }

    boolean permanent() {
        return permanent;
    }
}

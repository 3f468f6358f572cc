package io.rotor.core.engine.internal;

import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;

/**
 * The pool's strategy returned null: it picks none of the accounts offered for this request (a
 * script may refuse a model to some users, for example). Not a failure of the strategy.
 */
final class PickDeclined extends RuntimeException {

    PickDeclined() {
        super(null, null, false, false);
    }

    /** What the client is told when no attempt was made at all. */
    static RotorException error(String pool, String strategy) {
        return new RotorException(ErrorCode.NO_AVAILABLE_ACCOUNTS, "The strategy '" + strategy + "' of pool '"
                + pool + "' picked none of the available accounts for this request.");
    }
}

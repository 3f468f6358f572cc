package io.rotor.api;

/**
 * The one error type of Rotor: a stable {@link ErrorCode}, a message safe to show to clients
 * (it never contains a secret), and where known the time after which a retry may succeed.
 */
public final class RotorException extends RuntimeException {

    private final ErrorCode code;
    private final Long retryAfterMs;
    private final String param;

    public RotorException(ErrorCode code, String message) {
        this(code, message, null, null, null);
    }

    public RotorException(ErrorCode code, String message, Throwable cause) {
        this(code, message, null, null, cause);
    }

    /**
     * @param retryAfterMs milliseconds until a retry may succeed, or null if unknown
     * @param param the request field at fault, or null
     */
    public RotorException(ErrorCode code, String message, Long retryAfterMs, String param, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.retryAfterMs = retryAfterMs;
        this.param = param;
    }

    public static RotorException retryAfter(ErrorCode code, String message, long retryAfterMs) {
        return new RotorException(code, message, Math.max(0, retryAfterMs), null, null);
    }

    public static RotorException badParam(String param, String message) {
        return new RotorException(ErrorCode.INVALID_REQUEST, message, null, param, null);
    }

    public ErrorCode code() {
        return code;
    }

    /** Milliseconds until a retry may succeed, or null if unknown. */
    public Long retryAfterMs() {
        return retryAfterMs;
    }

    /** The request field at fault, or null. */
    public String param() {
        return param;
    }
}

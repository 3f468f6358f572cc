package io.rotor.client;

import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;

/**
 * Why a request of the {@link RotorClient} failed, with the fields of the HTTP API's error object
 * (DESIGN §4): the contract's {@code code} ({@code NO_AVAILABLE_ACCOUNTS}, {@code RATE_LIMIT_EXCEEDED},
 * {@code upstream_error}, …, or the upstream's own code for an error it answered that is passed back),
 * the HTTP status the gateway would send, and where known the time until a retry may succeed.
 * Its message never contains a secret.
 */
public final class RotorClientException extends RuntimeException {

    private final int status;
    private final String code;
    private final String type;
    private final String param;
    private final Long retryAfterMs;
    private final String accountId;

    /**
     * @param retryAfterMs milliseconds until a retry may succeed, or null
     * @param accountId the account whose upstream answered with this error, or null if none did
     */
    public RotorClientException(int status, String code, String type, String message, String param, Long retryAfterMs,
            String accountId, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
        this.type = type;
        this.param = param;
        this.retryAfterMs = retryAfterMs;
        this.accountId = accountId;
    }

    /** The engine's refusal, with its code, status and retry time. */
    static RotorClientException of(RotorException error) {
        ErrorCode code = error.code();
        return new RotorClientException(code.httpStatus(), code.code(), code.type(),
                error.getMessage() != null ? error.getMessage() : code.code(), error.param(), error.retryAfterMs(), null,
                error);
    }

    /** A refusal before any request was sent (bad input), as the gateway answers it. */
    static RotorClientException invalidRequest(String param, String message) {
        return of(RotorException.badParam(param, message));
    }

    /** The HTTP status the gateway answers this error with, e.g. 429. */
    public int status() {
        return status;
    }

    /** The error's {@code code}, e.g. {@code NO_AVAILABLE_ACCOUNTS}; never null. */
    public String code() {
        return code;
    }

    /** True if this is the contract's error {@code errorCode}. */
    public boolean is(ErrorCode errorCode) {
        return errorCode.code().equals(code);
    }

    /** The OpenAI error {@code type}, e.g. {@code rate_limit_error}, or null if the upstream named none. */
    public String type() {
        return type;
    }

    /** The request field at fault, or null. */
    public String param() {
        return param;
    }

    /** Milliseconds until a retry may succeed ({@code retry_after_ms}), or null if unknown. */
    public Long retryAfterMs() {
        return retryAfterMs;
    }

    /** The account whose upstream answered with this error, or null if the request reached none. */
    public String accountId() {
        return accountId;
    }
}

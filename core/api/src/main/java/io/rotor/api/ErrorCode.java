package io.rotor.api;

/** Every failure Rotor reports, with its HTTP status, OpenAI error type and stable code. */
public enum ErrorCode {
    INVALID_API_KEY(401, "authentication_error", "invalid_api_key"),
    FORBIDDEN(403, "permission_error", "forbidden"),
    INVALID_REQUEST(400, "invalid_request_error", "invalid_request"),
    MODEL_NOT_FOUND(400, "invalid_request_error", "model_not_found"),
    NOT_FOUND(404, "invalid_request_error", "not_found"),
    METHOD_NOT_ALLOWED(405, "invalid_request_error", "method_not_allowed"),
    PAYLOAD_TOO_LARGE(413, "invalid_request_error", "payload_too_large"),
    NO_AVAILABLE_ACCOUNTS(429, "rate_limit_error", "NO_AVAILABLE_ACCOUNTS"),
    RATE_LIMIT_EXCEEDED(429, "rate_limit_error", "RATE_LIMIT_EXCEEDED"),
    UPSTREAM_ERROR(502, "upstream_error", "upstream_error"),
    UPSTREAM_TIMEOUT(504, "upstream_error", "upstream_timeout"),
    /** No key we have can read the secret (a wrong or missing key): nothing can be trusted to decrypt. */
    SECRET_UNREADABLE(500, "server_error", "secret_unreadable"),
    /** The key is right, but one account's ciphertext fails authentication: altered, or copied from another account. */
    SECRET_TAMPERED(500, "server_error", "secret_tampered"),
    STORE_ERROR(500, "server_error", "store_error"),
    INTERNAL(500, "server_error", "internal_error");

    private final int httpStatus;
    private final String type;
    private final String code;

    ErrorCode(int httpStatus, String type, String code) {
        this.httpStatus = httpStatus;
        this.type = type;
        this.code = code;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The OpenAI error {@code type}. */
    public String type() {
        return type;
    }

    /** The contract's {@code code}, e.g. {@code NO_AVAILABLE_ACCOUNTS}. */
    public String code() {
        return code;
    }
}

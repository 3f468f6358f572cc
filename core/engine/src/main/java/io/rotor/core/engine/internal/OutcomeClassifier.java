package io.rotor.core.engine.internal;

import io.rotor.api.UpstreamResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Classifies an upstream response or failure, reading cooldown hints from a 429. */
final class OutcomeClassifier {

    /** Enough of an error body to find a reset hint; error bodies are small. */
    private static final int HINT_BYTES = 8 * 1024;
    private static final Pattern BODY_HINT = Pattern.compile(
            "(?:try again in|retry after|reset after|retry in)\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|sec|seconds?)?\\b"
                    + "|\"retryDelay\"\\s*:\\s*\"(\\d+(?:\\.\\d+)?)s\"",
            Pattern.CASE_INSENSITIVE);

    private OutcomeClassifier() {
    }

    static Outcome classify(UpstreamResponse response, long now) throws IOException {
        int status = response.status();
        if (status >= 200 && status < 300) {
            return new Outcome.Served(response);
        }
        if (status == 429) {
            long retryAfter = retryAfterMs(response, now);
            response.close();
            return new Outcome.RateLimited(retryAfter);
        }
        if (status == 401 || status == 403) {
            response.close();
            return new Outcome.InvalidCredential("credential rejected by upstream (HTTP " + status + ")");
        }
        if (status == 408 || status >= 500) {
            response.close();
            return new Outcome.Failed("HTTP " + status, status == 408 || status == 504);
        }
        return new Outcome.Refused(response);
    }

    static Outcome classify(IOException failure) {
        boolean timeout = failure instanceof SocketTimeoutException
                || failure instanceof java.io.InterruptedIOException;
        String kind = failure.getClass().getSimpleName();
        return new Outcome.Failed(timeout ? "timeout" : "network error (" + kind + ")", timeout);
    }

    /** Returns the upstream's retry hint in ms, or 0 if it gave none. */
    static long retryAfterMs(UpstreamResponse response, long now) throws IOException {
        if (response.retryAfter() != null) {
            return response.retryAfter().toMillis();
        }
        String millis = response.header("retry-after-ms");
        if (millis != null) {
            try {
                return (long) Double.parseDouble(millis.trim());
            } catch (NumberFormatException ignored) {
                // fall through to the other hints
            }
        }
        String header = response.header("Retry-After");
        if (header != null) {
            long fromHeader = parseRetryAfter(header.trim(), now);
            if (fromHeader >= 0) {
                return fromHeader;
            }
        }
        return bodyHint(response.body());
    }

    /** Parses {@code Retry-After} as delta-seconds or an HTTP date; returns -1 if it is neither. */
    static long parseRetryAfter(String value, long now) {
        try {
            return Duration.ofSeconds(Long.parseLong(value)).toMillis();
        } catch (NumberFormatException e) {
            try {
                long at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
                return Math.max(0, at - now);
            } catch (DateTimeParseException notADate) {
                return -1;
            }
        }
    }

    private static long bodyHint(InputStream body) throws IOException {
        String text = new String(body.readNBytes(HINT_BYTES), StandardCharsets.UTF_8);
        Matcher matcher = BODY_HINT.matcher(text);
        if (!matcher.find()) {
            return 0;
        }
        if (matcher.group(3) != null) {
            return (long) (Double.parseDouble(matcher.group(3)) * 1000);
        }
        double amount = Double.parseDouble(matcher.group(1));
        return "ms".equalsIgnoreCase(matcher.group(2)) ? (long) amount : (long) (amount * 1000);
    }
}

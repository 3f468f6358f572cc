package io.rotor.plugins.support;

import io.rotor.api.UpstreamResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads how long an upstream asks to wait after a 429: Google's {@code "retryDelay": "53.1s"} and
 * "reset after 17h39m35s", "try again in 20s", {@code retry-after-ms} and {@code Retry-After}.
 */
public final class RetryHints {

    private static final Pattern RETRY_DELAY = Pattern.compile("\"retryDelay\"\\s*:\\s*\"(\\d+(?:\\.\\d+)?)s\"");
    /** One amount with its unit; the unit must not run on into a word ("5 months" is no hint). */
    private static final String AMOUNT = "(\\d+(?:\\.\\d+)?)\\s*(ms|h|m|s|sec|seconds?|minutes?|hours?)(?![a-zA-Z])";
    private static final Pattern PHRASE = Pattern.compile(
            "(?:reset after|try again in|retry after|retry in)\\s*((?:" + AMOUNT + "\\s*)+)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern PART = Pattern.compile(AMOUNT, Pattern.CASE_INSENSITIVE);

    private RetryHints() {
    }

    /**
     * Returns the longest wait the response names in its headers or in {@code errorBody}, or null
     * if it names none.
     */
    public static Duration of(UpstreamResponse response, byte[] errorBody, long nowMillis) {
        Duration best = fromBody(new String(errorBody, StandardCharsets.UTF_8));
        best = longer(best, fromHeaders(response.header("retry-after-ms"), response.header("Retry-After"), nowMillis));
        return best;
    }

    /** The wait named in an error body, or null. */
    public static Duration fromBody(String body) {
        Duration best = null;
        Matcher delay = RETRY_DELAY.matcher(body);
        while (delay.find()) {
            best = longer(best, Duration.ofMillis((long) (Double.parseDouble(delay.group(1)) * 1000)));
        }
        Matcher phrase = PHRASE.matcher(body);
        while (phrase.find()) {
            best = longer(best, compound(phrase.group(1)));
        }
        return best;
    }

    private static Duration fromHeaders(String millis, String retryAfter, long nowMillis) {
        if (millis != null) {
            try {
                return Duration.ofMillis((long) Double.parseDouble(millis.trim()));
            } catch (NumberFormatException ignored) {
                // fall through to Retry-After
            }
        }
        if (retryAfter == null) {
            return null;
        }
        try {
            return Duration.ofSeconds(Long.parseLong(retryAfter.trim()));
        } catch (NumberFormatException e) {
            try {
                long at = ZonedDateTime.parse(retryAfter.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()
                        .toEpochMilli();
                return Duration.ofMillis(Math.max(0, at - nowMillis));
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    /** "17h39m35s", "1.5 seconds", "250ms" → a duration. */
    static Duration compound(String text) {
        long millis = 0;
        Matcher part = PART.matcher(text);
        while (part.find()) {
            double amount = Double.parseDouble(part.group(1));
            String unit = part.group(2).toLowerCase(Locale.ROOT);
            double factor = switch (unit) {
                case "ms" -> 1;
                case "h", "hour", "hours" -> 3_600_000;
                case "m", "minute", "minutes" -> 60_000;
                default -> 1_000;
            };
            millis += (long) (amount * factor);
        }
        return Duration.ofMillis(millis);
    }

    private static Duration longer(Duration a, Duration b) {
        if (a == null) {
            return b;
        }
        return b == null || a.compareTo(b) >= 0 ? a : b;
    }
}

package io.rotor.plugins.k2think.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.HttpCall;
import io.rotor.api.Upstream;
import io.rotor.api.UpstreamHttp;
import io.rotor.api.UpstreamResponse;
import io.rotor.plugins.support.BaseUrls;
import io.rotor.plugins.support.OpenAiErrors;
import io.rotor.plugins.support.RetryHints;
import io.rotor.plugins.support.UpstreamRefusal;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Signs in to K2 Think with an email and a password: {@code POST /api/v1/auths/signin}. */
final class SignIn {

    static final String PATH = "/api/v1/auths/signin";
    /** The seed's lifetime for a token whose expiry is unknown. */
    static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(59);
    /** Sign in again a little before the token expires, so that it never expires during a request. */
    static final Duration EXPIRY_MARGIN = Duration.ofSeconds(60);
    private static final int MAX_BODY_BYTES = 1024 * 1024;
    private static final Pattern TOKEN_COOKIE = Pattern.compile("(?:^|;)\\s*token=([^;]+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final UpstreamHttp http;
    private final Clock clock;

    SignIn(UpstreamHttp http, Clock clock) {
        this.http = http;
        this.clock = clock;
    }

    /**
     * Signs in and returns the session token.
     *
     * @throws UpstreamRefusal 401 if K2 Think refused the email or password, 429 if it limits sign-ins, 5xx
     * @throws IOException if K2 Think could not be reached, or accepted the sign-in without giving a token
     */
    K2Token signIn(Upstream upstream, String email, String password) throws IOException, UpstreamRefusal {
        if (email == null || email.isBlank() || password == null || password.isEmpty()) {
            throw new UpstreamRefusal(401, "The k2think account has no email or password.");
        }
        ObjectNode credentials = JSON.createObjectNode().put("email", email).put("password", password);
        String base = BaseUrls.base(upstream, K2ThinkAdapter.DEFAULT_BASE_URL);
        HttpCall request = new HttpCall("POST", BaseUrls.uri(upstream, base, PATH),
                Map.of("Accept", List.of("application/json")), JSON.writeValueAsBytes(credentials),
                "application/json");
        try (UpstreamResponse response = http.execute(request)) {
            int status = response.status();
            if (status >= 200 && status < 300) {
                JsonNode body = OpenAiErrors.parse(response.body().readNBytes(MAX_BODY_BYTES));
                String token = tokenFrom(body, response);
                if (token == null) {
                    throw new IOException("K2 Think accepted the sign-in but sent no token");
                }
                return new K2Token(token, expiry(token, body));
            }
            byte[] error = OpenAiErrors.readErrorBody(response.body());
            // Open WebUI, which K2 Think runs on, answers a wrong password with 400; FastAPI a malformed one with 422.
            if (status == 400 || status == 401 || status == 403 || status == 422) {
                throw new UpstreamRefusal(401, "K2 Think refused the sign-in (HTTP " + status + ").");
            }
            if (status == 429) {
                throw new UpstreamRefusal(429, "K2 Think is limiting sign-ins (HTTP 429).",
                        RetryHints.of(response, error, clock.millis()));
            }
            throw new UpstreamRefusal(status >= 500 ? status : 502, "K2 Think sign-in failed (HTTP " + status + ").");
        }
    }

    private static String tokenFrom(JsonNode body, UpstreamResponse response) {
        if (body != null) {
            for (JsonNode candidate : List.of(body.path("token"), body.path("access_token"),
                    body.path("data").path("token"))) {
                if (candidate.isTextual() && !candidate.asText().isBlank()) {
                    return candidate.asText();
                }
            }
        }
        for (Map.Entry<String, List<String>> header : response.headers().entrySet()) {
            if (!header.getKey().equalsIgnoreCase("Set-Cookie")) {
                continue;
            }
            for (String cookie : header.getValue()) {
                Matcher matcher = TOKEN_COOKIE.matcher(cookie);
                if (matcher.find() && !matcher.group(1).isBlank()) {
                    return matcher.group(1).strip();
                }
            }
        }
        return null;
    }

    /** The JWT's {@code exp}, else the body's {@code expires_at} / {@code expires_in}, else 59 minutes. */
    private Instant expiry(String token, JsonNode body) {
        Instant now = clock.instant();
        Instant expires = Jwt.expiry(token);
        if (expires == null && body != null && body.path("expires_at").isNumber()) {
            expires = Instant.ofEpochSecond(body.path("expires_at").asLong());
        }
        if (expires == null && body != null && body.path("expires_in").isNumber()) {
            expires = now.plusSeconds(body.path("expires_in").asLong());
        }
        if (expires == null) {
            return now.plus(DEFAULT_LIFETIME);
        }
        Instant early = expires.minus(EXPIRY_MARGIN);
        return early.isAfter(now) ? early : expires;
    }
}

package io.rotor.plugins.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.HttpCall;
import io.rotor.api.Upstream;
import io.rotor.api.UpstreamHttp;
import io.rotor.api.UpstreamResponse;
import io.rotor.plugins.support.BaseUrls;
import io.rotor.plugins.support.OpenAiErrors;
import io.rotor.plugins.support.RetryHints;
import io.rotor.plugins.support.UpstreamRefusal;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/** Trades a refresh token for an access token at Google's OAuth token endpoint. */
final class GoogleOAuth {

    static final String DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token";
    /**
     * The Gemini CLI's installed-app OAuth client, used for credentials that do not name their own.
     * Google documents that an installed app's client secret is not treated as a secret.
     */
    static final String GEMINI_CLI_CLIENT_ID = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com";
    static final String GEMINI_CLI_CLIENT_SECRET = "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";
    private static final int MAX_BODY_BYTES = 256 * 1024;

    private final UpstreamHttp http;
    private final Clock clock;

    GoogleOAuth(UpstreamHttp http, Clock clock) {
        this.http = http;
        this.clock = clock;
    }

    /**
     * Refreshes the credential's access token.
     *
     * @throws UpstreamRefusal 401 if Google refused the refresh token ({@code invalid_grant}, …), 429, 5xx
     * @throws IOException if the token endpoint could not be reached or answered nonsense
     */
    AccessToken refresh(Upstream upstream, OAuthCredential credential) throws IOException, UpstreamRefusal {
        // A refresh token is bound to the client that obtained it: the credential's own client comes first.
        String clientId = credential.clientId() != null ? credential.clientId()
                : BaseUrls.property(upstream, "clientId", GEMINI_CLI_CLIENT_ID);
        String clientSecret = credential.clientSecret() != null ? credential.clientSecret()
                : BaseUrls.property(upstream, "clientSecret", GEMINI_CLI_CLIENT_SECRET);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("client_id", clientId);
        form.put("client_secret", clientSecret);
        form.put("refresh_token", credential.refreshToken());
        form.put("grant_type", "refresh_token");
        URI tokenUrl = BaseUrls.uri(upstream, BaseUrls.url(upstream, "tokenUrl", DEFAULT_TOKEN_URL), "");
        HttpCall request = new HttpCall("POST", tokenUrl, Map.of("Accept", List.of("application/json")),
                encode(form), "application/x-www-form-urlencoded");
        try (UpstreamResponse response = http.execute(request)) {
            int status = response.status();
            byte[] raw = response.body().readNBytes(MAX_BODY_BYTES);
            JsonNode body = OpenAiErrors.parse(raw);
            if (status >= 200 && status < 300) {
                if (body == null || !body.path("access_token").isTextual()) {
                    throw new IOException("Google's token endpoint answered without an access_token");
                }
                long expiresIn = body.path("expires_in").asLong(3600);
                return new AccessToken(body.path("access_token").asText(), clock.instant().plusSeconds(expiresIn));
            }
            String error = body != null && body.path("error").isTextual() ? body.path("error").asText() : null;
            if (status == 400 || status == 401 || status == 403) {
                // invalid_grant: revoked or expired; invalid_client / unauthorized_client: issued to another client.
                throw new UpstreamRefusal(401, "Google refused the refresh token (HTTP " + status
                        + (error != null ? ", " + error : "") + ").");
            }
            if (status == 429) {
                throw new UpstreamRefusal(429, "Google's token endpoint is rate-limiting (HTTP 429).",
                        RetryHints.of(response, raw, clock.millis()));
            }
            throw new UpstreamRefusal(status >= 500 ? status : 502,
                    "Google's token endpoint failed (HTTP " + status + ").");
        }
    }

    private static byte[] encode(Map<String, String> form) {
        StringJoiner joined = new StringJoiner("&");
        form.forEach((name, value) -> joined.add(URLEncoder.encode(name, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return joined.toString().getBytes(StandardCharsets.UTF_8);
    }
}

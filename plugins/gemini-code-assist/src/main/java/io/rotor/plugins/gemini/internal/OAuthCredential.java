package io.rotor.plugins.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rotor.plugins.support.UpstreamRefusal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * The Gemini CLI's {@code oauth_creds.json}: a refresh token, optionally the OAuth client it was
 * issued to, a last access token with its {@code expiry_date} (epoch milliseconds), and, a Rotor
 * addition, {@code project_id} to use a Code Assist project instead of discovering one.
 *
 * @param key identifies the credential in caches without holding it: a hash of the refresh token
 */
record OAuthCredential(String refreshToken, String clientId, String clientSecret, String accessToken,
        Instant expiry, String project, String key) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Parses a stored credential.
     *
     * @throws UpstreamRefusal 401 if it is no JSON object or has no refresh token: the account cannot be used
     */
    static OAuthCredential parse(String json) throws UpstreamRefusal {
        JsonNode node;
        try {
            node = json == null ? null : JSON.readTree(json);
        } catch (IOException e) {
            node = null;
        }
        if (node == null || !node.isObject()) {
            throw new UpstreamRefusal(401, "The gemini-code-assist credential is not a JSON object.");
        }
        String refreshToken = text(node, "refresh_token");
        if (refreshToken == null) {
            throw new UpstreamRefusal(401, "The gemini-code-assist credential has no refresh_token.");
        }
        Instant expiry = node.path("expiry_date").isNumber() ? Instant.ofEpochMilli(node.path("expiry_date").asLong())
                : null;
        String project = text(node, "project_id");
        if (project == null) {
            project = text(node, "projectId");
        }
        return new OAuthCredential(refreshToken, text(node, "client_id"), text(node, "client_secret"),
                text(node, "access_token"), expiry, project, hash(refreshToken));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() && !value.asText().isBlank() ? value.asText().strip() : null;
    }

    private static String hash(String refreshToken) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(refreshToken.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "OAuthCredential[key=" + key + ", project=" + project + "]";
    }
}

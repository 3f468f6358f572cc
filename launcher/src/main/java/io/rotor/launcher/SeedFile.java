package io.rotor.launcher;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rotor.api.Account;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.RateLimitState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A seed-format {@code accounts.json}, as the Node.js K2 Think tool writes it, read with the key that
 * encrypted it. Its passwords are AES-256-GCM ciphertexts {@code base64(iv):base64(ct):base64(tag)}
 * with a 16-byte IV and no associated data.
 */
final class SeedFile {

    /** An account as the seed file holds it, with its password decrypted. */
    record Entry(Account account, Map<String, String> plainSecrets) {
        @Override
        public String toString() {
            return "Entry[" + account + "]";
        }
    }

    static final String DEFAULT_UPSTREAM = "k2think";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SeedFile() {
    }

    /**
     * Parses an encryption key given as 64 hex characters.
     *
     * @throws IllegalArgumentException if it is not 64 hex characters (the message never contains the key)
     */
    static byte[] parseKey(String hex, String what) {
        String trimmed = hex == null ? "" : hex.trim();
        if (!trimmed.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException(what + " must be 64 hex characters (32 bytes)");
        }
        return HexFormat.of().parseHex(trimmed);
    }

    /**
     * Reads every account of the file and decrypts its password; all or nothing.
     *
     * @throws IllegalArgumentException with a one-line reason if the file is not a seed file, an account is
     *         malformed, or a password does not decrypt with {@code oldKey}
     */
    static List<Entry> read(Path file, byte[] oldKey) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("file not found: " + file.toAbsolutePath());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not valid JSON (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        JsonNode accounts = root == null ? null : root.get("accounts");
        if (accounts == null || !accounts.isArray()) {
            throw new IllegalArgumentException(file + " is not a seed-format accounts.json (no \"accounts\" list)");
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < accounts.size(); i++) {
            entries.add(entry(accounts.get(i), i, oldKey));
        }
        return entries;
    }

    private static Entry entry(JsonNode node, int index, byte[] oldKey) {
        String id = text(node, "id");
        String where = id == null ? "account #" + (index + 1) : "account " + id;
        if (id == null || id.length() > 200) {
            throw new IllegalArgumentException(where + " has no valid \"id\"");
        }
        String password = text(node, "password");
        if (password == null) {
            throw new IllegalArgumentException(where + " has no \"password\"");
        }
        String plain = decrypt(password, oldKey, where);
        JsonNode stats = node.path("stats");
        JsonNode rateLimit = node.path("rateLimit");
        JsonNode metadata = node.path("metadata");
        List<String> tags = new ArrayList<>();
        metadata.path("tags").forEach(tag -> tags.add(tag.asText()));
        AccountStatus status;
        try {
            status = text(node, "status") == null ? AccountStatus.ACTIVE : AccountStatus.parse(text(node, "status"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
        String upstream = text(node, "upstream");
        Account account = new Account(id, upstream == null ? DEFAULT_UPSTREAM : upstream, text(node, "pool"),
                text(metadata, "name"), status, null, node.path("priority").asInt(1),
                node.path("weight").asInt(1), tags, 0, instant(node, "createdAt", where),
                instant(node, "lastUsed", where), text(node, "email"), Map.of(), null,
                new AccountStats(stats.path("totalRequests").asLong(), stats.path("successfulRequests").asLong(),
                        stats.path("failedRequests").asLong(), stats.path("rateLimitHits").asLong(),
                        instant(stats, "lastRequestAt", where)),
                new RateLimitState(rateLimit.path("requestsThisMinute").asInt(), instant(rateLimit, "windowStart", where),
                        instant(rateLimit, "blockedUntil", where)));
        return new Entry(account, Map.of(Account.SECRET_PASSWORD, plain));
    }

    /** Decrypts one seed ciphertext; the IV length is taken from the ciphertext itself. */
    static String decrypt(String ciphertext, byte[] key, String where) {
        String[] parts = ciphertext.split(":");
        byte[] iv;
        byte[] body;
        byte[] tag;
        try {
            if (parts.length != 3) {
                throw new IllegalArgumentException();
            }
            Base64.Decoder base64 = Base64.getDecoder();
            iv = base64.decode(parts[0]);
            body = base64.decode(parts[1]);
            tag = base64.decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": the password is not in the seed's iv:ciphertext:tag form");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(tag.length * 8, iv));
            byte[] sealed = new byte[body.length + tag.length];
            System.arraycopy(body, 0, sealed, 0, body.length);
            System.arraycopy(tag, 0, sealed, body.length, tag.length);
            return new String(cipher.doFinal(sealed), StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw new IllegalArgumentException("the old key does not decrypt the password of " + where
                    + " (wrong key?); nothing was imported");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": the password cannot be decrypted ("
                    + e.getClass().getSimpleName() + "); nothing was imported");
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() || value.asText().isBlank() ? null : value.asText();
    }

    private static Instant instant(JsonNode node, String field, String where) {
        String value = text(node, field);
        try {
            return value == null ? null : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" is not a timestamp");
        }
    }
}

package io.rotor.transport.http.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.AccountUpdate;
import io.rotor.api.NewAccount;
import io.rotor.api.PoolUpdate;
import io.rotor.api.RotorException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strict parsing of admin request bodies into the API's records: a body that is not a JSON object,
 * a field of the wrong type, an unknown field or a read-only one is refused before anything changes.
 * Range and length limits are the engine's ({@code Admin} checks them for the CLI too).
 */
final class AdminRequests {

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxNumberLength(32).build())
            .build());

    static final Set<String> NEW_ACCOUNT_FIELDS = Set.of("upstream", "pool", "name", "email", "priority", "weight",
            "tags", "maxConcurrent", "apiKey", "password", "credential", "validate");
    private static final Set<String> ACCOUNT_EDITABLE = Set.of("name", "priority", "weight", "tags", "status", "pool",
            "maxConcurrent");
    private static final Set<String> ACCOUNT_READ_ONLY = Set.of("id", "upstream", "email", "createdAt", "lastUsed",
            "stats", "rateLimit", "statusReason", "apiKey", "password", "credential");
    private static final Set<String> POOL_EDITABLE = Set.of("strategy", "perAccount", "windowMs", "cooldownMs",
            "maxRetries");
    private static final Set<String> POOL_READ_ONLY = Set.of("name", "activeStrategy", "note", "accounts", "available",
            "users");

    private AdminRequests() {
    }

    /** The field of a bulk request, {@code {"data": [object, …]}}, as lists are returned. */
    static final String BULK = "data";
    /** Bulk requests are bounded by the admin body limit; this keeps one from being a surprise too. */
    static final int MAX_BULK = 10_000;

    /** The objects of a bulk request; its body holds nothing else. */
    static List<ObjectNode> bulk(ObjectNode body) {
        allowOnly(body, Set.of(BULK), Set.of());
        JsonNode data = body.get(BULK);
        if (data == null || !data.isArray() || data.isEmpty()) {
            throw RotorException.badParam(BULK, "'data' must be a non-empty array of objects.");
        }
        if (data.size() > MAX_BULK) {
            throw RotorException.badParam(BULK, "'data' holds more than " + MAX_BULK + " objects.");
        }
        List<ObjectNode> objects = new ArrayList<>(data.size());
        for (JsonNode element : data) {
            if (!element.isObject()) {
                throw RotorException.badParam(BULK, "Every element of 'data' must be an object.");
            }
            objects.add((ObjectNode) element);
        }
        return objects;
    }

    /** Parses a body that must be one JSON object. */
    static ObjectNode object(byte[] body) {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (StreamConstraintsException e) {
            // A limit (nesting depth, number or name length): the message names sizes, never the text.
            throw RotorException.badParam(null, "Malformed JSON in request body: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            // Where, not what: Jackson's own message quotes the offending text, which may be a misplaced secret.
            throw RotorException.badParam(null, "Malformed JSON in request body" + (e.getLocation() == null ? "."
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + "."));
        } catch (IOException e) {
            throw RotorException.badParam(null, "Unreadable request body.");
        }
        if (node == null || !node.isObject()) {
            throw RotorException.badParam(null, "The request body must be a JSON object.");
        }
        return (ObjectNode) node;
    }

    static NewAccount newAccount(ObjectNode body) {
        allowOnly(body, NEW_ACCOUNT_FIELDS, Set.of());
        String upstream = text(body, "upstream");
        if (upstream == null) {
            throw RotorException.badParam("upstream", "Missing required field 'upstream'.");
        }
        Map<String, String> secrets = new LinkedHashMap<>();
        putIfPresent(secrets, Account.SECRET_API_KEY, text(body, "apiKey"));
        putIfPresent(secrets, Account.SECRET_PASSWORD, text(body, "password"));
        JsonNode credential = body.get("credential");
        if (credential != null && !credential.isNull()) {
            if (credential.isObject()) {
                secrets.put(Account.SECRET_CREDENTIAL, credential.toString());
            } else if (credential.isTextual()) {
                secrets.put(Account.SECRET_CREDENTIAL, credential.asText());
            } else {
                throw RotorException.badParam("credential", "'credential' must be the oauth_creds.json object.");
            }
        }
        return new NewAccount(upstream, text(body, "pool"), text(body, "name"), text(body, "email"), secrets,
                integer(body, "priority"), integer(body, "weight"), strings(body, "tags"), integer(body, "maxConcurrent"),
                bool(body, "validate"));
    }

    /** The Gemini seed's {@code gcpServiceAccount}: an {@code oauth_creds.json} object for {@code gemini-code-assist}. */
    static NewAccount geminiCredential(JsonNode credential) {
        if (credential == null || !credential.isObject()) {
            throw RotorException.badParam("gcpServiceAccount", "'gcpServiceAccount' must be the oauth_creds.json object.");
        }
        return new NewAccount("gemini-code-assist", null, null, null,
                Map.of(Account.SECRET_CREDENTIAL, credential.toString()), null, null, null, null, null);
    }

    static AccountUpdate accountUpdate(ObjectNode body) {
        allowOnly(body, ACCOUNT_EDITABLE, ACCOUNT_READ_ONLY);
        String status = text(body, "status");
        AccountStatus parsedStatus;
        try {
            parsedStatus = status == null ? null : AccountStatus.parse(status);
        } catch (IllegalArgumentException e) {
            throw RotorException.badParam("status", e.getMessage());
        }
        return new AccountUpdate(text(body, "name"), integer(body, "priority"), integer(body, "weight"),
                strings(body, "tags"), parsedStatus, text(body, "pool"), integer(body, "maxConcurrent"));
    }

    static PoolUpdate poolUpdate(ObjectNode body) {
        allowOnly(body, POOL_EDITABLE, POOL_READ_ONLY);
        return new PoolUpdate(text(body, "strategy"), integer(body, "perAccount"), longValue(body, "windowMs"),
                longValue(body, "cooldownMs"), integer(body, "maxRetries"));
    }

    static void allowOnly(ObjectNode body, Set<String> allowed, Set<String> readOnly) {
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (readOnly.contains(name)) {
                throw RotorException.badParam(name, "'" + name + "' is read-only.");
            }
            if (!allowed.contains(name)) {
                throw RotorException.badParam(name, "Unknown field '" + name + "'.");
            }
        }
    }

    static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw RotorException.badParam(field, "'" + field + "' must be a string.");
        }
        return value.asText();
    }

    private static Integer integer(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw RotorException.badParam(field, "'" + field + "' must be a whole number.");
        }
        return value.intValue();
    }

    private static Long longValue(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw RotorException.badParam(field, "'" + field + "' must be a whole number.");
        }
        return value.longValue();
    }

    private static Boolean bool(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isBoolean()) {
            throw RotorException.badParam(field, "'" + field + "' must be true or false.");
        }
        return value.asBoolean();
    }

    private static List<String> strings(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isArray()) {
            throw RotorException.badParam(field, "'" + field + "' must be an array of strings.");
        }
        List<String> items = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isTextual()) {
                throw RotorException.badParam(field, "'" + field + "' must be an array of strings.");
            }
            items.add(item.asText());
        }
        return items;
    }

    private static void putIfPresent(Map<String, String> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }
}

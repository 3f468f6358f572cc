package io.rotor.transport.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.rotor.api.Account;
import io.rotor.api.Admin;
import io.rotor.api.Caller;
import io.rotor.api.ConfigUpdate;
import io.rotor.api.CreatedUser;
import io.rotor.api.ErrorCode;
import io.rotor.api.Gateway;
import io.rotor.api.NewAccount;
import io.rotor.api.NewUser;
import io.rotor.api.RotorException;
import io.rotor.api.User;
import io.rotor.api.Views;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The admin API (DESIGN §4): {@code /admin/…}, the Gemini seed's {@code /v1/config/…} and
 * {@code /debug/stats}. Only the master key may call it: a user key gets 403, any other 401.
 * Responses never contain a secret; emails are masked unless {@code ?reveal=email}.
 */
final class AdminHandler implements HttpHandler {

    private static final System.Logger LOG = System.getLogger(AdminHandler.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    /** Admin bodies are small; a credential file is a few KiB. */
    static final int MAX_ADMIN_BODY = 1024 * 1024;

    private final Gateway gateway;
    private final Admin admin;

    AdminHandler(Gateway gateway, Admin admin) {
        this.gateway = gateway;
        this.admin = admin;
    }

    /** A matched route: the method to call and the path parameter, if any. */
    private record Request(HttpExchange exchange, String method, List<String> segments, Map<String, String> query) {
        String segment(int index) {
            return index < segments.size() ? segments.get(index) : null;
        }
    }

    @Override
    public void handle(HttpExchange exchange) {
        try (exchange) {
            RequestIds.assign(exchange);
            try {
                Caller caller = gateway.authenticate(exchange.getRequestHeaders().getFirst("Authorization"));
                if (!caller.isMaster()) {
                    throw new RotorException(ErrorCode.FORBIDDEN, "This route needs the master key.");
                }
                route(exchange);
            } catch (RotorException e) {
                ErrorResponses.send(exchange, e);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "admin request failed: {0}", e.getClass().getName());
                ErrorResponses.send(exchange, ErrorCode.INTERNAL, "The server failed to process the request.");
            }
        } catch (IOException clientGone) {
            LOG.log(Level.DEBUG, "client connection failed: {0}", clientGone.getMessage());
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        List<String> segments = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                segments.add(URLDecoder.decode(part, StandardCharsets.UTF_8));
            }
        }
        Request request = new Request(exchange, exchange.getRequestMethod(), segments, query(exchange));
        String route = String.join("/", segments.subList(0, Math.min(2, segments.size())));
        switch (route) {
            case "v1/config" -> config(request);
            case "debug/stats" -> only(request, "GET", 2, () -> debugStats(request));
            case "admin/accounts" -> accounts(request);
            case "admin/users" -> users(request);
            case "admin/pools" -> pools(request);
            case "admin/stats" -> only(request, "GET", 2,
                    () -> send(request, 200, Views.statistics(admin.accounts())));
            case "admin/rate-limits" -> {
                if (!"reset".equals(request.segment(2)) || segments.size() != 3) {
                    throw notFound(path);
                }
                only(request, "POST", 3, () -> send(request, 200, Map.of("reset", admin.resetRateLimits())));
            }
            case "admin/export" -> only(request, "GET", 2, () -> send(request, 200, export()));
            default -> throw notFound(path);
        }
    }

    private void config(Request request) throws IOException {
        String action = request.segment(2);
        if (request.segments().size() != 3 || !Set.of("update", "rotate").contains(action)) {
            throw notFound(request.exchange().getRequestURI().getPath());
        }
        only(request, "POST", 3, () -> {
            ObjectNode body = AdminRequests.object(body(request));
            if ("rotate".equals(action)) {
                AdminRequests.allowOnly(body, Set.of("apiKey"), Set.of());
                send(request, 200, Map.of("accountId", admin.rotate(AdminRequests.text(body, "apiKey"))));
                return;
            }
            AdminRequests.allowOnly(body, Set.of("apiKey", "gcpServiceAccount", "account"), Set.of());
            JsonNode gemini = body.get("gcpServiceAccount");
            JsonNode generic = body.get("account");
            if ((gemini == null) == (generic == null)) {
                throw RotorException.badParam(null, "Send exactly one of 'gcpServiceAccount' or 'account'.");
            }
            if (generic != null && !generic.isObject()) {
                throw RotorException.badParam("account", "'account' must be an object.");
            }
            var account = gemini != null ? AdminRequests.geminiCredential(gemini)
                    : AdminRequests.newAccount((ObjectNode) generic);
            ConfigUpdate update = admin.configUpdate(AdminRequests.text(body, "apiKey"), account);
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("user", Views.user(update.user()));
            view.put("userCreated", update.userCreated());
            view.put("account", Views.account(update.account(), false));
            send(request, update.userCreated() ? 201 : 200, view);
        });
    }

    private void accounts(Request request) throws IOException {
        String id = request.segment(2);
        int size = request.segments().size();
        boolean reveal = "email".equals(request.query().get("reveal"));
        if (size == 2) {
            switch (request.method()) {
                case "GET" -> {
                    String pool = request.query().get("pool");
                    List<Object> data = admin.accounts().stream()
                            .filter(account -> pool == null || pool.equals(account.pool()))
                            .map(account -> (Object) Views.account(account, reveal)).toList();
                    send(request, 200, Views.list(data));
                }
                case "POST" -> {
                    ObjectNode body = AdminRequests.object(body(request));
                    if (body.has(AdminRequests.BULK)) {
                        List<NewAccount> accounts = AdminRequests.bulk(body).stream().map(AdminRequests::newAccount)
                                .toList();
                        send(request, 201, Views.list(admin.addAccounts(accounts).stream()
                                .map(account -> (Object) Views.account(account, reveal)).toList()));
                        return;
                    }
                    Account added = admin.addAccount(AdminRequests.newAccount(body));
                    send(request, 201, Views.account(added, reveal));
                }
                default -> throw notAllowed(request, "GET, POST");
            }
        } else if (size == 3) {
            switch (request.method()) {
                case "GET" -> send(request, 200, Views.account(admin.account(id), reveal));
                case "PATCH" -> send(request, 200, Views.account(admin.updateAccount(id,
                        AdminRequests.accountUpdate(AdminRequests.object(body(request)))), reveal));
                case "DELETE" -> {
                    admin.removeAccount(id);
                    send(request, 200, Map.of("id", id, "object", "account", "deleted", true));
                }
                default -> throw notAllowed(request, "GET, PATCH, DELETE");
            }
        } else if (size == 4 && "validate".equals(request.segment(3))) {
            only(request, "POST", 4, () -> {
                String reason = admin.validateAccount(id);
                Map<String, Object> view = new LinkedHashMap<>();
                view.put("id", id);
                view.put("valid", reason == null);
                view.put("reason", reason);
                view.put("status", admin.account(id).status().wireName());
                send(request, 200, view);
            });
        } else {
            throw notFound(request.exchange().getRequestURI().getPath());
        }
    }

    private void users(Request request) throws IOException {
        int size = request.segments().size();
        if (size == 2) {
            switch (request.method()) {
                case "GET" -> send(request, 200, Views.list(admin.users().stream().map(u -> (Object) Views.user(u)).toList()));
                case "POST" -> {
                    ObjectNode body = AdminRequests.object(body(request));
                    if (body.has(AdminRequests.BULK)) {
                        List<NewUser> users = AdminRequests.bulk(body).stream().map(AdminHandler::newUser).toList();
                        send(request, 201, Views.list(admin.addUsers(users).stream()
                                .map(created -> (Object) createdUser(created)).toList()));
                        return;
                    }
                    NewUser user = newUser(body);
                    send(request, 201, createdUser(admin.addUser(user.name(), user.pool())));
                }
                default -> throw notAllowed(request, "GET, POST");
            }
        } else if (size == 3) {
            only(request, "DELETE", 3, () -> {
                admin.removeUser(request.segment(2));
                send(request, 200, Map.of("id", request.segment(2), "object", "user", "deleted", true));
            });
        } else {
            throw notFound(request.exchange().getRequestURI().getPath());
        }
    }

    private static NewUser newUser(ObjectNode body) {
        AdminRequests.allowOnly(body, Set.of("name", "pool"), Set.of("id", "apiKey", "createdAt"));
        return new NewUser(AdminRequests.text(body, "name"), AdminRequests.text(body, "pool"));
    }

    private static Map<String, Object> createdUser(CreatedUser created) {
        Map<String, Object> view = Views.user(created.user());
        view.put("apiKey", created.apiKey());
        return view;
    }

    private void pools(Request request) throws IOException {
        int size = request.segments().size();
        if (size == 2) {
            only(request, "GET", 2, () -> send(request, 200,
                    Views.list(admin.pools().stream().map(p -> (Object) Views.pool(p)).toList())));
        } else if (size == 3) {
            only(request, "PATCH", 3, () -> send(request, 200, Views.pool(admin.updatePool(request.segment(2),
                    AdminRequests.poolUpdate(AdminRequests.object(body(request)))))));
        } else {
            throw notFound(request.exchange().getRequestURI().getPath());
        }
    }

    /** The Gemini seed's per-credential request counts, with totals per user. */
    private void debugStats(Request request) throws IOException {
        List<Account> accounts = admin.accounts();
        long total = accounts.stream().mapToLong(a -> a.stats().totalRequests()).sum();
        List<Object> credentials = accounts.stream().map(account -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("accountId", account.id());
            row.put("pool", account.pool());
            row.put("name", account.displayName());
            row.put("status", account.status().wireName());
            row.put("requests", account.stats().totalRequests());
            row.put("successes", account.stats().successfulRequests());
            row.put("failures", account.stats().failedRequests());
            row.put("rateLimitHits", account.stats().rateLimitHits());
            return (Object) row;
        }).toList();
        List<Object> users = new ArrayList<>();
        for (User user : admin.users()) {
            Map<String, Object> row = new LinkedHashMap<>(Views.user(user));
            row.put("requests", accounts.stream().filter(a -> a.pool().equals(user.pool()))
                    .mapToLong(a -> a.stats().totalRequests()).sum());
            users.add(row);
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("totalRequests", total);
        view.put("credentials", credentials);
        view.put("users", users);
        send(request, 200, view);
    }

    private Map<String, Object> export() {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("version", 1);
        view.put("exportedAt", Instant.now().toString());
        view.put("accounts", admin.accounts().stream().map(a -> Views.account(a, false)).toList());
        view.put("users", admin.users().stream().map(Views::user).toList());
        view.put("pools", admin.pools().stream().map(Views::pool).toList());
        view.put("settings", admin.settings());
        return view;
    }

    // ---------------------------------------------------------------- plumbing

    private interface Action {
        void run() throws IOException;
    }

    private static void only(Request request, String method, int segments, Action action) throws IOException {
        if (request.segments().size() != segments) {
            throw notFound(request.exchange().getRequestURI().getPath());
        }
        if (!method.equals(request.method())) {
            throw notAllowed(request, method);
        }
        action.run();
    }

    private static byte[] body(Request request) throws IOException {
        return RequestBodies.read(request.exchange(), MAX_ADMIN_BODY);
    }

    private static void send(Request request, int status, Object view) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(view);
        HttpExchange exchange = request.exchange();
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> query = new LinkedHashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                query.put(key, value);
            }
        }
        return query;
    }

    private static RotorException notFound(String path) {
        return new RotorException(ErrorCode.NOT_FOUND, "Unknown path: " + path);
    }

    private static RotorException notAllowed(Request request, String allowed) {
        request.exchange().getResponseHeaders().set("Allow", allowed);
        return new RotorException(ErrorCode.METHOD_NOT_ALLOWED, request.method() + " is not allowed here; use "
                + allowed + ".");
    }
}

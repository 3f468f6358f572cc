package io.rotor.plugins.gemini.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.HttpCall;
import io.rotor.api.UpstreamHttp;
import io.rotor.api.UpstreamResponse;
import io.rotor.plugins.support.UpstreamRefusal;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns an OpenAI {@code image_url} into a Gemini part. Data URLs become {@code inlineData}; http(s)
 * URLs are fetched through the upstream HTTP client and inlined (Code Assist does not fetch URLs
 * itself), at most {@link #MAX_IMAGE_BYTES}; {@code gs://} URLs become {@code fileData}.
 */
final class ImageParts {

    /** Gemini takes at most 20 MB of inline data per request; one fetched image may use half of it. */
    static final int MAX_IMAGE_BYTES = 10 * 1024 * 1024;

    /** Which http(s) image URLs may be fetched ({@code upstream.NAME.imageUrls}). */
    enum UrlPolicy {
        /** Only hosts that resolve to public addresses: a client cannot make Rotor read its own network. */
        PUBLIC,
        /** Any host, including loopback and private networks. */
        ANY,
        /** None: only data URLs and gs:// URLs. */
        NONE;

        static UrlPolicy parse(String value) {
            if (value == null || value.isBlank()) {
                return PUBLIC;
            }
            return switch (value.strip().toLowerCase(Locale.ROOT)) {
                case "any" -> ANY;
                case "none" -> NONE;
                default -> PUBLIC;
            };
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final UpstreamHttp http;
    private final UrlPolicy policy;

    ImageParts(UpstreamHttp http, UrlPolicy policy) {
        this.http = http;
        this.policy = policy;
    }

    /**
     * Returns the Gemini part for an image URL.
     *
     * @throws UpstreamRefusal 400 if the URL is malformed, not allowed, unreachable or too large
     */
    ObjectNode part(String url) throws UpstreamRefusal {
        if (url == null || url.isBlank()) {
            throw bad("An image_url part has no url.");
        }
        String trimmed = url.strip();
        String lower = trimmed.toLowerCase(Locale.ROOT);
        if (lower.startsWith("data:")) {
            return dataUrl(trimmed);
        }
        if (lower.startsWith("gs://")) {
            ObjectNode part = JSON.createObjectNode();
            part.putObject("fileData").put("mimeType", mimeFromName(trimmed, "image/jpeg")).put("fileUri", trimmed);
            return part;
        }
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            return fetched(trimmed);
        }
        throw bad("Unsupported image URL scheme; use a data:, http(s): or gs: URL.");
    }

    /** Builds an {@code inlineData} part. */
    static ObjectNode inline(String mimeType, String base64) {
        ObjectNode part = JSON.createObjectNode();
        part.putObject("inlineData").put("mimeType", mimeType).put("data", base64);
        return part;
    }

    private static ObjectNode dataUrl(String url) throws UpstreamRefusal {
        int comma = url.indexOf(',');
        if (comma < 0) {
            throw bad("Malformed data URL in image_url.");
        }
        String header = url.substring(5, comma);
        String payload = url.substring(comma + 1);
        boolean base64 = header.toLowerCase(Locale.ROOT).endsWith(";base64");
        String mimeType = header.split(";", 2)[0].strip();
        if (mimeType.isEmpty()) {
            mimeType = "image/png";
        }
        if (base64) {
            String data = payload.replaceAll("\\s", "");
            try {
                Base64.getDecoder().decode(data);
            } catch (IllegalArgumentException e) {
                throw bad("The data URL in image_url is not valid base64.");
            }
            return inline(mimeType, data);
        }
        byte[] bytes = URLDecoder.decode(payload, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
        return inline(mimeType, Base64.getEncoder().encodeToString(bytes));
    }

    private ObjectNode fetched(String url) throws UpstreamRefusal {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw bad("Malformed image URL.");
        }
        if (uri.getHost() == null) {
            throw bad("Malformed image URL.");
        }
        requireAllowed(uri);
        HttpCall request = new HttpCall("GET", uri, Map.of("Accept", List.of("image/*")), null, null);
        try (UpstreamResponse response = http.execute(request)) {
            if (response.status() < 200 || response.status() >= 300) {
                throw bad("Fetching the image at " + uri.getHost() + " failed (HTTP " + response.status() + ").");
            }
            byte[] bytes = response.body().readNBytes(MAX_IMAGE_BYTES + 1);
            if (bytes.length > MAX_IMAGE_BYTES) {
                throw bad("The image at " + uri.getHost() + " is larger than " + MAX_IMAGE_BYTES
                        + " bytes; send it as a data URL or make it smaller.");
            }
            String contentType = response.header("Content-Type");
            String mimeType = contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
            if (!mimeType.startsWith("image/")) {
                mimeType = mimeFromName(uri.getPath(), null);
                if (mimeType == null) {
                    throw bad("The URL at " + uri.getHost() + " is not an image (Content-Type " + contentType + ").");
                }
            }
            return inline(mimeType, Base64.getEncoder().encodeToString(bytes));
        } catch (IOException e) {
            throw bad("Fetching the image at " + uri.getHost() + " failed (" + e.getClass().getSimpleName() + ").");
        }
    }

    private void requireAllowed(URI uri) throws UpstreamRefusal {
        if (policy == UrlPolicy.NONE) {
            throw bad("Image URLs are not fetched by this gateway; send the image as a data URL.");
        }
        if (policy == UrlPolicy.ANY) {
            return;
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(uri.getHost())) {
                if (address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
                        || address.isAnyLocalAddress() || address.isMulticastAddress() || uniqueLocal(address)) {
                    throw bad("The image host " + uri.getHost() + " is on a private network; this gateway fetches"
                            + " only public image URLs.");
                }
            }
        } catch (UnknownHostException e) {
            throw bad("The image host " + uri.getHost() + " is unknown.");
        }
    }

    /** IPv6 unique local addresses (fc00::/7), the IPv6 counterpart of private networks. */
    private static boolean uniqueLocal(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == 16 && (bytes[0] & 0xfe) == 0xfc;
    }

    private static String mimeFromName(String name, String fallback) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".png")) {
            return "image/png";
        }
        if (lower.endsWith(".jpg") || lower.endsWith(".jpeg")) {
            return "image/jpeg";
        }
        if (lower.endsWith(".webp")) {
            return "image/webp";
        }
        if (lower.endsWith(".gif")) {
            return "image/gif";
        }
        if (lower.endsWith(".heic")) {
            return "image/heic";
        }
        return fallback;
    }

    private static UpstreamRefusal bad(String message) {
        return new UpstreamRefusal(400, message);
    }
}

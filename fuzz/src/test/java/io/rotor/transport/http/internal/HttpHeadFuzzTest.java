package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inbound server's request-head parser, fed what a connection would hand it (the bytes before the
 * first blank line). It returns a head or refuses with 400, 431, 501 or 505 and nothing else; a head it
 * returns has a token method, HTTP/1.x, one unambiguous body framing, a Host on HTTP/1.1 and header
 * values free of control characters.
 */
class HttpHeadFuzzTest {

    private static final Set<Integer> REFUSALS = Set.of(400, 431, 501, 505);

    @FuzzTest(maxDuration = "30s")
    void parsesOrRefusesWithAClientError(byte[] bytes) {
        String text = stripLeadingEmptyLines(new String(bytes, StandardCharsets.ISO_8859_1));
        int blank = text.indexOf("\r\n\r\n");
        String head = blank < 0 ? text : text.substring(0, blank);
        if (head.isEmpty()) {
            return;
        }
        Http1Connection.Head parsed;
        try {
            parsed = Http1Connection.parse(head);
        } catch (Http1Connection.BadRequest refused) {
            assertTrue(REFUSALS.contains(refused.status), () -> "refused with " + refused.status);
            assertNotNull(refused.getMessage());
            return;
        }
        assertTrue(parsed.protocol().equals("HTTP/1.1") || parsed.protocol().equals("HTTP/1.0"));
        assertTrue(parsed.method().chars().allMatch(c -> c > 0x20 && c < 0x7f && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0),
                () -> "method " + parsed.method());
        assertNotNull(parsed.uri());
        boolean chunked = parsed.headers().containsKey("Transfer-Encoding");
        List<String> lengths = parsed.headers().get("Content-Length");
        assertFalse(chunked && lengths != null, "both Content-Length and Transfer-Encoding");
        assertTrue(lengths == null || lengths.size() == 1, "two Content-Lengths");
        assertTrue(chunked ? parsed.contentLength() == -1 : parsed.contentLength() >= 0);
        if (parsed.protocol().equals("HTTP/1.1")) {
            assertTrue(parsed.headers().containsKey("Host"));
        }
        for (Map.Entry<String, List<String>> header : parsed.headers().entrySet()) {
            for (String value : header.getValue()) {
                assertTrue(value.chars().noneMatch(c -> c < 0x20 && c != '\t' || c == 0x7f),
                        () -> header.getKey() + " carries a control character");
            }
        }
        assertTrue(parsed.headers().size() <= Http1Connection.MAX_HEADERS);
    }

    /** As the connection does: empty lines before a request line are skipped (RFC 9112, 2.2). */
    private static String stripLeadingEmptyLines(String head) {
        int i = 0;
        while (i < head.length() && (head.charAt(i) == '\r' || head.charAt(i) == '\n')) {
            i++;
        }
        return head.substring(i);
    }
}

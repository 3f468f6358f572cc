package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Request counts by pool, account, status and outcome, through the counter each account keeps at hand. */
class GatewayMetricsTest {

    @Test
    void eachRequestCountsOnceUnderItsOwnLabelsWhateverTheAccountCountedBefore() {
        GatewayMetrics metrics = new GatewayMetrics();
        LiveAccount a = new LiveAccount(LiveAccountTest.account("acc_a", 0), 0);
        LiveAccount b = new LiveAccount(LiveAccountTest.account("acc_b", 0), 1);

        metrics.request("p", a, 200, "served");
        metrics.request("p", a, 200, "served");
        metrics.request("p", a, 429, "refused");
        metrics.request("p", a, 200, "served");
        metrics.request("q", a, 200, "served"); // the account moved to another pool
        metrics.request("p", b, 200, "served");
        metrics.request("p", "acc_a", 200, "served"); // the same counter, reached by name

        String text = metrics.scrape(List.of(a, b));
        assertEquals(4, count(text, "p", "acc_a", 200, "served"));
        assertEquals(1, count(text, "p", "acc_a", 429, "refused"));
        assertEquals(1, count(text, "q", "acc_a", 200, "served"));
        assertEquals(1, count(text, "p", "acc_b", 200, "served"));
    }

    private static double count(String scrape, String pool, String account, int status, String outcome) {
        String labels = "{account=\"" + account + "\",outcome=\"" + outcome + "\",pool=\"" + pool + "\",status=\""
                + status + "\"}";
        for (String line : scrape.split("\n")) {
            if (line.startsWith("rotor_requests_total" + labels + " ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return fail("no sample rotor_requests_total" + labels + " in\n" + scrape);
    }
}

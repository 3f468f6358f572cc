package io.rotor.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/** Reads the virtual-thread pinning events of a JFR recording. */
final class Pinning {

    private Pinning() {
    }

    /** Counts {@code jdk.VirtualThreadPinned} events, their total time, and where they happened most. */
    static Map<String, Object> summarize(Path recording) throws IOException {
        long count = 0;
        long submitFailed = 0;
        Duration total = Duration.ZERO;
        Map<String, Long> sites = new TreeMap<>();
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            String type = event.getEventType().getName();
            if (type.equals("jdk.VirtualThreadSubmitFailed")) {
                submitFailed++;
            }
            if (!type.equals("jdk.VirtualThreadPinned")) {
                continue;
            }
            count++;
            total = total.plus(event.getDuration());
            sites.merge(site(event.getStackTrace()), 1L, Long::sum);
        }
        List<Map.Entry<String, Long>> top = new ArrayList<>(sites.entrySet());
        top.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("events", count);
        summary.put("totalMs", total.toNanos() / 1e6);
        summary.put("submitFailedEvents", submitFailed);
        Map<String, Object> where = new LinkedHashMap<>();
        top.stream().limit(5).forEach(entry -> where.put(entry.getKey(), entry.getValue()));
        summary.put("topSites", where);
        return summary;
    }

    /** The first frame outside the JDK's own packages, else the top frame. */
    private static String site(RecordedStackTrace stack) {
        if (stack == null || stack.getFrames().isEmpty()) {
            return "(no stack)";
        }
        for (RecordedFrame frame : stack.getFrames()) {
            String type = frame.getMethod().getType().getName();
            if (!type.startsWith("java.") && !type.startsWith("jdk.") && !type.startsWith("sun.")) {
                return type + "." + frame.getMethod().getName() + ":" + frame.getLineNumber();
            }
        }
        RecordedFrame top = stack.getFrames().get(0);
        return top.getMethod().getType().getName() + "." + top.getMethod().getName();
    }
}

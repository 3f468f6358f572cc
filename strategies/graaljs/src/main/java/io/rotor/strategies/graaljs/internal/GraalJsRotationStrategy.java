package io.rotor.strategies.graaljs.internal;

import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link RotationStrategy} of one {@code plugins/NAME.js} file: hands each pick to the
 * script's {@code pick(accounts, request)} and checks what comes back. When the script fails
 * (throws, overruns its time, returns something that is not an offered id) the pick falls back
 * to round-robin order, the failure is counted and logged in one line, and the request goes on.
 *
 * <p>Editing the file swaps the script in place ({@link #replace}), so pools using the strategy
 * never see it missing. Counters cover the file's whole life and are published as service
 * properties ({@link #PICKS}, {@link #ERRORS}, {@link #LAST_ERROR}).
 */
public final class GraalJsRotationStrategy implements RotationStrategy {

    /** Service property: the script file's absolute path. */
    public static final String FILE = "rotor.script.file";
    /** Service property: picks asked of the script so far (a Long). */
    public static final String PICKS = "rotor.script.picks";
    /** Service property: picks that failed and fell back to round-robin (a Long). */
    public static final String ERRORS = "rotor.script.errors";
    /** Service property: the last failure, as logged; absent while there was none. */
    public static final String LAST_ERROR = "rotor.script.lastError";

    private static final System.Logger LOG = System.getLogger(GraalJsRotationStrategy.class.getName());
    private static final int MAX_ID_SHOWN = 60;

    private final String name;
    private final String file;
    private final String label;
    private final LongAdder picks = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final RoundRobinFallback fallback = new RoundRobinFallback();
    private final FailureLog failureLog = new FailureLog();
    private volatile ScriptProgram program;
    private volatile String lastError;

    /**
     * @param name the strategy's name (the file name without {@code .js})
     * @param file the file's absolute path, published as {@link #FILE}
     * @param label how log lines name the file, e.g. {@code plugins/by-tag.js}
     */
    GraalJsRotationStrategy(String name, String file, String label, ScriptProgram program) {
        this.name = name;
        this.file = file;
        this.label = label;
        this.program = program;
    }

    @Override
    public String pick(List<Candidate> candidates, PickRequest request) {
        picks.increment();
        String picked;
        try {
            picked = program.pick(candidates, request);
        } catch (ScriptFailure failure) {
            return fallBack(failure.getMessage(), candidates, request);
        } catch (RuntimeException e) {
            // Not expected from GraalJS, but a request must never fail because of a script.
            return fallBack("failed: " + e, candidates, request);
        }
        if (picked != null && !offered(picked, candidates)) {
            return fallBack("returned '" + shorten(picked) + "', which is not one of the " + candidates.size()
                    + " accounts offered", candidates, request);
        }
        return picked;
    }

    private String fallBack(String failure, List<Candidate> candidates, PickRequest request) {
        errors.increment();
        String line = "script " + label + " " + failure + "; this pick used round-robin";
        lastError = line;
        String logged = failureLog.lineFor(line, System.currentTimeMillis());
        if (logged != null) {
            LOG.log(System.Logger.Level.WARNING, logged);
        }
        return fallback.pick(candidates, request);
    }

    private static boolean offered(String id, List<Candidate> candidates) {
        for (Candidate candidate : candidates) {
            if (candidate.id().equals(id)) {
                return true;
            }
        }
        return false;
    }

    /** The id as it may appear in one log line: short, and without line breaks or other control characters. */
    private static String shorten(String id) {
        String shown = id.length() <= MAX_ID_SHOWN ? id : id.substring(0, MAX_ID_SHOWN) + "…";
        return shown.replaceAll("\\p{Cntrl}", "?");
    }

    /** Runs a new version of the file from the next pick on; the old version's contexts are closed. */
    void replace(ScriptProgram next) {
        ScriptProgram previous = program;
        program = next;
        previous.close();
    }

    ScriptProgram program() {
        return program;
    }

    String name() {
        return name;
    }

    long picks() {
        return picks.sum();
    }

    long errors() {
        return errors.sum();
    }

    /** The last failure's log line, or null. */
    String lastError() {
        return lastError;
    }

    /** The service properties: the name, the file and the counters as they are now. */
    Map<String, Object> properties() {
        Map<String, Object> properties = new HashMap<>();
        properties.put(RotationStrategy.NAME, name);
        properties.put(FILE, file);
        properties.put(PICKS, picks());
        properties.put(ERRORS, errors());
        String error = lastError;
        if (error != null) {
            properties.put(LAST_ERROR, error);
        }
        return properties;
    }

    /** Closes the script's contexts; picks still running finish first. */
    void close() {
        program.close();
    }

    @Override
    public String toString() {
        return "GraalJsRotationStrategy[" + name + "]";
    }
}

package io.rotor.strategies.graaljs.internal;

import io.rotor.api.AccountStatus;
import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.SourceSection;
import org.graalvm.polyglot.Value;

/**
 * One sandboxed context with one version of a script loaded: its {@code pick} function and the
 * small harness that hands it frozen copies of the accounts and the request. Used by one thread
 * at a time (a {@link ScriptProgram} lends it out); every call into it runs under the runtime's
 * watchdog, which cancels the context when the call overruns the time limit.
 */
final class ScriptContext {

    /**
     * Parses the JSON input and freezes what the script gets (the account list, each account, its
     * tags, the request), so it sees plain read-only values. {@code JSON.parse} and
     * {@code Object.freeze} are captured before the script runs, so a script that replaces them
     * cannot change what its own input looks like.
     */
    private static final Source HARNESS = Source.newBuilder("js", """
            (function () {
              'use strict';
              const parse = JSON.parse;
              const freeze = Object.freeze;
              return function (pick, json) {
                const input = parse(json);
                const accounts = input.accounts;
                for (let i = 0; i < accounts.length; i++) {
                  freeze(accounts[i].tags);
                  freeze(accounts[i]);
                }
                return pick(freeze(accounts), freeze(input.request));
              };
            })()
            """, "rotor-harness.js").buildLiteral();

    /** A pick that exercises what scripts commonly do, for {@link #warmUp}. */
    private static final Source WARM_UP_PICK = Source.newBuilder("js", """
            (function (accounts, request) {
              const tagged = accounts.filter(a => a.tags.includes('warm') && a.status === 'active');
              tagged.sort((x, y) => x.lastUsed - y.lastUsed || x.priority - y.priority);
              return (tagged[request.attempt % tagged.length] || accounts[0]).id;
            })
            """, "rotor-warm-up.js").buildLiteral();

    private static final long IDLE = Long.MIN_VALUE;
    private static final long CANCELLED = Long.MIN_VALUE + 1;

    private final GraalJsRuntime runtime;
    private final Context context;
    /** The deadline (System.nanoTime) of the call in progress, or IDLE, or CANCELLED for good. */
    private final AtomicLong deadline = new AtomicLong(IDLE);
    private Value harness;
    private Value pick;

    private ScriptContext(GraalJsRuntime runtime, Context context) {
        this.runtime = runtime;
        this.context = context;
    }

    /**
     * Creates a context and runs the script's top-level code in it.
     *
     * @throws ScriptFailure if the script does not compile, throws or overruns at top level, or
     *         defines no {@code pick} function; the failure is {@link ScriptFailure#permanent()}
     */
    static ScriptContext load(GraalJsRuntime runtime, Source script) throws ScriptFailure {
        ScriptContext loaded = new ScriptContext(runtime, runtime.newContext());
        try {
            loaded.timed(runtime.loadTimeout(), true, () -> {
                loaded.harness = loaded.context.eval(HARNESS);
                loaded.context.eval(script);
                Value pick = loaded.context.getBindings("js").getMember("pick");
                if (pick == null || !pick.canExecute()) {
                    throw new ScriptFailure("defines no function pick(accounts, request)", true);
                }
                loaded.pick = pick;
                return null;
            });
            return loaded;
        } catch (ScriptFailure | RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    /**
     * Runs a few picks in a throwaway context, outside any time limit. The first code run on a
     * new engine loads most of GraalJS's classes, which can take a second on a busy machine;
     * done here, it is not mistaken for a slow script.
     */
    static void warmUp(GraalJsRuntime runtime) {
        List<Candidate> candidates = List.of(
                new Candidate("warm-1", "openai", 0, 1, List.of("warm"), AccountStatus.ACTIVE, 0, 0, 2, 0, 0, 0),
                new Candidate("warm-2", "openai", 1, 1, List.of("warm"), AccountStatus.ACTIVE, 0, 0, 1, 0, 0, 1));
        try (Context context = runtime.newContext()) {
            Value harness = context.eval(HARNESS);
            Value pick = context.eval(WARM_UP_PICK);
            for (int attempt = 0; attempt < 20; attempt++) {
                harness.execute(pick, PickInput.json(candidates, new PickRequest("warm-up", null, "", attempt)));
            }
        }
    }

    /**
     * Calls {@code pick(accounts, request)} with the frozen input decoded from {@code inputJson}.
     *
     * @param limit how long the call may run
     * @return the id returned, or null when the script returned null or undefined
     * @throws ScriptFailure if the script throws, overruns or returns something other than a string or null
     */
    String pick(String inputJson, Duration limit) throws ScriptFailure {
        return timed(limit, false, () -> {
            Value result = harness.execute(pick, inputJson);
            if (result.isNull()) {
                return null;
            }
            if (result.isString()) {
                return result.asString();
            }
            throw new ScriptFailure("returned " + describe(result) + "; return an account id (a string) or null",
                    false);
        });
    }

    /**
     * Whether this context may serve another call: it was neither cancelled nor left in a state
     * the engine considers unusable.
     */
    boolean reusable() {
        return deadline.get() != CANCELLED;
    }

    /** Called by the watchdog: cancels the call in progress if it is past its deadline. */
    void cancelIfOverdue(long now) {
        long current = deadline.get();
        if (current != IDLE && current != CANCELLED && now - current > 0 && deadline.compareAndSet(current, CANCELLED)) {
            try {
                context.close(true);
            } catch (RuntimeException e) {
                // already closing: the call ends either way
            }
        }
    }

    void close() {
        deadline.set(CANCELLED);
        try {
            context.close(true);
        } catch (RuntimeException e) {
            // a context that cannot close cleanly is dropped all the same
        }
    }

    private <T> T timed(Duration limit, boolean loading, ScriptCall<T> call) throws ScriptFailure {
        deadline.set(System.nanoTime() + limit.toNanos());
        runtime.watch(this);
        try {
            return call.run();
        } catch (PolyglotException e) {
            throw failure(e, limit, loading);
        } catch (RuntimeException e) {
            if (deadline.getAndSet(CANCELLED) == CANCELLED) {
                // The watchdog closed the context between two host calls into it.
                throw timedOut(limit, loading);
            }
            throw new ScriptFailure("failed: " + e, loading);
        } finally {
            runtime.unwatch(this);
            long started = deadline.get();
            if (started != CANCELLED) {
                deadline.compareAndSet(started, IDLE);
            }
        }
    }

    private ScriptFailure failure(PolyglotException e, Duration limit, boolean loading) {
        if (e.isCancelled() || deadline.get() == CANCELLED) {
            deadline.set(CANCELLED);
            return timedOut(limit, loading);
        }
        // Anything but a plain exception thrown by the script (an exit, an internal error, a
        // resource running out) may leave the context unfit for another call.
        if (!e.isGuestException() || e.isExit() || e.isInterrupted() || e.isResourceExhausted() || e.isInternalError()) {
            deadline.set(CANCELLED);
        }
        if (e.isSyntaxError()) {
            // GraalJS's message names the file, line and column, then quotes the line: keep the first line.
            return new ScriptFailure("does not compile: " + firstLine(e.getMessage()), true);
        }
        return new ScriptFailure((loading ? "failed while loading: " : "threw ") + firstLine(e.getMessage())
                + where(e), loading);
    }

    /**
     * " (line N)" for the script line the error came from (where it was thrown, or the innermost
     * script frame when a built-in threw it), or "" when no script line is involved.
     */
    private static String where(PolyglotException e) {
        if (inScript(e.getSourceLocation())) {
            return " (line " + e.getSourceLocation().getStartLine() + ")";
        }
        for (PolyglotException.StackFrame frame : e.getPolyglotStackTrace()) {
            if (frame.isGuestFrame() && inScript(frame.getSourceLocation())) {
                return " (line " + frame.getSourceLocation().getStartLine() + ")";
            }
        }
        return "";
    }

    /** A failure is logged as one line, whatever the script put in its error message. */
    private static String firstLine(String message) {
        if (message == null) {
            return "an error without a message";
        }
        String trimmed = message.strip();
        int end = trimmed.indexOf('\n');
        return end < 0 ? trimmed : trimmed.substring(0, end).strip();
    }

    private static boolean inScript(SourceSection location) {
        if (location == null || location.getSource().isInternal()) {
            return false;
        }
        String name = location.getSource().getName();
        return !name.equals(HARNESS.getName()) && !name.equals(WARM_UP_PICK.getName());
    }

    private static ScriptFailure timedOut(Duration limit, boolean loading) {
        return new ScriptFailure((loading ? "top-level code " : "") + "ran longer than " + limit.toMillis()
                + " ms and was stopped", loading, true);
    }

    private static String describe(Value value) {
        if (value.isBoolean()) {
            return "a boolean (" + value.asBoolean() + ")";
        }
        if (value.isNumber()) {
            return "a number (" + value + ")";
        }
        if (value.hasArrayElements()) {
            return "an array";
        }
        if (value.canExecute()) {
            return "a function";
        }
        return "an object";
    }

    @FunctionalInterface
    private interface ScriptCall<T> {
        T run() throws ScriptFailure;
    }
}

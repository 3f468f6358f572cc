package io.rotor.strategies.graaljs.internal;

import static io.rotor.strategies.graaljs.internal.Scripts.REQUEST;
import static io.rotor.strategies.graaljs.internal.Scripts.accounts;
import static io.rotor.strategies.graaljs.internal.Scripts.strategy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.AccountStatus;
import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GraalJsRotationStrategyTest {

    private static final List<Candidate> ABC = accounts("a", "b", "c");
    /** A limit that a busy test machine never reaches, for the tests that are not about the limit. */
    private static final Duration GENEROUS = Duration.ofSeconds(10);
    private static final Duration LIMIT = Duration.ofMillis(200);
    private static GraalJsRuntime runtime;
    private static GraalJsRuntime limited;

    @BeforeAll
    static void startRuntimes() {
        runtime = new GraalJsRuntime(GENEROUS);
        limited = new GraalJsRuntime(LIMIT);
    }

    @AfterAll
    static void closeRuntimes() {
        runtime.close();
        limited.close();
    }

    private static String sequence(GraalJsRotationStrategy strategy, int times) {
        List<String> picked = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            picked.add(strategy.pick(ABC, REQUEST));
        }
        return String.join(" ", picked);
    }

    @Test
    void picksTheAccountTheScriptReturns() {
        GraalJsRotationStrategy last = strategy(runtime, "last",
                "function pick(accounts, request) { return accounts[accounts.length - 1].id; }");
        assertEquals("c c c", sequence(last, 3));
        assertEquals(3, last.picks());
        assertEquals(0, last.errors());
    }

    @Test
    void theScriptSeesEveryFieldOfTheCandidatesAndTheRequest() {
        Candidate full = new Candidate("acc_\"quoted\" \\ ü", "groq", 2, 5, List.of("fast", "eu"),
                AccountStatus.RATE_LIMITED, 7, 1234567890123L, 1_700_000_000_000L, 1, 3, 9, 12.3456);
        String expected = "{\"id\":\"acc_\\\"quoted\\\" \\\\ ü\",\"upstream\":\"groq\",\"priority\":2,\"weight\":5,"
                + "\"tags\":[\"fast\",\"eu\"],\"status\":\"rate-limited\",\"requestsThisWindow\":7,"
                + "\"totalRequests\":1234567890123,\"lastUsed\":1700000000000,\"inFlight\":1,\"maxConcurrent\":3,"
                + "\"latencyMs\":12.346}|{\"model\":\"gpt-4o\",\"user\":null,\"pool\":\"team\",\"attempt\":2}";
        GraalJsRotationStrategy echo = strategy(runtime, "echo", """
                function pick(accounts, request) {
                  const seen = JSON.stringify(accounts[0]) + '|' + JSON.stringify(request);
                  if (seen !== %s) throw new Error(seen);
                  return accounts[0].id;
                }""".formatted(jsString(expected)));
        String picked = echo.pick(List.of(full), new PickRequest("gpt-4o", null, "team", 2));
        assertNull(echo.lastError(), () -> echo.lastError());
        assertEquals(full.id(), picked);
    }

    @Test
    void aScriptCanPreferTheAccountWithTheLowestLatencyAndSeesNullWhereNoneIsKnown() {
        List<Candidate> candidates = List.of(
                new Candidate("slow", "openai", 0, 1, List.of(), AccountStatus.ACTIVE, 0, 5, 0, 0, 0, 0, 250.0),
                new Candidate("unknown", "openai", 0, 1, List.of(), AccountStatus.ACTIVE, 0, 0, 0, 0, 0, 1),
                new Candidate("fast", "openai", 0, 1, List.of(), AccountStatus.ACTIVE, 0, 5, 0, 0, 0, 2, 40.5));
        GraalJsRotationStrategy fastest = strategy(runtime, "fastest", """
                function pick(accounts, request) {
                  if (accounts[1].latencyMs !== null) throw new Error('unknown latency must be null');
                  const known = accounts.filter(a => a.latencyMs !== null);
                  known.sort((a, b) => a.latencyMs - b.latencyMs);
                  return known[0].id;
                }""");
        assertEquals("fast", fastest.pick(candidates, new PickRequest("gpt-4o", null, "default", 0)));
        assertNull(fastest.lastError(), () -> fastest.lastError());
    }

    @Test
    void accountsAndRequestAreFrozenPlainObjects() {
        GraalJsRotationStrategy inspect = strategy(runtime, "inspect", """
                function pick(accounts, request) {
                  const checks = {
                    arrayIsArray: Array.isArray(accounts),
                    arrayFrozen: Object.isFrozen(accounts),
                    accountsFrozen: accounts.every(a => Object.isFrozen(a) && Object.isFrozen(a.tags)),
                    plain: Object.getPrototypeOf(accounts[0]) === Object.prototype,
                    requestFrozen: Object.isFrozen(request),
                  };
                  accounts[0].id = 'hacked';          // ignored: sloppy mode, frozen object
                  request.model = 'other';
                  for (const [name, ok] of Object.entries(checks)) if (!ok) throw new Error(name);
                  if (accounts[0].id !== 'a' || request.model !== 'gpt-4o') throw new Error('mutated');
                  return accounts[0].id;
                }""");
        assertEquals("a", inspect.pick(ABC, REQUEST));
        assertNull(inspect.lastError(), () -> inspect.lastError());

        GraalJsRotationStrategy strict = strategy(runtime, "strict", """
                'use strict';
                function pick(accounts) { accounts.push({ id: 'x' }); return 'x'; }""");
        assertEquals("a", strict.pick(ABC, REQUEST), "falls back to round-robin");
        assertEquals(1, strict.errors());
        assertTrue(strict.lastError().startsWith("script plugins/strict.js threw TypeError: "), strict.lastError());
        assertTrue(strict.lastError().endsWith(" (line 2); this pick used round-robin"), strict.lastError());
    }

    /** Each probe returns 'b' if the capability worked and 'a' if it was refused. */
    @ParameterizedTest
    @ValueSource(strings = {
        "Java.type('java.lang.System')",
        "java.lang.System.exit(1)",
        "Packages.java.lang.Runtime.getRuntime()",
        "require('fs')",
        "load('/etc/hostname')",
        "loadWithNewGlobal({ script: '1', name: 'x' })",
        "read('/etc/hostname')",
        "readFile('/etc/hostname')",
        "Polyglot.eval('js', '1')",
        "Polyglot.import('anything')",
        "new Worker('x.js')",
        "process.env.HOME",
        "quit()",
        "exit(1)",
        "fetch('http://127.0.0.1:1/')",
        "new XMLHttpRequest()",
        "Graal.versionGraalVM"})
    void theSandboxRefuses(String probe) {
        GraalJsRotationStrategy probing = strategy(runtime, "probe", """
                function pick(accounts) {
                  try { %s; } catch (e) { return accounts[0].id; }
                  return accounts[1].id;
                }""".formatted(probe));
        assertEquals("a", probing.pick(ABC, REQUEST), probe + " should be refused");
        assertEquals(0, probing.errors(), () -> probing.lastError());
    }

    @Test
    void anEndlessLoopIsStoppedWithinTheLimitAndThePickFallsBack() {
        GraalJsRotationStrategy loop = strategy(limited, "loop", """
                function pick(accounts, request) {
                  if (request.attempt === 1) { for (;;) {} }
                  return accounts[2].id;
                }""");
        assertEquals("c", loop.pick(ABC, REQUEST));

        long start = System.nanoTime();
        String picked = loop.pick(ABC, new PickRequest("gpt-4o", "usr_alice", "default", 1));
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

        assertEquals("a", picked, "round-robin's first pick in the pool");
        assertTrue(elapsedMillis >= LIMIT.toMillis() && elapsedMillis < LIMIT.toMillis() + 3_000,
                "stopped after " + elapsedMillis + " ms");
        assertEquals(1, loop.errors());
        assertTrue(loop.lastError().contains("ran longer than 200 ms and was stopped"), loop.lastError());
        // The cancelled context was thrown away; the next pick gets a fresh one.
        assertEquals("c", loop.pick(ABC, REQUEST));
        assertEquals(1, loop.errors());
        // A fresh context gets the pick limit, not the (longer) one of a script's very first pick.
        start = System.nanoTime();
        loop.pick(ABC, new PickRequest("gpt-4o", "usr_alice", "default", 1));
        elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(elapsedMillis < limited.loadTimeout().toMillis() - 500, "stopped after " + elapsedMillis + " ms");
        assertEquals(2, loop.errors());
    }

    @Test
    void anEndlessLoopThatCatchesEverythingIsStoppedToo() {
        GraalJsRotationStrategy stubborn = strategy(limited, "stubborn", """
                function pick(accounts, request) {
                  while (request.attempt > 0) { try { for (;;) {} } catch (e) {} finally { continue; } }
                  return accounts[2].id;
                }""");
        assertEquals("c", stubborn.pick(ABC, REQUEST));
        assertEquals("a", stubborn.pick(ABC, new PickRequest("gpt-4o", "usr_alice", "default", 1)));
        assertEquals(1, stubborn.errors());
        assertTrue(stubborn.lastError().contains("ran longer than 200 ms"), stubborn.lastError());
    }

    @Test
    void theFirstPickOfAScriptMayTakeAsLongAsLoadingIt() {
        GraalJsRotationStrategy slowStart = strategy(limited, "slow-start", """
                let calls = 0;
                function pick(accounts) {
                  const until = Date.now() + (calls++ === 0 ? 400 : 0);
                  while (Date.now() < until) {}
                  return accounts[1].id;
                }""");
        assertEquals("b", slowStart.pick(ABC, REQUEST));
        assertEquals(0, slowStart.errors(), () -> slowStart.lastError());
    }

    @Test
    void aScriptThatThrowsFallsBackToRoundRobinAndCountsEveryError() {
        GraalJsRotationStrategy throwing = strategy(runtime, "throwing", """
                function pick(accounts) {
                  throw new Error('no idea');
                }""");
        assertEquals("a b c a", sequence(throwing, 4));
        assertEquals(4, throwing.picks());
        assertEquals(4, throwing.errors());
        assertEquals("script plugins/throwing.js threw Error: no idea (line 2); this pick used round-robin",
                throwing.lastError());
    }

    @Test
    void theLogLineNamesTheFileTheErrorAndTheScriptLine() {
        // The README's example, with its typo.
        GraalJsRotationStrategy typo = strategy(runtime, "prefer-eu", """
                // plugins/prefer-eu.js
                function pick(accounts, request) {
                  const eu = accounts.filter(account => account.tag.includes('eu'));
                  return (eu[0] || accounts[0]).id;
                }""");
        assertEquals("a", typo.pick(ABC, REQUEST));
        assertEquals("script plugins/prefer-eu.js threw TypeError: Cannot read property 'includes' of undefined"
                + " (line 3); this pick used round-robin", typo.lastError());
    }

    @ParameterizedTest
    @ValueSource(strings = {"42", "true", "{ id: accounts[0].id }", "[accounts[0].id]", "function () {}", "Symbol('a')"})
    void aResultThatIsNotAnIdFallsBackAndCountsAnError(String result) {
        GraalJsRotationStrategy garbage = strategy(runtime, "garbage",
                "function pick(accounts) { return %s; }".formatted(result));
        assertEquals("a", garbage.pick(ABC, REQUEST));
        assertEquals(1, garbage.errors());
        assertTrue(garbage.lastError().contains("return an account id (a string) or null"), garbage.lastError());
    }

    @Test
    void anIdThatWasNotOfferedIsAnError() {
        GraalJsRotationStrategy stranger = strategy(runtime, "stranger", "function pick() { return 'acc_elsewhere'; }");
        assertEquals("a", stranger.pick(ABC, REQUEST));
        assertEquals(1, stranger.errors());
        assertEquals("script plugins/stranger.js returned 'acc_elsewhere', which is not one of the 3 accounts offered;"
                + " this pick used round-robin", stranger.lastError());
    }

    @ParameterizedTest
    @ValueSource(strings = {"null", "undefined"})
    void nullOrUndefinedPicksNoneAndIsNoError(String result) {
        GraalJsRotationStrategy none = strategy(runtime, "none", "function pick() { return %s; }".formatted(result));
        assertNull(none.pick(ABC, REQUEST));
        assertEquals(0, none.errors());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "function pick(accounts { return accounts[0].id; }",
        "function choose(accounts) { return accounts[0].id; }",
        "throw new Error('not today'); function pick(a) { return a[0].id; }",
        "while (true) {} function pick(a) { return a[0].id; }"})
    void aScriptThatDoesNotLoadFallsBackOnEveryPickAndSaysWhy(String text) {
        GraalJsRotationStrategy broken = strategy(limited, "broken", text);
        assertEquals("a b", sequence(broken, 2));
        assertEquals(2, broken.errors());
        ScriptFailure failure = broken.program().loadFailure();
        assertNotNull(failure);
        assertTrue(failure.permanent());
        assertTrue(broken.lastError().startsWith("script plugins/broken.js "), broken.lastError());
        assertFalse(broken.lastError().contains("\n"), "one line: " + broken.lastError());
    }

    @Test
    void topLevelCodeThatOverrunsOnceIsNotHeldAgainstTheScript() {
        long until = System.currentTimeMillis() + limited.loadTimeout().toMillis() + 500;
        GraalJsRotationStrategy slowOnce = strategy(limited, "slow-once", """
                while (Date.now() < %d) {}
                function pick(accounts) { return accounts[1].id; }""".formatted(until));
        assertEquals("a", slowOnce.pick(ABC, REQUEST), "the first load overran: round-robin");
        assertNull(slowOnce.program().loadFailure());
        assertEquals("b", slowOnce.pick(ABC, REQUEST), "the second load finished in time");
        assertEquals(1, slowOnce.errors());
    }

    @Test
    void everyFailureIsReportedOnOneLine() {
        GraalJsRotationStrategy multiline = strategy(runtime, "multiline", """
                function pick(accounts, request) {
                  if (request.attempt === 0) throw new Error('first\\nsecond');
                  return 'not\\nan id';
                }""");
        multiline.pick(ABC, REQUEST);
        assertEquals("script plugins/multiline.js threw Error: first (line 2); this pick used round-robin",
                multiline.lastError());
        multiline.pick(ABC, new PickRequest("m", "u", "default", 1));
        assertEquals("script plugins/multiline.js returned 'not?an id', which is not one of the 3 accounts offered;"
                + " this pick used round-robin", multiline.lastError());
    }

    @Test
    void pickArgumentsCannotLeakBetweenPicksThroughTheFrozenInput() {
        GraalJsRotationStrategy memory = strategy(runtime, "memory", """
                let previous;
                function pick(accounts) {
                  if (previous !== undefined && previous === accounts) throw new Error('same array twice');
                  previous = accounts;
                  return accounts[0].id;
                }""");
        assertEquals("a a", sequence(memory, 2));
        assertEquals(0, memory.errors(), () -> memory.lastError());
    }

    @Test
    void creatingAScriptStrategyDoesNotStartGraalJs() {
        try (GraalJsRuntime fresh = new GraalJsRuntime(GENEROUS)) {
            GraalJsRotationStrategy lazy = strategy(fresh, "lazy", "function pick(a) { return a[1].id; }");
            assertFalse(fresh.started());
            assertEquals("b", lazy.pick(ABC, REQUEST));
            assertTrue(fresh.started());
        }
    }

    @Test
    void concurrentPicksShareAFewPooledContextsAndNeverMixUpTheirInputs() throws Exception {
        GraalJsRotationStrategy byAttempt = strategy(runtime, "by-attempt", """
                function pick(accounts, request) { return accounts[request.attempt % accounts.length].id; }""");
        int threads = ScriptProgram.MIN_CONTEXTS - 2;
        int picksPerThread = 300;
        List<Candidate> five = Scripts.numbered(5);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> mismatches = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                mismatches.add(pool.submit(() -> {
                    start.await();
                    int wrong = 0;
                    for (int i = 0; i < picksPerThread; i++) {
                        int attempt = thread + i;
                        String picked = byAttempt.pick(five, new PickRequest("m", "u", "default", attempt));
                        if (!("acc" + attempt % 5).equals(picked)) {
                            wrong++;
                        }
                    }
                    return wrong;
                }));
            }
            start.countDown();
            for (Future<Integer> future : mismatches) {
                assertEquals(0, future.get());
            }
        }
        assertEquals(threads * picksPerThread, byAttempt.picks());
        assertEquals(0, byAttempt.errors(), () -> byAttempt.lastError());
        int contexts = byAttempt.program().contextsCreated();
        assertTrue(contexts >= 1 && contexts <= Math.min(threads, byAttempt.program().maxContexts()),
                contexts + " contexts for " + threads + " threads");
    }

    /**
     * Requests served on platform threads can all reach a script at once: picks beyond the bound wait for
     * a context rather than each making one (which was then closed after that one pick).
     */
    @Test
    void manyPicksAtOnceWaitForAContextInsteadOfMakingMore() throws Exception {
        GraalJsRotationStrategy slow = strategy(runtime, "slow", """
                function pick(accounts) { const end = Date.now() + 5; while (Date.now() < end) {} return accounts[0].id; }""");
        int threads = 64;
        for (String picked : pickAtOnce(slow, threads, 5)) {
            assertEquals("a", picked);
        }
        assertEquals(0, slow.errors(), () -> slow.lastError());
        int contexts = slow.program().contextsCreated();
        assertTrue(contexts <= slow.program().maxContexts(), contexts + " contexts made for " + threads + " threads");
    }

    /**
     * Picks of 400 ms under a 1 s limit, four waves of them for the contexts there may be: the fourth
     * waits about 1.2 s for a context, longer than one pick may run, and falls back instead. The margin
     * keeps a pick from overrunning its own limit on a busy machine (that failure would read differently).
     */
    @Test
    void aPickThatCannotGetAContextWithinThePickTimeLimitFallsBack() throws Exception {
        try (GraalJsRuntime oneSecond = new GraalJsRuntime(Duration.ofSeconds(1))) {
            GraalJsRotationStrategy slow = strategy(oneSecond, "slower", """
                    function pick(accounts) { const end = Date.now() + 400; while (Date.now() < end) {} return accounts[0].id; }""");
            assertEquals("a", slow.pick(ABC, REQUEST));
            for (String picked : pickAtOnce(slow, 4 * slow.program().maxContexts(), 1)) {
                assertTrue(List.of("a", "b", "c").contains(picked), picked);
            }
            assertTrue(slow.errors() > 0, "some picks waited longer than the 1 s limit");
            assertTrue(slow.lastError().contains("contexts stayed busy for 1000 ms"), slow.lastError());
            assertTrue(slow.program().contextsCreated() <= slow.program().maxContexts());
        }
    }

    @Test
    void replacingTheScriptChangesThePicksFromTheNextOneOn() {
        GraalJsRotationStrategy edited = strategy(runtime, "edited", "function pick(a) { return a[0].id; }");
        assertEquals("a", edited.pick(ABC, REQUEST));
        ScriptProgram first = edited.program();
        edited.replace(new ScriptProgram(runtime, "edited.js", "function pick(a) { return a[1].id; }"));
        assertEquals("b", edited.pick(ABC, REQUEST));
        assertEquals(2, edited.picks(), "counters belong to the file, not to one version");
        assertEquals(0, first.idleContexts(), "the old version's contexts were closed");
    }

    /** Starts {@code threads} threads together, each making {@code picksEach} picks; the last pick of each. */
    private static List<String> pickAtOnce(GraalJsRotationStrategy strategy, int threads, int picksEach)
            throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<String>> picks = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                picks.add(pool.submit(() -> {
                    start.await();
                    String picked = null;
                    for (int i = 0; i < picksEach; i++) {
                        picked = strategy.pick(ABC, REQUEST);
                    }
                    return picked;
                }));
            }
            start.countDown();
            List<String> last = new ArrayList<>();
            for (Future<String> picked : picks) {
                last.add(picked.get());
            }
            return last;
        }
    }

    private static String jsString(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}

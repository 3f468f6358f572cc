package io.rotor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Reading the heap in use off {@code jcmd GC.heap_info}, as JDK 25 prints it for each collector. */
class ProcessesTest {

    @Test
    void theHeapOfG1IsItsOneLine() throws IOException {
        assertEquals(11748, Processes.heapUsedKiB("""
                1234:
                 garbage-first heap   total reserved 6172672K, committed 393216K, used 11748K [0x0000000687400000, 0x0000000800000000)
                  region size 4096K, 3 young (12288K), 0 survivors (0K)
                 Metaspace       used 1051K, committed 1216K, reserved 1114112K
                  class space    used 82K, committed 192K, reserved 1048576K
                """));
    }

    @Test
    void theHeapOfTheParallelAndSerialCollectorsIsTheSumOfTheirGenerations() throws IOException {
        assertEquals(29364 + 1166, Processes.heapUsedKiB("""
                1234:
                 PSYoungGen      total 113152K, used 29364K [0x0000000782700000, 0x000000078a500000, 0x0000000800000000)
                  eden space 97280K, 30% used [0x0000000782700000,0x00000007843ad3a8,0x0000000788600000)
                 ParOldGen       total 258048K, used 1166K [0x0000000687400000, 0x0000000697000000, 0x0000000782700000)
                  object space 258048K, 0% used [0x0000000687400000,0x0000000687523ab8,0x0000000697000000)
                 Metaspace       used 1051K, committed 1216K, reserved 1114112K
                """));
        assertEquals(31009 + 1166, Processes.heapUsedKiB("""
                 DefNew     total 116160K, used 31009K [0x0000000687400000, 0x000000068f200000, 0x0000000704d50000)
                 Tenured    total 258048K, used 1166K [0x0000000704d50000, 0x0000000714950000, 0x0000000800000000)
                 Metaspace       used 1051K, committed 1216K, reserved 1114112K
                """));
    }

    @Test
    void anUnknownFormatIsAnError() {
        assertThrows(IOException.class, () -> Processes.heapUsedKiB(" Metaspace       used 1051K, committed 1216K"));
    }
}

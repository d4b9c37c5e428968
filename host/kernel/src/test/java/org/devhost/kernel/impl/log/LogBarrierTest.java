package org.devhost.kernel.impl.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.devhost.kernel.impl.Parked;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The kernel log's barrier: a reader waits for its marker, once per timeout at most, never on the delivery thread. */
@Timeout(30)
class LogBarrierTest {
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(r -> new Thread(r, "log delivery"));
    private final ExecutorService readers = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        delivery.shutdownNow();
        readers.shutdownNow();
    }

    @Test
    void aMarkerThatArrivesReleasesItsReaderAndEveryEarlierOne() throws Exception {
        LogBarrier barrier = new LogBarrier(60_000);
        List<Long> emitted = new CopyOnWriteArrayList<>();
        CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> barrier.await(emitted::add), readers);
        Parked.until(() -> emitted.size() == 1);
        CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> barrier.await(emitted::add), readers);
        Parked.until(() -> emitted.size() == 2);
        assertFalse(first.isDone());
        delivery.submit(() -> barrier.arrived(emitted.get(1))).get(); // the later marker: the earlier one came before it
        assertTrue(first.get());
        assertTrue(second.get());
        assertEquals(List.of(1L, 2L), emitted);
    }

    @Test
    void aLogServiceThatDropsMarkersCostsOneTimeoutAndTheFirstMarkerBackTurnsItOn() throws Exception {
        LogBarrier barrier = new LogBarrier(50);
        List<Long> emitted = new CopyOnWriteArrayList<>();
        assertTrue(barrier.working());
        assertFalse(barrier.await(emitted::add), "the marker never came");
        assertFalse(barrier.working());
        assertFalse(barrier.await(emitted::add), "off: no wait");
        assertEquals(List.of(1L, 2L), emitted, "still sends markers while off");
        delivery.submit(() -> barrier.arrived(2)).get();
        assertTrue(barrier.working());
        assertTrue(CompletableFuture.supplyAsync(() -> barrier.await(n -> delivery.execute(() -> barrier.arrived(n))), readers).get());
    }

    @Test
    void theDeliveryThreadNeverWaitsForItself() throws Exception {
        LogBarrier barrier = new LogBarrier(60_000);
        List<Long> emitted = new CopyOnWriteArrayList<>();
        boolean onDelivery = delivery.submit(() -> {
            barrier.arrived(0);
            return barrier.await(emitted::add);
        }).get();
        assertFalse(onDelivery);
        assertTrue(emitted.isEmpty());
    }
}

package org.devhost.kernel.impl.supervisor;

import java.util.List;

/**
 * A module's supervision policy in plain values: its own configuration ({@link
 * SupervisionPolicyConfig}), else {@code module=*}, else {@link #DEFAULT}.
 *
 * <p>Back-off: the first restart of a run at once, then {@code backoff_initial_ms} doubling up to
 * {@code backoff_max_ms}. More than {@code max_restarts} within {@code restart_window_ms}: the
 * module is FAILED and stays stopped until dev:restart or a new load. A module live for {@code
 * healthy_after_ms} since its last restart starts its counters again ({@link Restarts} applies
 * both). Immutable.
 */
record Policy(boolean enabled, int faultThreshold, long faultWindowMs, long watchdogMs, int maxRestarts,
        long restartWindowMs, long backoffInitialMs, long backoffMaxMs, long healthyAfterMs) {
    static final Policy DEFAULT = new Policy(true, 5, 10_000, 10_000, 5, 60_000, 1000, 30_000, 60_000);

    static Policy of(SupervisionPolicy p) {
        return new Policy(p.enabled(), Math.max(1, p.fault_threshold()), p.fault_window_ms(), p.watchdog_ms(),
                Math.max(0, p.max_restarts()), p.restart_window_ms(), Math.max(0, p.backoff_initial_ms()),
                Math.max(0, p.backoff_max_ms()), p.healthy_after_ms());
    }

    /** The policy of {@code module} among the configured ones: its own, else {@code module=*}, else the defaults. */
    static Policy of(String module, List<SupervisionPolicyConfig> configs) {
        Policy any = null;
        for (SupervisionPolicyConfig c : configs) {
            if (module.equals(c.policy.module())) {
                return Policy.of(c.policy);
            }
            if ("*".equals(c.policy.module())) {
                any = Policy.of(c.policy);
            }
        }
        return any != null ? any : DEFAULT;
    }

    /** The delay before restart number {@code n} (0-based) of a run: 0, initial, 2 initial, ... max. */
    long backoff(int n) {
        if (n == 0) {
            return 0;
        }
        long d = backoffInitialMs << Math.min(n - 1, 30);
        return d < 0 ? backoffMaxMs : Math.min(d, backoffMaxMs);
    }
}

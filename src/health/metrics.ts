/**
 * Prometheus metrics of the health manager, in a registry of their own (not prom-client's global
 * one: several health managers live in one test process). Octavius serves no /metrics endpoint
 * yet; whoever exposes one (an admin listener, a push gateway) serves `metrics.text()`. Until then
 * the same numbers are on `StaleAmphoraScanner.counters` / `.silent` and `HeartbeatReceiver.counters`.
 *
 * The metric that matters most is `octavius_health_manager_amphorae_silent`: 1 while amphorae exist
 * and none has reported for `heartbeat_timeout` — heartbeats do not arrive at all (wrong key,
 * unreachable `controller_ip_port_list`, a firewall), the failure mode in which failovers silently
 * never happen. Alert on it.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { ReceiverCounters } from './receiver.js';

export class HealthMetrics {
  readonly registry: Registry;
  /** Stale amphorae (not busy, eligible for failover) found by the last scan. */
  readonly staleAmphorae: Gauge;
  /** 1 while no amphora reports although some should (see above), else 0. */
  readonly amphoraeSilent: Gauge;
  readonly failoversEnqueued: Counter;
  /** Amphorae set FAILOVER_STOPPED by the circuit breaker (`failover_threshold`). */
  readonly failoverStopped: Counter;
  /** Failover jobs this health manager created that are queued or running. */
  readonly failoversOutstanding: Gauge;
  readonly scanErrors: Counter;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.staleAmphorae = new Gauge({ name: 'octavius_health_manager_stale_amphorae', help: 'Stale amphorae found by the last scan.', registers });
    this.amphoraeSilent = new Gauge({
      name: 'octavius_health_manager_amphorae_silent',
      help: '1 while amphorae exist and none has sent a heartbeat for heartbeat_timeout (heartbeats are not arriving at all).',
      registers,
    });
    this.failoversEnqueued = new Counter({ name: 'octavius_health_manager_failovers_enqueued_total', help: 'Amphora failover jobs queued by the stale-amphora scanner.', registers });
    this.failoverStopped = new Counter({
      name: 'octavius_health_manager_failover_stopped_total',
      help: 'Amphorae set FAILOVER_STOPPED by the failover_threshold circuit breaker.',
      registers,
    });
    this.failoversOutstanding = new Gauge({ name: 'octavius_health_manager_failovers_outstanding', help: 'Failover jobs of this health manager queued or running.', registers });
    this.scanErrors = new Counter({ name: 'octavius_health_manager_scan_errors_total', help: 'Stale-amphora scans that failed (database errors).', registers });
  }

  /** Publishes a heartbeat receiver's counters as `octavius_health_manager_heartbeats{result}`. */
  trackReceiver(counters: Readonly<ReceiverCounters>): void {
    new Gauge({
      name: 'octavius_health_manager_heartbeats',
      help: 'Heartbeat datagrams since start, by outcome (received, accepted, rejected, malformed, replayed, processed, unknownAmphora, failed).',
      labelNames: ['result'],
      registers: [this.registry],
      collect() {
        for (const [result, n] of Object.entries(counters)) this.set({ result }, n);
      },
    });
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

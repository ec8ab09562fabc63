/** Prometheus metrics of one oracle (its own registry, so several oracles can share a process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Scheduler } from './scheduler.js';

export class OracleMetrics {
  readonly registry = new Registry();
  readonly linkMessages = new Counter({ name: 'galactic_oracle_link_messages_total', help: 'Link messages received, by type', labelNames: ['type'], registers: [this.registry] });
  readonly linkRejected = new Counter({ name: 'galactic_oracle_link_rejected_total', help: 'Link messages or handshakes rejected, by code', labelNames: ['code'], registers: [this.registry] });
  readonly attempts = new Counter({ name: 'galactic_oracle_attempts_total', help: 'Task attempts ended, by outcome', labelNames: ['outcome'], registers: [this.registry] });
  readonly assigned = new Counter({ name: 'galactic_oracle_assignments_total', help: 'Tasks assigned to provers', registers: [this.registry] });
  readonly graphs = new Counter({ name: 'galactic_oracle_graphs_total', help: 'Graphs ended, by status', labelNames: ['status'], registers: [this.registry] });
  readonly dispatchSeconds = new Histogram({
    name: 'galactic_oracle_dispatch_seconds',
    help: 'Time of one dispatch round',
    buckets: [0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'galactic_oracle_' });
  }

  /** Gauges read the scheduler when scraped; counters follow its events. */
  watch(scheduler: Scheduler): void {
    const counts = () => scheduler.counts();
    const gauge = (name: string, help: string, pick: (c: ReturnType<typeof counts>) => number) =>
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(pick(counts())); } });
    gauge('galactic_oracle_provers_online', 'Provers connected and registered', (c) => c.online);
    gauge('galactic_oracle_provers_busy', 'Provers running at least one task', (c) => c.busy);
    gauge('galactic_oracle_provers_banned', 'Banned prover names', (c) => c.banned);
    gauge('galactic_oracle_tasks_running', 'Task attempts in flight', (c) => c.running);
    gauge('galactic_oracle_ops_ready', 'Ops waiting for a prover (queue depth)', (c) => c.ready);
    gauge('galactic_oracle_graphs_active', 'Graphs pending or running', (c) => c.graphs);
    scheduler.on('assigned', () => this.assigned.inc());
    scheduler.on('attemptEnded', (a) => this.attempts.inc({ outcome: a.outcome ?? 'unknown' }));
    scheduler.on('graphEnded', (g) => this.graphs.inc({ status: g.status }));
  }
}

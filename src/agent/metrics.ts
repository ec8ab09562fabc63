/** The agent's Prometheus metrics (its own registry). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

interface Observed {
  running: Map<string, unknown>;
  link: { up: boolean; reconnects: number } | null;
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly tasks = new Counter({ name: 'galactic_agent_tasks_total', help: 'Tasks by outcome (accepted, done, failed, cancelled, rejected)', labelNames: ['outcome'], registers: [this.registry] });
  readonly heartbeatLag = new Histogram({
    name: 'galactic_agent_heartbeat_lag_seconds',
    help: 'How late heartbeat timers fire (event-loop starvation)',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });

  constructor(agent: Observed) {
    collectDefaultMetrics({ register: this.registry, prefix: 'galactic_agent_' });
    new Gauge({ name: 'galactic_agent_tasks_running', help: 'Tasks running now', registers: [this.registry], collect() { this.set(agent.running.size); } });
    new Gauge({ name: 'galactic_agent_link_up', help: '1 while the oracle link is up', registers: [this.registry], collect() { this.set(agent.link?.up ? 1 : 0); } });
    new Gauge({ name: 'galactic_agent_link_reconnects', help: 'Reconnects since start', registers: [this.registry], collect() { this.set(agent.link?.reconnects ?? 0); } });
  }
}

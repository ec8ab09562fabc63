/**
 * The agent's configuration: defaults, then a JSON file (`--config`), then
 * the environment (GALACTIC_*), then flags — each overriding the one before.
 */
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { GalacticError } from '../errors.js';

export const AgentConfigSchema = z.strictObject({
  /** The oracle's URL (http[s]://host:port); null: start an embedded one on loopback. */
  oracle: z.string().url().nullable().default(null),
  /** The prover name the oracle knows this machine by (default: from the hostname). */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected 1-63 letters, digits, _ . - (starting with a letter or digit)')
    .default(defaultName()),
  dataDir: z.string().min(1).default(process.env.GALACTIC_HOME ?? join(homedir(), '.galactic')),
  /** Tasks run at once. */
  slots: z.number().int().min(1).max(64).default(1),
  /** Op kinds this machine accepts; empty: every kind its plugins prove. */
  taskTypes: z.array(z.string().min(1)).default([]),
  /** How plugins run: docker when the catalog has an image and Docker answers, else process. */
  driver: z.enum(['auto', 'process', 'docker']).default('auto'),
  /** Start performance-mode plugins and Init them at start-up. */
  prewarm: z.boolean().default(true),
  /** Benchmark at start: quick (stored result reused), full, or skip (register a nominal power). */
  benchmark: z.enum(['quick', 'full', 'skip']).default('quick'),
  /** Run the full benchmark in the background after a quick start, and re-register with it. */
  fullBenchmarkInBackground: z.boolean().default(true),
  /** Reconnect backoff: base << min(attempt, 6), plus jitter, capped. */
  backoffBaseMs: z.number().int().min(10).default(500),
  backoffMaxMs: z.number().int().min(100).default(30_000),
  /** WebSocket ping interval; no pong within it terminates the link. */
  pingMs: z.number().int().min(100).default(15_000),
  /** With no heartbeat delivered for this long, running tasks are stopped (their work cannot be delivered). */
  heartbeatStopMs: z.number().int().min(1000).default(120_000),
  /** Seconds a task's plugin gets to honour Stop. */
  stopGraceMs: z.number().int().min(0).default(5_000),
  /** Extra TCP port for /metrics and /status (0: only the status socket in the data dir). */
  metricsPort: z.number().int().min(0).max(65535).default(0),
  /** Port of the embedded oracle (when `oracle` is null). */
  embeddedOraclePort: z.number().int().min(0).max(65535).default(7700),
  logLevel: z.string().default('info'),
});

export type AgentConfig = z.infer<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

function defaultName(): string {
  const base = hostname().toLowerCase().replace(/[^a-z0-9_.-]/g, '-').replace(/^[^a-z0-9]+/, '');
  return (base || 'prover').slice(0, 63);
}

/** GALACTIC_* variables that override the file. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env.GALACTIC_ORACLE) out.oracle = env.GALACTIC_ORACLE;
  if (env.GALACTIC_NAME) out.name = env.GALACTIC_NAME;
  if (env.GALACTIC_HOME) out.dataDir = env.GALACTIC_HOME;
  if (env.GALACTIC_SLOTS) out.slots = Number(env.GALACTIC_SLOTS);
  if (env.GALACTIC_DRIVER) out.driver = env.GALACTIC_DRIVER;
  if (env.GALACTIC_LOG_LEVEL) out.logLevel = env.GALACTIC_LOG_LEVEL;
  return out;
}

export function parseAgentConfig(layers: Record<string, unknown>[], source = 'agent config'): AgentConfig {
  const merged = Object.assign({}, ...layers.map((l) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined))));
  const parsed = AgentConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GalacticError('GAL_ERR_CONFIG', `Expected a valid ${source} but /${issue.path.join('/')}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The oracle's configuration: defaults, then a JSON file, then flags (each
 * overriding the one before). Everything is validated into GalacticErrors.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { GalacticError } from '../errors.js';
import { CatalogEntrySchema, GRAPH_LIMITS, STANDARD_OP_NAMES, type CatalogEntry } from '../protocol/index.js';
import { DEFAULT_SCHEDULER_CONFIG } from './scheduler.js';

export const DEFAULT_PORT = 7700;

/** The plugin every agent ships (DESIGN §5): Groth16 over BN254 on our kernels. */
export const DEFAULT_CATALOG: CatalogEntry[] = [
  {
    id: 'groth16',
    version: '1',
    image: null,
    ops: [...STANDARD_OP_NAMES],
    modes: ['efficient', 'performance'],
    requirements: {},
    verifier: 'groth16-bn254',
  },
];

export const OracleConfigSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(DEFAULT_PORT),
  dataDir: z.string().min(1).default(join(process.env.GALACTIC_HOME ?? join(homedir(), '.galactic'), 'oracle')),
  /** No requester tokens: only on a loopback address. */
  open: z.boolean().default(false),
  heartbeatMs: z.number().int().min(50).max(600_000).default(DEFAULT_SCHEDULER_CONFIG.heartbeatMs),
  exclusionWindowMs: z.number().int().min(0).default(DEFAULT_SCHEDULER_CONFIG.exclusionWindowMs),
  redundancy: z.number().int().min(1).max(8).default(DEFAULT_SCHEDULER_CONFIG.redundancy),
  penaltyThreshold: z.number().nonnegative().default(DEFAULT_SCHEDULER_CONFIG.penaltyThreshold),
  maxFailuresPerOp: z.number().int().min(1).default(DEFAULT_SCHEDULER_CONFIG.maxFailuresPerOp),
  cancelGraceMs: z.number().int().min(0).default(DEFAULT_SCHEDULER_CONFIG.cancelGraceMs),
  minTaskTimeoutMs: z.number().int().min(1).default(DEFAULT_SCHEDULER_CONFIG.minTaskTimeoutMs),
  timeoutFactor: z.number().positive().default(DEFAULT_SCHEDULER_CONFIG.timeoutFactor),
  pGas: z.number().nonnegative().default(DEFAULT_SCHEDULER_CONFIG.pGas),
  /** Largest JSON request body (graphs). */
  maxBodyBytes: z.number().int().positive().default(16 * 1024 * 1024),
  maxBlobBytes: z.number().int().positive().default(1024 * 1024 * 1024),
  maxOps: z.number().int().positive().max(GRAPH_LIMITS.maxOps).default(GRAPH_LIMITS.maxOps),
  /** Time limit of one proof verification. */
  verifyTimeoutMs: z.number().int().positive().default(10_000),
  /** An HTTP connection silent this long is closed (a stalled upload, an idle client). */
  idleTimeoutMs: z.number().int().min(100).default(60_000),
  /** How long a link may take from connect to `auth`. */
  handshakeTimeoutMs: z.number().int().positive().default(10_000),
  catalog: z.array(CatalogEntrySchema).min(1).default(DEFAULT_CATALOG),
  /** Ended graphs, and blobs no kept graph references, are deleted this long after they ended or were uploaded; 0 keeps everything. */
  retentionDays: z.number().nonnegative().default(30),
});

export type OracleConfig = z.infer<typeof OracleConfigSchema>;
export type OracleConfigInput = z.input<typeof OracleConfigSchema>;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function parseOracleConfig(input: unknown, source = 'oracle config'): OracleConfig {
  const parsed = OracleConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GalacticError(
      'GAL_ERR_CONFIG',
      `Expected a valid ${source} but /${issue.path.join('/')}: ${issue.message}` +
        (parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : ''),
      { problems: parsed.error.issues.map((i) => ({ path: '/' + i.path.join('/'), message: i.message })) },
    );
  }
  const config = parsed.data;
  if (config.open && !isLoopback(config.host))
    throw new GalacticError('GAL_ERR_CONFIG', `Expected a loopback host with open (no tokens) but received ${JSON.stringify(config.host)}`);
  const ids = new Set<string>();
  for (const entry of config.catalog) {
    if (ids.has(entry.id)) throw new GalacticError('GAL_ERR_CONFIG', `Expected unique catalog ids but ${entry.id} appears twice`);
    ids.add(entry.id);
  }
  return config;
}

/** Reads a JSON config file (the oracle's or an agent's); what is given later overrides it. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GalacticError('GAL_ERR_CONFIG', `Expected a readable config file but ${path}: ${(err as Error).message}`);
  }
  try {
    const value = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new GalacticError('GAL_ERR_CONFIG', `Expected a JSON object in ${path} but ${(err as Error).message}`);
  }
}

/** The requester API's documents (PROTOCOL.md §1) that are not the graph itself. */
import { z } from 'zod';
import { RequirementsSchema, TASK_MODES } from './graph.js';

/** One plug-in catalog entry: which ops a plugin proves and how it is shipped. */
export const CatalogEntrySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/),
  version: z.string().min(1),
  /** `name@sha256:…`; null for a plugin that ships inside the agent (process driver). */
  image: z.string().regex(/^[^@\s]+@sha256:[0-9a-f]{64}$/, 'expected name@sha256:<64 hex>').nullable(),
  ops: z.array(z.string().min(1)).min(1),
  modes: z.array(z.enum(TASK_MODES)).min(1),
  requirements: RequirementsSchema.default({}),
  /** How the oracle checks this plugin's results: `groth16-bn254` (ops carry their key as `params.vkey`) or `none`. */
  verifier: z.enum(['groth16-bn254', 'none']).default('none'),
});
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;

export const GRAPH_STATUSES = ['pending', 'running', 'done', 'failed', 'cancelled'] as const;
export type GraphStatus = (typeof GRAPH_STATUSES)[number];
export const OP_STATUSES = ['waiting', 'ready', 'assigned', 'running', 'done', 'failed'] as const;
export type OpStatus = (typeof OP_STATUSES)[number];

/** How an attempt ended; `null` while it runs. Only `failed` and `timeout` and `lost` count against the prover. */
export const ATTEMPT_OUTCOMES = ['done', 'failed', 'timeout', 'lost', 'rejected', 'redundant', 'preempted', 'cancelled', 'invalid', 'disputed'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export interface AttemptView {
  taskId: string;
  attempt: number;
  prover: string;
  proverName: string;
  started: number;
  accepted: number | null;
  ended: number | null;
  outcome: AttemptOutcome | null;
  reason: string | null;
  /** Whether its proof verified (null: no verifier ran). */
  verified: boolean | null;
  /** The prover's ed25519 signature of its result (PROTOCOL.md §2). */
  signature: string | null;
  /** The metrics the agent sent with its result. */
  metrics: Record<string, number> | null;
}

export interface ProverView {
  id: string;
  name: string;
  state: 'online' | 'offline' | 'banned';
  busy: boolean;
  device: unknown;
  power: unknown;
  taskTypes: unknown;
  capacity: { slots: number; used: number };
  lastSeen: number | null;
  penalty: { consecutiveFailures: number; excludedUntil: number | null; banned: boolean };
  /** Its tasks' durations against the scheduler's forecasts, smoothed over `samples` tasks (1: as its power claims). */
  pace: { value: number; samples: number };
}

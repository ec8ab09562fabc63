/**
 * The agent ↔ oracle link (PROTOCOL.md §2): one WebSocket per agent, one JSON
 * object per text frame. Unknown fields are ignored (objects strip them) so
 * either side may add optional fields without breaking the other.
 */
import { z } from 'zod';
import { DeviceDescriptorSchema } from './device.js';
import { TASK_MODES } from './graph.js';

export const PROTOCOL_VERSION = 'galactic/1';
export const LINK_PATH = '/v1/link';
export const MAX_FRAME_BYTES = 1024 * 1024;

/** Close codes of a refused link; an agent stops retrying on these. */
export const CLOSE_CODES = {
  /** Another connection took over this prover (the newest wins). */
  replaced: 4000,
  banned: 4003,
  authFailed: 4004,
  protocolUnsupported: 4005,
  nameTaken: 4009,
} as const;

export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  // An agent keeps one link at a time, so its live link replaced means another agent holds its key: two must not flap.
  CLOSE_CODES.replaced,
  CLOSE_CODES.banned,
  CLOSE_CODES.authFailed,
  CLOSE_CODES.protocolUnsupported,
  CLOSE_CODES.nameTaken,
]);

const base64Of = (bytes: number) =>
  z.string().refine((s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && Buffer.from(s, 'base64').length === bytes, `expected ${bytes} bytes in base64`);

/** A content address: lowercase hex sha256. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
export const Sha256Schema = z.string().regex(SHA256_HEX, 'expected a lowercase hex sha256');
export const ProverNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected 1-63 letters, digits, _ . - (starting with a letter or digit)');
const TaskId = z.string().min(1).max(128);
const Code = z.string().min(1).max(64);
const Reason = z.string().max(4096);

export const BlobRefSchema = z.object({
  name: z.string().min(1).max(256),
  sha256: Sha256Schema,
  size: z.number().int().nonnegative(),
});

/** gas/s: `gasPerSecond` on the reference mix, and per kernel where measured. */
export const PowerSchema = z.object({
  gasPerSecond: z.number().positive(),
  kernels: z
    .object({ msm: z.number().positive(), ntt: z.number().positive(), poseidon: z.number().positive() })
    .partial()
    .default({}),
});

export const TaskTypeSchema = z.object({
  plugin: z.string().min(1).max(128),
  ops: z.array(z.string().min(1).max(128)).min(1).max(64),
  modes: z.array(z.enum(TASK_MODES)).min(1),
});

export const HelloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.string().max(64),
  name: ProverNameSchema,
  publicKey: base64Of(32),
  agentVersion: z.string().max(64).optional(),
});
export const AuthSchema = z.object({ type: z.literal('auth'), signature: base64Of(64) });
export const RegisterSchema = z.object({
  type: z.literal('register'),
  device: DeviceDescriptorSchema,
  power: PowerSchema,
  taskTypes: z.array(TaskTypeSchema).max(64),
  capacity: z.object({ slots: z.number().int().min(1).max(1024) }),
});
export const HeartbeatSchema = z.object({
  type: z.literal('heartbeat'),
  seq: z.number().int().nonnegative(),
  state: z.enum(['idle', 'busy', 'draining']),
  running: z.array(TaskId).max(1024).default([]),
});
export const AcceptSchema = z.object({ type: z.literal('accept'), taskId: TaskId });
export const RejectSchema = z.object({ type: z.literal('reject'), taskId: TaskId, code: Code, reason: Reason.default('') });
export const ProgressSchema = z.object({ type: z.literal('progress'), taskId: TaskId, fraction: z.number().min(0).max(1) });
export const ResultSchema = z.object({
  type: z.literal('result'),
  taskId: TaskId,
  attempt: z.number().int().positive(),
  outputs: z.array(BlobRefSchema).max(64),
  metrics: z.record(z.string(), z.number()).default({}),
  signature: base64Of(64),
});
export const FailSchema = z.object({ type: z.literal('fail'), taskId: TaskId, code: Code, reason: Reason.default('') });
export const CancelledSchema = z.object({ type: z.literal('cancelled'), taskId: TaskId });
export const ErrorMessageSchema = z.object({ type: z.literal('error'), code: Code, reason: Reason.default(''), ref: z.string().optional() });

/** Everything an agent may send once authenticated. */
export const AgentMessageSchema = z.discriminatedUnion('type', [
  RegisterSchema,
  HeartbeatSchema,
  AcceptSchema,
  RejectSchema,
  ProgressSchema,
  ResultSchema,
  FailSchema,
  CancelledSchema,
  ErrorMessageSchema,
]);

export const CANCEL_REASONS = ['redundant', 'cancelled', 'preempted', 'timeout'] as const;

/** What an agent checks an `assign` against before it accepts it. */
export const AssignSchema = z.object({
  type: z.literal('assign'),
  taskId: TaskId,
  graphId: z.string().min(1).max(128),
  opId: z.string().min(1).max(128),
  attempt: z.number().int().positive(),
  plugin: z.string().min(1).max(128),
  op: z.string().min(1).max(128),
  mode: z.enum(TASK_MODES),
  priority: z.number().int(),
  deadline: z.number().int().nonnegative(),
  /** The oracle's clock when it sent this: the agent measures `deadline` from it, so a skewed clock does not move it. */
  sentAt: z.number().int().nonnegative().optional(),
  inputs: z.array(BlobRefSchema.extend({ from: z.string().optional() })).max(1024),
  params: z.record(z.string(), z.unknown()),
});
export const CancelSchema = z.object({ type: z.literal('cancel'), taskId: TaskId, reason: z.enum(CANCEL_REASONS) });
export type CancelReason = (typeof CANCEL_REASONS)[number];

export type Hello = z.infer<typeof HelloSchema>;
export type Register = z.infer<typeof RegisterSchema>;
export type Power = z.infer<typeof PowerSchema>;
export type TaskType = z.infer<typeof TaskTypeSchema>;
export type BlobRef = z.infer<typeof BlobRefSchema>;
export type AgentMessage = z.infer<typeof AgentMessageSchema>;
export type ResultMessage = z.infer<typeof ResultSchema>;

/** What the oracle sends (typed for both ends; the oracle is the only writer). */
export type OracleMessage =
  | { type: 'challenge'; nonce: string; oracleId: string }
  | { type: 'welcome'; proverId: string; heartbeatMs: number; blobToken: string; resume: string[] }
  | { type: 'registered' }
  | {
      type: 'assign';
      taskId: string;
      graphId: string;
      opId: string;
      attempt: number;
      plugin: string;
      op: string;
      mode: (typeof TASK_MODES)[number];
      priority: number;
      deadline: number;
      sentAt?: number;
      inputs: (BlobRef & { from?: string })[];
      params: Record<string, unknown>;
    }
  | { type: 'ack'; taskId: string; accepted: boolean; reason?: string }
  | { type: 'cancel'; taskId: string; reason: CancelReason }
  | { type: 'refused'; code: string; reason: string }
  | { type: 'error'; code: string; reason: string; ref?: string };

/** The bytes an agent signs to authenticate: `galactic/1|<oracleId>|<nonce>|<name>`. */
export function authPayload(oracleId: string, nonce: string, name: string): Buffer {
  return Buffer.from(`${PROTOCOL_VERSION}|${oracleId}|${nonce}|${name}`, 'utf8');
}

/** The bytes a `result` signature covers: `galactic/1|result|<taskId>|<attempt>|<name>:<sha256>,…`. */
export function resultPayload(taskId: string, attempt: number, outputs: readonly { name: string; sha256: string }[]): Buffer {
  const list = outputs.map((o) => `${o.name}:${o.sha256}`).join(',');
  return Buffer.from(`${PROTOCOL_VERSION}|result|${taskId}|${attempt}|${list}`, 'utf8');
}

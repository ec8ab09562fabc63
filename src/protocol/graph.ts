/**
 * The computation graph a requester submits (PROTOCOL.md §3). The schema is
 * strict: an unknown field is a problem, not something silently dropped,
 * because a misspelt requirement would otherwise match every device.
 */
import { z } from 'zod';

export const STANDARD_OP_NAMES = [
  'zkp-singleton',
  'zkp-continuation',
  'zkp-recursion-A',
  'zkp-recursion-B',
  'zkp-aggregation',
] as const;

export const TASK_MODES = ['efficient', 'performance'] as const;
export type TaskMode = (typeof TASK_MODES)[number];

/** Limits a graph must stay within; the oracle may lower them in its config. */
export const GRAPH_LIMITS = {
  maxOps: 20_000,
  maxEdgesPerOp: 1_000,
  maxIdLength: 128,
  maxParamsBytes: 64 * 1024,
  /** Nesting of arrays and objects inside params; deeper documents would overflow recursive readers. */
  maxParamsDepth: 32,
} as const;

/** Nesting depth of a JSON value (a scalar is 0), counted without recursion and without going past `limit + 1`. */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > limit) break;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const Id = z
  .string()
  .min(1)
  .max(GRAPH_LIMITS.maxIdLength)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'expected letters, digits and _ . : - (starting with a letter or digit)');

const Count = z.number().int().positive();
const Size = z.number().int().min(1).max(2 ** 32);

export const GpuRequirementSchema = z.strictObject({
  vendor: z.string().min(1).optional(),
  count: Count.optional(),
  minMemoryMB: z.number().nonnegative().optional(),
  minComputeCapability: z.string().regex(/^\d+\.\d+$/, 'expected MAJOR.MINOR, e.g. "8.0"').optional(),
});

export const RequirementsSchema = z.strictObject({
  os: z.array(z.string().min(1)).optional(),
  cpu: z
    .strictObject({
      arch: z.array(z.string().min(1)).optional(),
      minCores: Count.optional(),
      flags: z.array(z.string().min(1)).optional(),
    })
    .nullable()
    .optional(),
  gpu: GpuRequirementSchema.nullable().optional(),
  memory: z.strictObject({ minMB: z.number().nonnegative() }).nullable().optional(),
});

export const OpWorkloadSchema = z.strictObject({
  msm: z.array(Size).max(64).optional(),
  msmG2: z.array(Size).max(64).optional(),
  ntt: z.array(Size.refine((n) => (n & (n - 1)) === 0 || n === 2 ** 32, 'expected a power of two')).max(64).optional(),
  /** [hashes, arity] pairs. */
  poseidon: z.array(z.tuple([Size, z.number().int().min(1).max(16)])).max(64).optional(),
});

export const OpSchema = z.strictObject({
  id: Id,
  name: z.string().min(1).max(GRAPH_LIMITS.maxIdLength),
  /** A catalog entry listing `name`; omitted, the oracle picks the first entry that does. */
  plugin: Id.optional(),
  inputs: z.array(Id).max(GRAPH_LIMITS.maxEdgesPerOp).default([]),
  outputs: z.array(Id).max(GRAPH_LIMITS.maxEdgesPerOp).default([]),
  requirements: RequirementsSchema.default({}),
  workload: OpWorkloadSchema.optional(),
  /** Time an attempt may take; without it the oracle derives one from gas and the prover's power. */
  timeoutMs: z.number().int().min(1_000).max(7 * 24 * 3600_000).optional(),
  /** Passed to the plugin as they are; blob references are `{ "blob": "<sha256>" }`. */
  params: z
    .record(z.string(), z.unknown())
    .refine((p) => jsonDepth(p, GRAPH_LIMITS.maxParamsDepth) <= GRAPH_LIMITS.maxParamsDepth, `expected at most ${GRAPH_LIMITS.maxParamsDepth} levels of nesting`)
    .default({}),
  /** Filled by the oracle; a submitted graph leaves it null. */
  deviceIds: z.null().optional(),
});

export const GraphSchema = z.strictObject({
  name: z.string().min(1).max(256).optional(),
  /** `cost`: one prover per op; `performance`: redundant provers, the first valid result wins. */
  mode: z.enum(['cost', 'performance']).default('cost'),
  /** What a failure costs the requester; at or above the oracle's threshold the graph runs redundantly. */
  penalty: z.number().nonnegative().default(0),
  /** Higher runs first and may preempt lower. */
  priority: z.number().int().min(-1000).max(1000).default(0),
  /** Provers per op when redundant (overrides the oracle's default). */
  redundancy: z.number().int().min(1).max(8).optional(),
  /** How plugins run on the prover (DESIGN §5); defaults to `performance` for performance graphs, else `efficient`. */
  taskMode: z.enum(TASK_MODES).optional(),
  ops: z.array(OpSchema).min(1),
});

export type GpuRequirement = z.infer<typeof GpuRequirementSchema>;
export type Requirements = z.infer<typeof RequirementsSchema>;
export type OpWorkload = z.infer<typeof OpWorkloadSchema>;
export type GraphOp = z.infer<typeof OpSchema>;
export type Graph = z.infer<typeof GraphSchema>;
/** What a requester writes: defaults may be left out. */
export type GraphInput = z.input<typeof GraphSchema>;

/** One thing wrong with a submitted graph, located by JSON pointer. */
export interface GraphProblem {
  path: string;
  code: string;
  message: string;
}

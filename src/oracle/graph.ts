/**
 * Graph validation and analysis. Validation reports every problem at once,
 * each with a JSON pointer into the submitted document, so a requester fixes
 * a graph in one round trip. Structural checks run on the raw document, so a
 * schema problem in one op does not hide a cycle elsewhere.
 */
import { estimateWorkload } from '../gas/index.js';
import {
  GRAPH_LIMITS,
  GraphSchema,
  OpSchema,
  SHA256_HEX,
  type CatalogEntry,
  type Graph,
  type GraphOp,
  type GraphProblem,
} from '../protocol/index.js';

export interface GraphLimits {
  maxOps: number;
  maxParamsBytes: number;
}

export interface ValidationContext {
  catalog: readonly CatalogEntry[];
  limits?: Partial<GraphLimits>;
  /** Whether a blob referenced from params is stored; omitted, references are not checked. */
  blobExists?: (sha256: string) => boolean;
  /** Whether any prover the oracle knows could ever run this op (for the warning). */
  couldEverMatch?: (op: GraphOp & { plugin: string }) => boolean;
}

/** Gas of one op split by the kernel that spends it, so time = Σ gas_k / power_k. */
export interface OpGas {
  msm: number;
  ntt: number;
  poseidon: number;
  total: number;
}

export interface AnalysedOp {
  op: GraphOp & { plugin: string };
  index: number;
  gas: OpGas;
  /** Gas along the longest path from this op to a sink, itself included. */
  criticalPath: number;
}

/** A valid graph with every op's plugin resolved from the catalog. */
export type ResolvedOp = GraphOp & { plugin: string };
export type ResolvedGraph = Omit<Graph, 'ops'> & { ops: ResolvedOp[] };

export interface AnalysedGraph {
  graph: ResolvedGraph;
  ops: AnalysedOp[];
  gas: number;
}

export type ValidationResult =
  | { ok: true; graph: AnalysedGraph; warnings: GraphProblem[] }
  | { ok: false; problems: GraphProblem[]; warnings: GraphProblem[] };

const pointer = (path: readonly PropertyKey[]) => '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

interface LooseOp {
  id: string | null;
  name: string | null;
  plugin: string | null;
  inputs: unknown[];
  outputs: unknown[];
}

function loose(value: unknown): LooseOp {
  const o = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  return {
    id: typeof o.id === 'string' ? o.id : null,
    name: typeof o.name === 'string' ? o.name : null,
    plugin: typeof o.plugin === 'string' ? o.plugin : null,
    inputs: Array.isArray(o.inputs) ? o.inputs : [],
    outputs: Array.isArray(o.outputs) ? o.outputs : [],
  };
}

export function opGas(op: GraphOp): OpGas {
  const g: OpGas = { msm: 0, ntt: 0, poseidon: 0, total: 0 };
  if (!op.workload) return g;
  for (const item of estimateWorkload(op.workload).items) {
    if (item.what.startsWith('msm')) g.msm += item.gas;
    else if (item.what === 'ntt') g.ntt += item.gas;
    else g.poseidon += item.gas;
  }
  g.total = g.msm + g.ntt + g.poseidon;
  return g;
}

export function validateGraph(input: unknown, ctx: ValidationContext): ValidationResult {
  const limits: GraphLimits = { maxOps: GRAPH_LIMITS.maxOps, maxParamsBytes: GRAPH_LIMITS.maxParamsBytes, ...ctx.limits };
  const problems: GraphProblem[] = [];
  const warnings: GraphProblem[] = [];
  const rawOps = input && typeof input === 'object' && Array.isArray((input as { ops?: unknown }).ops) ? ((input as { ops: unknown[] }).ops) : [];
  if (rawOps.length > limits.maxOps) {
    problems.push({ path: '/ops', code: 'too-large', message: `Expected at most ${limits.maxOps} ops but received ${rawOps.length}` });
    return { ok: false, problems, warnings };
  }

  const parsed = GraphSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys')
        for (const key of issue.keys)
          problems.push({ path: pointer([...issue.path, key]), code: 'unknown-field', message: `Unknown field ${JSON.stringify(key)}` });
      else problems.push({ path: pointer(issue.path), code: 'schema', message: issue.message });
    }
  }

  // Structure, on the raw ops.
  const ops = rawOps.map(loose);
  const indexById = new Map<string, number>();
  ops.forEach((op, i) => {
    if (op.id === null) return;
    if (indexById.has(op.id))
      problems.push({ path: `/ops/${i}/id`, code: 'duplicate-id', message: `Op id ${JSON.stringify(op.id)} is also /ops/${indexById.get(op.id)}` });
    else indexById.set(op.id, i);
  });
  const edgeSets = ops.map((op) => ({
    inputs: new Set(op.inputs.filter((x): x is string => typeof x === 'string')),
    outputs: new Set(op.outputs.filter((x): x is string => typeof x === 'string')),
  }));
  ops.forEach((op, i) => {
    for (const [field, other] of [['inputs', 'outputs'], ['outputs', 'inputs']] as const) {
      const seen = new Set<string>();
      op[field].forEach((ref, j) => {
        if (typeof ref !== 'string') return;
        const path = `/ops/${i}/${field}/${j}`;
        if (seen.has(ref)) return void problems.push({ path, code: 'duplicate-edge', message: `${JSON.stringify(ref)} is listed twice` });
        seen.add(ref);
        if (ref === op.id) return void problems.push({ path, code: 'self-edge', message: `Op ${JSON.stringify(ref)} lists itself` });
        const k = indexById.get(ref);
        if (k === undefined) return void problems.push({ path, code: 'unknown-op', message: `No op has id ${JSON.stringify(ref)}` });
        if (op.id !== null && !edgeSets[k]![other].has(op.id))
          problems.push({
            path,
            code: 'edge-mismatch',
            message: `Op ${JSON.stringify(ref)} (/ops/${k}) does not list ${JSON.stringify(op.id)} in its ${other}`,
          });
      });
    }
  });
  const cycle = findCycle(ops, indexById);
  if (cycle)
    problems.push({
      path: `/ops/${indexById.get(cycle[0]!)}`,
      code: 'cycle',
      message: `The ops form a cycle: ${[...cycle, cycle[0]].join(' → ')}`,
    });

  // Plugins, params and blobs, on ops that parsed.
  const resolved: (GraphOp & { plugin: string })[] = [];
  // When the graph as a whole did not parse, still check every op that does.
  const parsedOps = parsed.success ? parsed.data.ops : rawOps.map((raw) => OpSchema.safeParse(raw).data);
  parsedOps.forEach((op, i) => {
    if (!op) return;
    let entry: CatalogEntry | undefined;
    if (op.plugin !== undefined) {
      entry = ctx.catalog.find((e) => e.id === op.plugin);
      if (!entry) problems.push({ path: `/ops/${i}/plugin`, code: 'unknown-plugin', message: `No catalog entry ${JSON.stringify(op.plugin)} (see GET /v1/plugins)` });
      else if (!entry.ops.includes(op.name))
        problems.push({ path: `/ops/${i}/name`, code: 'plugin-op', message: `Plugin ${entry.id} does not prove ${JSON.stringify(op.name)} (it proves ${entry.ops.join(', ')})` });
    } else {
      entry = ctx.catalog.find((e) => e.ops.includes(op.name));
      if (!entry) problems.push({ path: `/ops/${i}/name`, code: 'no-plugin', message: `No catalog entry proves ${JSON.stringify(op.name)}` });
    }
    const paramsBytes = Buffer.byteLength(JSON.stringify(op.params));
    if (paramsBytes > limits.maxParamsBytes)
      problems.push({ path: `/ops/${i}/params`, code: 'too-large', message: `Expected params of at most ${limits.maxParamsBytes} bytes but received ${paramsBytes}` });
    if (ctx.blobExists)
      for (const [path, sha] of blobRefs(op.params, `/ops/${i}/params`))
        if (!ctx.blobExists(sha)) problems.push({ path, code: 'unknown-blob', message: `Blob ${sha} is not stored; PUT /v1/blobs/${sha} first` });
    if (entry) resolved.push({ ...op, plugin: entry.id, requirements: { ...entry.requirements, ...op.requirements } });
  });

  if (problems.length || !parsed.success) return { ok: false, problems, warnings };

  resolved.forEach((op, i) => {
    if (ctx.couldEverMatch && !ctx.couldEverMatch(op))
      warnings.push({ path: `/ops/${i}/requirements`, code: 'no-matching-prover', message: `No prover known to the oracle offers ${op.plugin}/${op.name} and meets these requirements; the op waits until one registers` });
  });
  return { ok: true, graph: analyse(parsed.data, resolved), warnings };
}

/** `{ "blob": "<sha256>" }` objects anywhere inside params. */
export function blobRefs(value: unknown, path: string, out: [string, string][] = []): [string, string][] {
  if (Array.isArray(value)) value.forEach((v, i) => blobRefs(v, `${path}/${i}`, out));
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.blob === 'string' && SHA256_HEX.test(o.blob)) out.push([`${path}/blob`, o.blob]);
    for (const [k, v] of Object.entries(o)) if (k !== 'blob') blobRefs(v, `${path}/${k}`, out);
  }
  return out;
}

/** Kahn's algorithm; on leftovers, walk inputs until a node repeats to name one cycle. */
function findCycle(ops: LooseOp[], indexById: Map<string, number>): string[] | null {
  const inputsOf = ops.map((op) => op.inputs.filter((x): x is string => typeof x === 'string' && indexById.has(x) && x !== op.id));
  const indegree = inputsOf.map((ins) => ins.length);
  const dependents: number[][] = ops.map(() => []);
  inputsOf.forEach((ins, i) => ins.forEach((id) => dependents[indexById.get(id)!]!.push(i)));
  const queue = indegree.flatMap((d, i) => (d === 0 ? [i] : []));
  let removed = 0;
  while (queue.length) {
    const i = queue.pop()!;
    removed++;
    for (const d of dependents[i]!) if (--indegree[d]! === 0) queue.push(d);
  }
  if (removed === ops.length) return null;
  let at = indegree.findIndex((d) => d > 0);
  const order: number[] = [];
  const position = new Map<number, number>();
  while (!position.has(at)) {
    position.set(at, order.length);
    order.push(at);
    at = indexById.get(inputsOf[at]!.find((id) => indegree[indexById.get(id)!]! > 0)!)!;
  }
  // Walked along inputs, so reverse to read in the direction data flows; start at the first op of the graph.
  const cycle = order.slice(position.get(at)).reverse();
  const first = cycle.indexOf(Math.min(...cycle));
  return [...cycle.slice(first), ...cycle.slice(0, first)].map((i) => ops[i]!.id!);
}

/** Gas along the longest path from each op to a sink, itself included (iterative: graphs may be long chains). */
export function criticalPaths(ops: readonly GraphOp[], gas: readonly OpGas[]): number[] {
  const index = new Map(ops.map((op, i) => [op.id, i]));
  const paths = new Array<number>(ops.length).fill(0);
  // Reverse topological order: sinks first, then each op once all its outputs are done.
  const pending = ops.map((op) => op.outputs.length);
  const stack = ops.flatMap((op, i) => (op.outputs.length === 0 ? [i] : []));
  while (stack.length) {
    const i = stack.pop()!;
    let longest = 0;
    for (const out of ops[i]!.outputs) longest = Math.max(longest, paths[index.get(out)!]!);
    paths[i] = Math.max(gas[i]!.total, 1) + longest;
    for (const input of ops[i]!.inputs) {
      const k = index.get(input)!;
      if (--pending[k]! === 0) stack.push(k);
    }
  }
  return paths;
}

function analyse(graph: Graph, ops: ResolvedOp[]): AnalysedGraph {
  const gas = ops.map(opGas);
  const paths = criticalPaths(ops, gas);
  const analysed: AnalysedOp[] = ops.map((op, index) => ({ op, index, gas: gas[index]!, criticalPath: paths[index]! }));
  return { graph: { ...graph, ops }, ops: analysed, gas: gas.reduce((s, g) => s + g.total, 0) };
}

/**
 * End-to-end benchmark: the continuation demo graph (four Groth16 segments
 * and their aggregation, all verified by the oracle) with 1, 2 and 4 agent
 * processes on one in-process oracle. Reports wall time from submission to
 * done, and how much of it is outside the tasks themselves (scheduling,
 * blob transfer, plugin start-up, verification, link latency): one minus
 * the best schedule of the plugins' own proving times (their `proveMs`
 * metric) on that many agents, over the wall time.
 *
 *   npm run bench:e2e     (runs npm run demo:prepare's step first if needed)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { prepareContinuationDemo } from '../examples/continuation/generate.js';
import { queryStatus } from '../src/agent/index.js';
import { startOracle } from '../src/oracle/index.js';
import { benchDir, fmt, machine, table, writeResult } from './util.js';

await prepareContinuationDemo();
const graphFile = join(benchDir, '../examples/graphs/continuation.json');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RUNS = 3;

async function upload(url: string, graph: any) {
  for (const op of graph.ops)
    for (const [k, v] of Object.entries(op.params as Record<string, { file?: string }>))
      if (v.file) {
        const bytes = readFileSync(resolve(dirname(graphFile), v.file));
        const sha = createHash('sha256').update(bytes).digest('hex');
        await fetch(`${url}/v1/blobs/${sha}`, { method: 'PUT', body: bytes });
        op.params[k] = { blob: sha };
      }
  return graph;
}

const rows: string[][] = [];
const results: unknown[] = [];
for (const agents of [1, 2, 4]) {
  const dir = mkdtempSync(join(tmpdir(), 'galactic-bench-e2e-'));
  const oracle = await startOracle({ port: 0, open: true, dataDir: join(dir, 'oracle'), heartbeatMs: 1000 });
  const children: ChildProcess[] = [];
  for (let i = 0; i < agents; i++) {
    const data = join(dir, `agent${i}`);
    children.push(spawn(process.execPath, [join(benchDir, '../dist/cli/main.js'), 'agent', '--oracle', oracle.url, '--data-dir', data, '--name', `bench-${i}`, '--benchmark', 'skip', '--log-level', 'warn'], { stdio: 'inherit' }));
    for (;;) {
      const s = await queryStatus(data).then((t) => JSON.parse(t), () => null);
      if (s?.state === 'ready') break;
      await sleep(50);
    }
  }
  const walls: number[] = [], overheads: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const graph = await upload(oracle.url, JSON.parse(readFileSync(graphFile, 'utf8')));
    const t0 = Date.now();
    const { id } = (await (await fetch(`${oracle.url}/v1/graphs`, { method: 'POST', body: JSON.stringify(graph) })).json()) as { id: string };
    let g: any;
    for (;;) {
      g = await (await fetch(`${oracle.url}/v1/graphs/${id}`)).json();
      if (g.status === 'done') break;
      if (g.status === 'failed') throw new Error(g.error);
      await sleep(5);
    }
    const wall = g.endedAt - t0;
    // Proving: the plugin's own time per segment (the aggregation proves nothing). Best schedule over the agents.
    const proving = (op: any) => op.attempts.find((x: any) => x.outcome === 'done').metrics?.proveMs ?? 0;
    const lanes = new Array(agents).fill(0);
    for (const op of g.ops.filter((o: any) => o.name === 'zkp-continuation')) lanes.sort((a, b) => a - b), (lanes[0] += proving(op));
    const ideal = Math.max(...lanes);
    walls.push(wall);
    overheads.push((wall - ideal) / wall);
  }
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
  await oracle.close();
  rmSync(dir, { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  rows.push([String(agents), fmt(median(walls)), `${fmt(median(overheads) * 100, 1)} %`]);
  results.push({ agents, wallMs: walls, outsideProvingShare: overheads });
}
console.log(`\nContinuation graph (4 segments + aggregation, verified), median of ${RUNS} (${machine().cpu}, ${machine().logicalCores} threads)\n`);
console.log(table(['agents', 'wall ms', 'outside proving'], rows));
console.log(`\nwrote ${writeResult('e2e', { date: new Date().toISOString(), machine: machine(), runs: RUNS, results })}`);
process.exit(0);

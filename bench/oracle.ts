/**
 * Oracle benchmark: an in-process oracle against thousands of simulated
 * provers in a separate process over real WebSockets (bench/oracle-provers.ts).
 * Measures registration, the time to assign a large graph, the cost of
 * following it (whole reads beside reads of what changed), failover latency
 * from a missed heartbeat to reassignment, and the oracle's CPU while every
 * prover heartbeats; plus the matcher beside a naive per-op scan, in-process.
 *
 *   npm run bench:oracle [-- --provers 5000 --ops 10000 --heartbeat-ms 5000]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { loadKernels } from '../src/kernels/index.js';
import { startOracle } from '../src/oracle/index.js';
import { VerifyPool } from '../src/oracle/verify/pool.js';
import { readWtns } from '../src/plugins/groth16/files.js';
import { Groth16Prover } from '../src/plugins/groth16/prover.js';
import { groth16Fixture } from '../test/helpers/groth16.js';
import { MatchPass, estimateMs, taskKey, type CandidateView } from '../src/oracle/matcher.js';
import { benchDir, fmt, machine, median, table, until, writeResult } from './util.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const PROVERS = arg('provers', 5000), OPS = arg('ops', 10_000), HB = arg('heartbeat-ms', 5000), SLOTS = 3, SILENCED = 20;
const now = () => performance.timeOrigin + performance.now();

const dataDir = mkdtempSync(join(tmpdir(), 'galactic-bench-oracle-'));
const oracle = await startOracle({ port: 0, open: true, dataDir, heartbeatMs: HB, maxOps: Math.max(OPS, 20_000) });
const s = oracle.scheduler;
const assignedAt: number[] = [];
s.on('assigned', () => assignedAt.push(now()));

const child = fork(join(benchDir, 'oracle-provers.ts'), [JSON.stringify({ url: oracle.linkUrl, count: PROVERS, slots: SLOTS, heartbeatMs: HB })], {
  execArgv: ['--import', 'tsx'],
});
const replies: ((m: any) => void)[] = [];
child.on('message', (m) => replies.shift()?.(m));
const ask = (msg: object | null) =>
  new Promise<any>((resolve) => {
    replies.push(resolve);
    if (msg) child.send(msg);
  });

await ask(null); // started
console.error(`connecting ${PROVERS} provers…`);
const connected = await ask({ type: 'connect' });
await until(() => s.counts().online === PROVERS, 'all provers online');

// 1. Assign a graph of OPS independent ops.
const graph = { name: 'bench', ops: Array.from({ length: OPS }, (_, i) => ({ id: `op${i}`, name: 'zkp-singleton', workload: { msm: [1 << 16], ntt: [1 << 16] } })) };
const body = JSON.stringify(graph);
const t0 = now();
const res = await fetch(`${oracle.url}/v1/graphs`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
const postMs = now() - t0;
if (res.status !== 201) throw new Error(`submit failed: ${await res.text()}`);
await until(() => assignedAt.length >= OPS, 'all ops assigned');
const assignMs = assignedAt[OPS - 1]! - t0;
let delivered: any;

for (;;) {
  delivered = await ask({ type: 'assigns' });
  if (delivered.assigns >= OPS) break;
  await new Promise((r) => setTimeout(r, 20));
}
const deliveredMs = delivered.lastAssignAt - t0;

// 1b. Following the running graph, as submit --follow and the dashboard do: a whole read, a
// read of the ops changed since the previous read, and one that finds nothing changed (304).
const graphUrl = `${oracle.url}/v1/graphs/${((await res.json()) as { id: string }).id}`;
let graphBytes = 0, version = '';
const wholeReadMs = await median(async () => {
  const text = await (await fetch(graphUrl)).text();
  graphBytes = Buffer.byteLength(text);
  version = JSON.parse(text).version;
}, 5);
const sinceReadMs = await median(async () => {
  version = ((await (await fetch(`${graphUrl}?since=${version}`)).json()) as { version: string }).version;
}, 5);
let notModified = 0;
const unchangedReadMs = await median(async () => {
  const r = await fetch(graphUrl, { headers: { 'if-none-match': `"${version}"` } });
  await r.arrayBuffer();
  if (r.status === 304) notModified++;
  else version = r.headers.get('etag')!.slice(1, -1);
}, 5);

// 2. Heartbeat load: every prover beats every HB ms; the oracle's CPU over three intervals.
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const cpu0 = process.cpuUsage(), w0 = now();
await new Promise((r) => setTimeout(r, 3 * HB));
const cpu = process.cpuUsage(cpu0), wall = now() - w0;
loop.disable();
const heartbeatCpu = (cpu.user + cpu.system) / 1000 / wall;

// 3. Failover: SILENCED provers stop heartbeating; from the oracle declaring each offline to its tasks' reassignment.
const offlineAt = new Map<string, number>();
const latencies: number[] = [];
s.on('proverOffline', (p) => offlineAt.set(p.id, now()));
s.on('assigned', (a) => {
  // The attempt this one replaces (a reassignment may land on another silenced prover and be lost again).
  const lost = a.op.attempts[a.op.attempts.length - 2];
  if (lost?.outcome === 'lost' && offlineAt.has(lost.proverId)) latencies.push(now() - offlineAt.get(lost.proverId)!);
});
const silenced = await ask({ type: 'silence', n: SILENCED });
await until(() => latencies.length >= silenced.tasks, 'failed-over tasks reassigned', 10 * HB);
await new Promise((r) => setTimeout(r, HB)); // any second-hand losses
latencies.sort((a, b) => a - b);

child.send({ type: 'exit' });
await oracle.close();
rmSync(dataDir, { recursive: true, force: true });

// 4. The matcher alone: one round of OPS ops over PROVERS candidates, beside a naive scan of every prover per op.
class Candidate implements CandidateView {
  used = 0;
  queue = 0;
  readonly pace = 1;
  constructor(readonly id: string, readonly seq: number, readonly power: { gasPerSecond: number; kernels: Record<string, number> }) {}
  available() { return this.used < SLOTS; }
  offers() { return true; }
  meets() { return true; }
  queueMs() { return this.queue / SLOTS; }
}
const gas = { msm: 6e9, ntt: 3e9, poseidon: 0, total: 9e9 };
const fresh = () => Array.from({ length: PROVERS }, (_, i) => new Candidate(`p${i}`, i, { gasPerSecond: 1e9 * (1 + (i % 97) / 10), kernels: {} }));
const take = (p: Candidate) => ((p.used++), (p.queue += estimateMs(gas, p.power)));
const heapMs = await median(() => {
  const pass = new MatchPass(0, fresh());
  const need = { taskKey: taskKey('groth16', 'zkp-singleton'), requirements: {}, requirementsKey: '{}', gas, exclude: new Set<string>(), holders: [], count: 1 };
  for (let i = 0; i < OPS; i++) pass.choose(need, take);
}, 3);
const naiveMs = await median(() => {
  const provers = fresh();
  for (let i = 0; i < OPS; i++) {
    let best: Candidate | null = null, bestScore = Infinity;
    for (const p of provers) {
      if (!p.available()) continue;
      const score = (p.queueMs() + estimateMs(gas, p.power)) * p.pace;
      if (score < bestScore) (best = p), (bestScore = score);
    }
    if (best) take(best);
  }
}, 3);

// 5. Verification: Groth16 checks one at a time and all at once through the verifier's worker, and their share of one op's proving.
const fx = await groth16Fixture('chain16k', { x: 3 }, 14);
const prover = await Groth16Prover.load(readFileSync(fx.zkey), await loadKernels({ backend: 'cpu' }));
const witness = readWtns(readFileSync(fx.wtns)).values;
const proveMs = await median(() => prover.prove(witness), 3);
const sample = await prover.prove(witness);
const pool = new VerifyPool(30_000);
const [key, signals, proofText] = [JSON.stringify(fx.vkey), JSON.stringify(sample.publicSignals), JSON.stringify(sample.proof)];
if (!(await pool.groth16(key, signals, proofText)).valid) throw new Error('the sample proof does not verify');
const VERIFIES = 40;
let v0 = now();
for (let i = 0; i < VERIFIES; i++) await pool.groth16(key, signals, proofText);
const verifyMs = (now() - v0) / VERIFIES;
// All at once, as results arrive under load: the pairings run on the addon's threads.
v0 = now();
await Promise.all(Array.from({ length: VERIFIES }, () => pool.groth16(key, signals, proofText)));
const verifyBatchMs = (now() - v0) / VERIFIES;
await pool.close();

const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
const rows = [
  [`register ${PROVERS} provers (hello → registered)`, fmt(connected.ms), '—', '—'],
  [`POST a ${OPS}-op graph answered (the client shares the event loop: includes the dispatch round)`, fmt(postMs), '—', '—'],
  [`assign ${OPS} ops over ${PROVERS} provers (POST → last assign sent)`, fmt(assignMs), '≤ 1000', assignMs <= 1000 ? 'met' : 'missed'],
  ['… until the last assign reached its prover', fmt(deliveredMs), '—', '—'],
  [`read the running graph whole (${fmt(graphBytes / 2 ** 20, 1)} MiB)`, fmt(wholeReadMs), '—', '—'],
  ['… only the ops changed since the previous read', fmt(sinceReadMs), '—', '—'],
  [`… nothing changed since: If-None-Match (answered 304 ${notModified} times)`, fmt(unchangedReadMs), '—', '—'],
  [`failover: offline → reassigned, median of ${latencies.length} tasks`, fmt(pct(0.5)), '≤ 100', pct(0.5) <= 100 ? 'met' : 'missed'],
  ['failover: max', fmt(latencies.at(-1)), '≤ 100', latencies.at(-1)! <= 100 ? 'met' : 'missed'],
  [`oracle CPU with ${PROVERS} provers beating every ${HB} ms (share of one core)`, `${fmt(heartbeatCpu * 100, 1)} %`, '< 100 %', heartbeatCpu < 1 ? 'met' : 'missed'],
  ['event-loop delay p99 meanwhile (ms)', fmt(loop.percentile(99) / 1e6), '—', '—'],
];
console.log(`\nOracle (${machine().cpu}, ${machine().logicalCores} threads, ${machine().node})\n`);
console.log(table(['measure', 'ms', 'target', ''], rows));
console.log(`\nGroth16 verification: ${fmt(verifyMs)} ms each one at a time; ${VERIFIES} at once ${fmt(1000 / verifyBatchMs, 1)} verifies/s (${machine().logicalCores} threads); proving the same op (16k constraints) ${fmt(proveMs)} ms, so verifying adds ${fmt((verifyMs / (proveMs + verifyMs)) * 100, 1)} % to its end-to-end time`);
console.log(`\nMatcher alone, ${OPS} ops over ${PROVERS} candidates: heap ${fmt(heapMs)} ms, naive scan ${fmt(naiveMs)} ms (${fmt(naiveMs / heapMs, 1)}× slower)`);
const file = writeResult('oracle', {
  date: new Date().toISOString(),
  machine: machine(),
  provers: PROVERS,
  ops: OPS,
  slots: SLOTS,
  heartbeatMs: HB,
  registerMs: connected.ms,
  postMs,
  assignMs,
  deliveredMs,
  graphRead: { bytes: graphBytes, wholeMs: wholeReadMs, sinceMs: sinceReadMs, unchangedMs: unchangedReadMs },
  failover: { tasks: latencies.length, medianMs: pct(0.5), p90Ms: pct(0.9), maxMs: latencies.at(-1) },
  heartbeatCpuShare: heartbeatCpu,
  eventLoopDelayP99Ms: loop.percentile(99) / 1e6,
  matcher: { heapMs, naiveMs },
  verification: { msEach: verifyMs, perSecond: 1000 / verifyMs, perSecondAllAtOnce: 1000 / verifyBatchMs, proveMs, shareOfOp: verifyMs / (proveMs + verifyMs) },
});
console.log(`\nwrote ${file}`);
process.exit(0);

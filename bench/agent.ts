/**
 * Agent benchmark: a `galactic agent` process against an in-process oracle.
 * Measures its idle RSS and CPU, how late its heartbeat timer fires while
 * the machine is saturated (Groth16 proofs through the agent plus an MSM on
 * every core in this process), and how long it takes to be back after the
 * oracle returns from an outage.
 *
 *   npm run bench:agent
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryStatus } from '../src/agent/index.js';
import { benchPoints, benchScalars } from '../src/bench/index.js';
import { loadKernels } from '../src/kernels/index.js';
import { startOracle, type Oracle } from '../src/oracle/index.js';
import { groth16Fixture } from '../test/helpers/groth16.js';
import { benchDir, fmt, machine, table, until, writeResult } from './util.js';

const dir = mkdtempSync(join(tmpdir(), 'galactic-bench-agent-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const procStat = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return { cpuS: (Number(f[11]) + Number(f[12])) / 100, rssMB: rssKb / 1024 };
};

const oracleDir = join(dir, 'oracle');
let oracle: Oracle = await startOracle({ port: 0, open: true, dataDir: oracleDir, heartbeatMs: 1000 });
const port = Number(new URL(oracle.url).port);
const data = join(dir, 'agent');
const config = join(dir, 'agent.json');
writeFileSync(config, JSON.stringify({ fullBenchmarkInBackground: false, benchmark: 'skip' }));
const agent = spawn(process.execPath, [join(benchDir, '../dist/cli/main.js'), 'agent', '--oracle', oracle.url, '--data-dir', data, '--name', 'bench', '--config', config, '--log-level', 'warn'], { stdio: 'inherit' });
const status = async () => JSON.parse(await queryStatus(data));
await until(async () => (await status()).state === 'ready', 'agent ready');

// 1. Idle: 10 s of heartbeats and nothing else.
await sleep(2000);
const s0 = procStat(agent.pid!);
await sleep(10_000);
const s1 = procStat(agent.pid!);
const idleCpu = (s1.cpuS - s0.cpuS) / 10;

// 2. Heartbeat lag with the CPU saturated: Groth16 proofs through the agent, an MSM on every core here.
const fx = await groth16Fixture('chain16k', { x: 3 }, 14);
const put = async (file: string) => {
  const bytes = readFileSync(file);
  const sha = createHash('sha256').update(bytes).digest('hex');
  await fetch(`${oracle.url}/v1/blobs/${sha}`, { method: 'PUT', body: bytes });
  return sha;
};
const zkey = await put(fx.zkey), witness = await put(fx.wtns);
const lagBefore = await queryStatus(data, '/metrics');
const kernels = await loadKernels({ backend: 'cpu' });
const points = benchPoints(1 << 16), scalars = benchScalars(1 << 16);
let busy = true;
const burn = (async () => {
  while (busy) await kernels.msm(points, scalars);
})();
const graphs: string[] = [];
for (let i = 0; i < 8; i++) {
  const res = await fetch(`${oracle.url}/v1/graphs`, { method: 'POST', body: JSON.stringify({ ops: [{ id: `p${i}`, name: 'zkp-singleton', params: { zkey: { blob: zkey }, witness: { blob: witness } } }] }) });
  graphs.push(((await res.json()) as { id: string }).id);
}
const t0 = Date.now();
await until(async () => {
  for (const id of graphs) if (((await (await fetch(`${oracle.url}/v1/graphs/${id}`)).json()) as any).status !== 'done') return false;
  return true;
}, 'proofs done', 300_000);
const busyS = (Date.now() - t0) / 1000;
busy = false;
await burn;
const lagAfter = await queryStatus(data, '/metrics');
const lag = (text: string) => {
  const buckets = [...text.matchAll(/galactic_agent_heartbeat_lag_seconds_bucket\{le="([^"]+)"\} (\d+)/g)].map((m) => [m[1]!, Number(m[2])] as const);
  const sum = Number(/galactic_agent_heartbeat_lag_seconds_sum (\S+)/.exec(text)![1]);
  const count = Number(/galactic_agent_heartbeat_lag_seconds_count (\S+)/.exec(text)![1]);
  return { buckets: new Map(buckets), sum, count };
};
const before = lag(lagBefore), after = lag(lagAfter);
const beats = after.count - before.count;
const meanLagMs = ((after.sum - before.sum) / Math.max(1, beats)) * 1000;
const under = (le: string) => (after.buckets.get(le)! - before.buckets.get(le)!) / Math.max(1, beats);
const worst = [...after.buckets.keys()].find((le) => after.buckets.get(le)! - before.buckets.get(le)! === beats) ?? '+Inf';

// 3. Reconnect: the oracle goes away for 3 s; from its return to the agent registered again.
await oracle.close();
await sleep(3000);
oracle = await startOracle({ port, open: true, dataDir: oracleDir, heartbeatMs: 1000 });
const back = Date.now();
await until(async () => {
  const s = await status();
  return s.link.up && s.state === 'ready';
}, 'agent back', 60_000);
const reconnectMs = Date.now() - back;

agent.kill('SIGTERM');
await new Promise((r) => agent.once('exit', r));
await oracle.close();
rmSync(dir, { recursive: true, force: true });

console.log(`\nAgent (${machine().cpu}, ${machine().logicalCores} threads)\n`);
console.log(table(['measure', 'value'], [
  ['idle RSS (agent process)', `${fmt(s1.rssMB, 1)} MB`],
  ['idle CPU', `${fmt(idleCpu * 100, 2)} % of one core`],
  [`heartbeats while saturated (${fmt(busyS, 1)} s: 8 Groth16 proofs + MSM 2^16 on every core)`, `${beats}`],
  ['… mean lag of the heartbeat timer', `${fmt(meanLagMs, 2)} ms`],
  ['… share within 5 ms / 10 ms', `${fmt(under('0.005') * 100, 0)} % / ${fmt(under('0.01') * 100, 0)} %`],
  ['… worst (histogram bucket)', `≤ ${Number(worst) * 1000} ms`],
  ['reconnect: oracle back → agent registered (default backoff)', `${reconnectMs} ms`],
]));
console.log(`\nwrote ${writeResult('agent', { date: new Date().toISOString(), machine: machine(), idleRssMB: s1.rssMB, idleCpuShare: idleCpu, saturatedSeconds: busyS, heartbeats: beats, meanLagMs, within5ms: under('0.005'), within10ms: under('0.01'), worstBucketS: worst, reconnectMs })}`);
process.exit(0);

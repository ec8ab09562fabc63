/**
 * Plugin benchmark, two parts in one process run:
 * 1. per-task overhead — dispatch → result of a trivial task through the
 *    plugin host — in efficient vs performance mode, with the process and
 *    the docker driver;
 * 2. Groth16 proving — our plugin's prover (warm, as in performance mode)
 *    beside `snarkjs groth16 prove`, same key and witness, on a circuit of
 *    16,000 constraints (domain 2^14), set up once and cached.
 *
 *   npm run bench:plugins [-- --tasks 30 --skip-groth16]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { loadKernels } from '../src/kernels/index.js';
import { DockerDriver, PluginHost, ProcessDriver, buildPluginImage, type PluginRegistration } from '../src/plugins/index.js';
import { readWtns } from '../src/plugins/groth16/files.js';
import { Groth16Prover } from '../src/plugins/groth16/prover.js';
import { groth16Fixture } from '../test/helpers/groth16.js';
import { benchDir, fmt, machine, median, table, writeResult } from './util.js';

const args = process.argv.slice(2);
const TASKS = Number(args[args.indexOf('--tasks') + 1] ?? 30) || 30;
const skipGroth16 = args.includes('--skip-groth16');
const dir = mkdtempSync(join(tmpdir(), 'galactic-bench-plugins-'));
const fixturePlugin = join(benchDir, '../test/fixtures/plugins/behaviour.mjs');

const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

async function overhead(reg: Omit<PluginRegistration, 'name'>, mode: 'efficient' | 'performance'): Promise<number[]> {
  const host = new PluginHost({ baseDir: join(dir, `h${Math.random().toString(36).slice(2, 8)}`) });
  host.register({ name: 'behaviour', ...reg });
  const times: number[] = [];
  try {
    if (mode === 'performance') await host.prewarm('behaviour');
    for (let i = 0; i < TASKS; i++) {
      const t0 = performance.now();
      const o = await host.run({ plugin: 'behaviour', taskId: `t${i}`, taskType: 'zkp-singleton', mode, inputs: [], params: {}, deadlineMs: 0 });
      if (o.status !== 'done') throw new Error(`task failed: ${JSON.stringify(o)}`);
      times.push(performance.now() - t0);
    }
  } finally {
    await host.close();
  }
  return times;
}

const rows: string[][] = [];
const results: Record<string, unknown> = {};
const drivers: [string, Omit<PluginRegistration, 'name'>][] = [['process', { driver: new ProcessDriver(), spec: { command: [process.execPath, fixturePlugin] } }]];
const docker = new DockerDriver({ agentId: 'bench' });
let dockerImage: string | null = null;
if ((await docker.fingerprint()).available) {
  const built = await buildPluginImage({ name: 'behaviour', version: 'bench', entry: 'test/fixtures/plugins/behaviour.mjs' }, join(dir, 'images'));
  await docker.loadTarball(built.tarball, built.sha256);
  dockerImage = built.imageId;
  drivers.push(['docker', { driver: docker, spec: { image: built.ref } }]);
} else console.error('no Docker daemon: the docker rows are skipped');

for (const [name, reg] of drivers) {
  const efficient = await overhead(reg, 'efficient');
  const performanceMode = await overhead(reg, 'performance');
  const ratio = p(efficient, 0.5) / p(performanceMode, 0.5);
  rows.push([name, fmt(p(efficient, 0.5)), fmt(p(efficient, 0.9)), fmt(p(performanceMode, 0.5)), fmt(p(performanceMode, 0.9)), `${fmt(ratio, 1)}×`]);
  results[name] = { efficientMs: { p50: p(efficient, 0.5), p90: p(efficient, 0.9) }, performanceMs: { p50: p(performanceMode, 0.5), p90: p(performanceMode, 0.9) }, ratio };
}
if (dockerImage) await docker.docker.getImage(dockerImage).remove({ force: true }).catch(() => {});
console.log(`\nPer-task overhead, trivial task, ${TASKS} tasks each (${machine().cpu}, ${machine().logicalCores} threads)\n`);
console.log(table(['driver', 'efficient p50 ms', 'p90', 'performance p50 ms', 'p90', 'efficient / performance'], rows));

if (!skipGroth16) {
  console.error('setting up the 16k-constraint circuit (cached after the first run)…');
  const fx = await groth16Fixture('chain16k', { x: 3 }, 14);
  const zkey = readFileSync(fx.zkey), wtns = readFileSync(fx.wtns);
  const kernels = await loadKernels({ backend: 'cpu' });
  const t0 = performance.now();
  const prover = await Groth16Prover.load(zkey, kernels);
  const loadMs = performance.now() - t0;
  const witness = readWtns(wtns).values;
  const oursMs = await median(() => prover.prove(witness), 3);
  const proof = await prover.prove(witness);
  if (!(await snarkjs.groth16.verify(fx.vkey, proof.publicSignals, proof.proof))) throw new Error('our proof does not verify');
  const snarkjsMs = await median(() => snarkjs.groth16.prove(zkey, wtns), 3);
  console.log(`\nGroth16, ${prover.zkey.domainSize}-point domain, ${prover.zkey.nVars} variables\n`);
  console.log(table(['prover', 'median ms', 'vs snarkjs'], [
    ['galactic groth16 (warm key)', fmt(oursMs), `${fmt(snarkjsMs / oursMs, 1)}× faster`],
    ['snarkjs groth16 prove', fmt(snarkjsMs), '1×'],
    ['(galactic: loading the key once)', fmt(loadMs), '—'],
  ]));
  results.groth16 = { domainSize: prover.zkey.domainSize, nVars: prover.zkey.nVars, oursMs, snarkjsMs, loadMs, speedup: snarkjsMs / oursMs };
}
rmSync(dir, { recursive: true, force: true });
console.log(`\nwrote ${writeResult('plugins', { date: new Date().toISOString(), machine: machine(), tasks: TASKS, ...results })}`);
process.exit(0);

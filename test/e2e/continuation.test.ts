/**
 * The whole network on one machine, as a requester meets it: `galactic
 * agent` (embedded oracle, what `npm start` runs) or an oracle with several
 * agents, and `galactic submit examples/graphs/…` following to the end.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContinuationDemo } from '../../examples/continuation/generate.js';
import { bin, processFixture } from '../helpers/processes.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const graphs = join(root, 'examples/graphs');
const px = processFixture();
let dir: string;
let vkey: unknown;

beforeAll(async () => {
  const build = await prepareContinuationDemo();
  vkey = JSON.parse(readFileSync(join(build, 'verification_key.json'), 'utf8'));
  dir = mkdtempSync(join(tmpdir(), 'ge-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const submit = (graph: string, oracle: string, ...more: string[]) =>
  run(process.execPath, [bin, 'submit', join(graphs, graph), '--oracle', oracle, '--interval-ms', '100', ...more], { maxBuffer: 16 * 1024 * 1024 });

async function checkProofs(oracle: string, g: any) {
  for (const op of g.ops) {
    expect(op.status).toBe('done');
    expect(op.verification).toBe('verified');
    expect(op.deviceIds).toHaveLength(1);
    if (op.name !== 'zkp-continuation') continue;
    const get = async (name: string) => (await fetch(`${oracle}/v1/graphs/${g.id}/ops/${op.id}/output?name=${name}`)).json();
    expect(await snarkjs.groth16.verify(vkey, await get('public.json'), await get('proof.json'))).toBe(true);
  }
  const bundle = (await (await fetch(`${oracle}/v1/graphs/${g.id}/ops/agg/output`)).json()) as any;
  expect(bundle.segments.map((s: any) => s.op)).toEqual(['seg0', 'seg1', 'seg2', 'seg3']);
  expect(bundle.start).toBe('1');
  expect(bundle.commitment).toMatch(/^\d+$/);
}

describe('the continuation demo', () => {
  it('npm start (agent + embedded oracle), then galactic submit examples/graphs/continuation.json: every op verified', async () => {
    const data = join(dir, 'solo');
    px.agent(['--data-dir', data, '--port', '0', '--name', 'solo', '--log-level', 'warn']);
    const status = await px.ready(data);
    const oracle = status.oracle as string;
    const { stdout } = await submit('continuation.json', oracle, '--follow');
    expect(stdout).toMatch(/agg +done on solo, verified/);
    expect(stdout).toMatch(/graph g_\S+ done/);
    const id = /submitted (g_\S+):/.exec(stdout)![1]!;
    await checkProofs(oracle, await (await fetch(`${oracle}/v1/graphs/${id}`)).json());
  });

  it('in performance mode with two agents: ops proven redundantly, first verified result wins', async () => {
    const oracle = await px.oracle(['--open', '--port', '0', '--data-dir', join(dir, 'oracle'), '--heartbeat-ms', '1000']);
    for (const name of ['left', 'right']) {
      const data = join(dir, name);
      px.agent(['--oracle', oracle.url, '--data-dir', data, '--name', name, '--log-level', 'warn']);
      await px.ready(data);
    }
    const { stdout } = await submit('continuation-performance.json', oracle.url, '--follow', '--json');
    const g = JSON.parse(stdout);
    expect(g.status).toBe('done');
    await checkProofs(oracle.url, g);
    for (const op of g.ops) {
      expect(op.attempts.filter((a: any) => a.outcome === 'done')).toHaveLength(1);
      expect(op.attempts.filter((a: any) => a.outcome !== 'done').map((a: any) => a.outcome)).toEqual(op.attempts.length === 2 ? ['redundant'] : []);
    }
    // The first op found both provers free and ran on both. A later one runs on one alone
    // while the other is still stopping its cancelled copy (its slot is busy until then),
    // and finishes there if that prover is quicker.
    const first = g.ops.find((op: any) => op.id === 'seg0');
    expect(new Set(first.attempts.map((a: any) => a.proverName))).toEqual(new Set(['left', 'right']));

    // A GPU op waits: the submitter is warned, and it stays ready while no GPU prover exists.
    const gpu = await submit('gpu-wait.json', oracle.url);
    expect(gpu.stdout).toMatch(/warning \/ops\/0\/requirements/);
    const id = /submitted (g_\S+):/.exec(gpu.stdout)![1]!;
    await new Promise((r) => setTimeout(r, 1500));
    const waiting = (await (await fetch(`${oracle.url}/v1/graphs/${id}`)).json()) as any;
    expect(waiting.ops[0].status).toBe('ready');
    expect(waiting.ops[0].deviceIds).toBe(null);
  });
});

/**
 * `galactic gas` on real circom circuits compiled here with circom2: the
 * header it reads must match `snarkjs r1cs info`. Bad input exits with
 * status 2 and one line naming the code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateGroth16, readR1csHeader } from '../../src/gas/index.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'galactic-gas-'));
const circuits = ['mul', 'chain'];

beforeAll(async () => {
  const circom = join(root, 'node_modules/circom2/cli.js');
  for (const c of circuits)
    await run(process.execPath, [circom, join(root, 'test/fixtures/circuits', `${c}.circom`), '--r1cs', '-o', dir]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gas = (...args: string[]) =>
  run(process.execPath, [bin, 'gas', ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('galactic gas --r1cs', () => {
  it.each(circuits)('%s: the header matches snarkjs r1cs info', async (c) => {
    const file = join(dir, `${c}.r1cs`);
    const header = readR1csHeader(readFileSync(file));
    const info = await snarkjs.r1cs.info(file);
    expect(header.nConstraints).toBe(info.nConstraints);
    expect(header.nWires).toBe(info.nVars);
    expect(header.nPubIn).toBe(info.nPubInputs);
    expect(header.nPubOut).toBe(info.nOutputs);
    expect(header.nPrvIn).toBe(info.nPrvInputs);
    expect(header.prime).toBe(21888242871839275222246405745257275088548364400416034343698204186575808495617n);

    const { code, stdout } = await gas('--r1cs', file, '--protocol', 'groth16', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.total).toBe(estimateGroth16(header).total);
    expect(out.sections[0].domain).toBeGreaterThanOrEqual(info.nConstraints + info.nPubInputs + info.nOutputs + 1);
  });

  it('the chain circuit has 600 constraints and a 1024 domain', async () => {
    const out = JSON.parse((await gas('--r1cs', join(dir, 'chain.r1cs'), '--json')).stdout);
    expect(out.sections[0].source).toMatch(/600 constraints/);
    expect(out.sections[0].domain).toBe(1024);
  });
});

describe('galactic gas', () => {
  it('kernels and a graph, readable and as JSON, with a price', async () => {
    const graph = join(dir, 'graph.json');
    writeFileSync(graph, JSON.stringify({ name: 'g', mode: 'cost', ops: [{ id: 'seg0', workload: { msm: [65536], ntt: [65536] } }, { id: 'agg', inputs: ['seg0'] }] }));
    const text = await gas('--msm', '4096', '--ntt', '1024', '--poseidon', '100:2', '--graph', graph, '--price', '2');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/msm-g1/);
    expect(text.stdout).toMatch(/seg0: ntt/);
    expect(text.stdout).toMatch(/price at 2 per gas/);
    const json = JSON.parse((await gas('--graph', graph, '--price', '2', '--json')).stdout);
    expect(json.price).toBe(2 * json.total);
    expect(json.table).toBe('galactic-gas/1');
  });

  it.each([
    [['--ntt', '1000'], 'GAL_ERR_NTT_SIZE'],
    [['--msm', 'lots'], 'GAL_ERR_INVALID_ARGUMENT'],
    [['--msm', '99999999999999'], 'GAL_ERR_SIZE_LIMIT'],
    [['--poseidon', '10:40'], 'GAL_ERR_ARITY'],
    [['--poseidon', '10'], 'GAL_ERR_INVALID_ARGUMENT'],
    [['--r1cs', 'no-such-file.r1cs'], 'GAL_ERR_INVALID_ARGUMENT'],
    [['--r1cs', 'PACKAGE_JSON'], 'GAL_ERR_R1CS'],
    [['--r1cs', 'TRUNCATED'], 'GAL_ERR_R1CS'],
    [['--r1cs', 'MUL', '--protocol', 'plonk'], 'GAL_ERR_PROTOCOL_UNSUPPORTED'],
    [['--graph', 'PACKAGE_JSON'], 'GAL_ERR_GRAPH_INVALID'],
    [['--graph', 'NOT_JSON'], 'GAL_ERR_GRAPH_INVALID'],
    [[], 'GAL_ERR_INVALID_ARGUMENT'],
  ])('%j exits 2 with %s', async (args, code) => {
    const truncated = join(dir, 'truncated.r1cs');
    writeFileSync(truncated, readFileSync(join(dir, 'mul.r1cs')).subarray(0, 60));
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{ "ops": [');
    const files: Record<string, string> = {
      PACKAGE_JSON: join(root, 'package.json'), TRUNCATED: truncated, MUL: join(dir, 'mul.r1cs'), NOT_JSON: notJson,
    };
    const r = await gas(...(args as string[]).map((a) => files[a] ?? a));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(code);
  });
});

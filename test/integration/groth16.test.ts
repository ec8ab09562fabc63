import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/kernels/index.js';
import { readWtns, readZkey } from '../../src/plugins/groth16/files.js';
import { Groth16Prover } from '../../src/plugins/groth16/prover.js';
import { DockerDriver, PluginHost, ProcessDriver, buildPluginImage, type PluginRegistration, type TaskOutcome } from '../../src/plugins/index.js';
import { dockerAvailable } from '../helpers/docker.js';
import { groth16Fixture, type Groth16Fixture } from '../helpers/groth16.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const recipe = JSON.parse(readFileSync(join(root, 'plugins/groth16/recipe.json'), 'utf8'));
const docker = await dockerAvailable();

let fx: Groth16Fixture;

beforeAll(async () => {
  fx = await groth16Fixture('chain', { x: 3 });
}, 300_000);

afterAll(async () => {
  // snarkjs keeps its curve's worker threads alive; let them go.
  await (globalThis as any).curve_bn128?.terminate?.();
});

describe('Groth16 prover on our kernels', () => {
  it('makes proofs snarkjs verifies, fresh randomness each time', async () => {
    const prover = await Groth16Prover.load(readFileSync(fx.zkey), await loadKernels({ backend: 'cpu' }));
    const witness = readWtns(readFileSync(fx.wtns));
    expect(witness.nWitness).toBe(prover.zkey.nVars);
    const one = await prover.prove(witness.values);
    const two = await prover.prove(witness.values);
    expect(await snarkjs.groth16.verify(fx.vkey, one.publicSignals, one.proof)).toBe(true);
    expect(await snarkjs.groth16.verify(fx.vkey, two.publicSignals, two.proof)).toBe(true);
    expect(two.proof.pi_a).not.toEqual(one.proof.pi_a);
    // The public signals are the circuit's: chain(300) of x = 3 outputs y first.
    const ours = await snarkjs.groth16.fullProve({ x: 3 }, fx.wasm, fx.zkey);
    expect(one.publicSignals).toEqual(ours.publicSignals);
    // And verification is not vacuous: another statement or a changed point fails.
    expect(await snarkjs.groth16.verify(fx.vkey, ['1', ...one.publicSignals.slice(1)], one.proof)).toBe(false);
    const bent = structuredClone(one.proof);
    bent.pi_c = two.proof.pi_c;
    expect(await snarkjs.groth16.verify(fx.vkey, one.publicSignals, bent)).toBe(false);
  });

  it("checks its proofs against the key's own verification key, which is the one snarkjs exports", async () => {
    const prover = await Groth16Prover.load(readFileSync(fx.zkey), await loadKernels({ backend: 'cpu' }));
    expect(prover.verificationKey).toEqual(JSON.parse(JSON.stringify(fx.vkey, (k, v) => (k === 'vk_alphabeta_12' ? undefined : v))));
    const witness = readWtns(readFileSync(fx.wtns)).values;
    expect(await prover.verifies(await prover.prove(witness))).toBe(true);
    expect(await prover.verifies(await prover.prove(unsatisfying(witness)))).toBe(false);
  });

  it('names a witness value not below r, and a witness of the wrong length', async () => {
    const prover = await Groth16Prover.load(readFileSync(fx.zkey), await loadKernels({ backend: 'cpu' }));
    const values = readWtns(readFileSync(fx.wtns)).values.slice();
    values.fill(0xff, 32 * 7, 32 * 8);
    await expect(prover.prove(values)).rejects.toMatchObject({ code: 'GAL_ERR_FIELD_RANGE', message: 'Expected witness value 7 below r' });
    await expect(prover.prove(values.subarray(32))).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT' });
  });

  it('rejects files that are not what they claim', () => {
    const zkey = readFileSync(fx.zkey);
    expect(() => readZkey(zkey.subarray(0, 100))).toThrow(/Expected a valid .zkey/);
    expect(() => readZkey(readFileSync(fx.wtns))).toThrow(/"zkey"/);
    expect(() => readWtns(zkey)).toThrow(/"wtns"/);
  });
});

/** The witness with its last value changed: well-formed, but it no longer satisfies the circuit. */
function unsatisfying(witness: Uint8Array): Uint8Array {
  const bent = Uint8Array.from(witness);
  bent[bent.length - 32]! ^= 1;
  return bent;
}

async function proveThrough(reg: Omit<PluginRegistration, 'name'>, dir: string) {
  const host = new PluginHost({ baseDir: join(dir, 'p') });
  host.register({ name: 'groth16', ...reg });
  try {
    const outcomes: TaskOutcome[] = [];
    for (const [i, mode] of (['efficient', 'performance', 'performance'] as const).entries()) {
      const inputs = [{ name: 'witness', path: fx.wtns }];
      // Efficient tasks bring their key; the warm instance has it from Init.
      if (mode === 'efficient') inputs.push({ name: 'zkey', path: fx.zkey });
      outcomes.push(await host.run({ plugin: 'groth16', taskId: `t${i}`, taskType: 'zkp-continuation', mode, inputs, params: {}, deadlineMs: Date.now() + 120_000 }));
    }
    for (const o of outcomes) {
      expect(o.status, JSON.stringify(o)).toBe('done');
      if (o.status !== 'done') continue;
      const file = (name: string) => JSON.parse(o.outputs.find((x) => x.name === name)!.data.toString());
      expect(await snarkjs.groth16.verify(fx.vkey, file('public.json'), file('proof.json'))).toBe(true);
    }
    // From the circuit's .wasm and its input signals instead of a witness: the same proof statement.
    const fromInputs = await host.run({ plugin: 'groth16', taskId: 'wasm', taskType: 'zkp-singleton', mode: 'performance', inputs: [{ name: 'wasm', path: fx.wasm }], params: { input: { x: 3 } }, deadlineMs: 0 });
    expect(fromInputs.status, JSON.stringify(fromInputs)).toBe('done');
    if (fromInputs.status === 'done') {
      const file = (name: string) => JSON.parse(fromInputs.outputs.find((x) => x.name === name)!.data.toString());
      expect(await snarkjs.groth16.verify(fx.vkey, file('public.json'), file('proof.json'))).toBe(true);
      const first = outcomes[0]!;
      if (first.status === 'done') expect(file('public.json')).toEqual(JSON.parse(first.outputs.find((x) => x.name === 'public.json')!.data.toString()));
    }
    const unknownSignal = await host.run({ plugin: 'groth16', taskId: 'wasm-bad', taskType: 'zkp-singleton', mode: 'performance', inputs: [{ name: 'wasm', path: fx.wasm }], params: { input: { x: 3, z: 1 } }, deadlineMs: 0 });
    expect(unknownSignal).toMatchObject({ status: 'failed', code: 'GAL_ERR_INVALID_INPUT', reason: expect.stringMatching(/"z", which is not one of them/) });
    const missing = await host.run({ plugin: 'groth16', taskId: 'bad', taskType: 'zkp-singleton', mode: 'efficient', inputs: [{ name: 'zkey', path: fx.zkey }], params: {}, deadlineMs: 0 });
    expect(missing).toMatchObject({ status: 'failed', code: 'GAL_ERR_INVALID_INPUT' });
    // A witness that does not satisfy the circuit is the requester's input, not an invalid proof to count against the prover.
    const wtns = readFileSync(fx.wtns);
    const { values } = readWtns(wtns);
    const bentFile = join(dir, 'bent.wtns');
    writeFileSync(bentFile, Buffer.concat([wtns.subarray(0, wtns.length - values.length), unsatisfying(values)]));
    const bent = await host.run({ plugin: 'groth16', taskId: 'bent', taskType: 'zkp-singleton', mode: 'performance', inputs: [{ name: 'witness', path: bentFile }], params: {}, deadlineMs: 0 });
    expect(bent).toMatchObject({ status: 'failed', code: 'GAL_ERR_INVALID_INPUT', reason: expect.stringMatching(/does not satisfy the circuit/) });
  } finally {
    await host.close();
  }
}

describe('the groth16 plugin', () => {
  it('proves through the process driver in both modes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-'));
    try {
      await proveThrough({ driver: new ProcessDriver(), spec: { command: [process.execPath, join(root, recipe.entry)] }, init: { params: {}, inputs: [{ name: 'zkey', path: fx.zkey }] } }, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!docker.ok)('proves through the docker driver in both modes, from an image built offline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-'));
    const driver = new DockerDriver({ agentId: 'groth16-test', memoryMB: 1024 });
    const image = await buildPluginImage(recipe, join(dir, 'images'));
    try {
      await driver.loadTarball(image.tarball, image.sha256);
      await proveThrough({ driver, spec: { image: image.ref }, init: { params: {}, inputs: [{ name: 'zkey', path: fx.zkey }] } }, dir);
    } finally {
      await driver.reapOrphans();
      await driver.docker.getImage(image.imageId).remove({ force: true }).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

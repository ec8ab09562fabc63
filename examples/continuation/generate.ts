/**
 * Prepares the continuation demo (examples/graphs/continuation*.json): a
 * Poseidon circuit with this package's constants, the chain-segment circuit
 * compiled with circom2, a small trusted setup with snarkjs, and the
 * witnesses of four consecutive segments. Everything goes to build/ (not
 * committed); it takes about a minute and runs once.
 *
 *   npm run demo:prepare
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import { requireCpuAddon } from '../../src/kernels/cpu.js';
import { readField } from '../../src/kernels/index.js';
import { readWtns } from '../../src/plugins/groth16/files.js';

export const SEGMENTS = 4;
export const STEPS = 4;
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const build = join(here, 'build');

export async function prepareContinuationDemo(): Promise<string> {
  if (existsSync(join(build, 'verification_key.json'))) return build;
  mkdirSync(build, { recursive: true });
  // 1. Poseidon constants from our own derivation, as circom arrays.
  const { c, m } = requireCpuAddon().poseidonConstants(2);
  const values = (bytes: Uint8Array) => Array.from({ length: bytes.length / 32 }, (_, i) => readField(bytes, i * 32).toString());
  const C = values(c), M = values(m);
  const template = readFileSync(join(here, 'poseidon.circom.template'), 'utf8');
  writeFileSync(
    join(build, 'poseidon.circom'),
    template.replace('/*C*/', `[${C.join(', ')}]`).replace('/*M*/', `[${[0, 1, 2].map((i) => `[${M.slice(3 * i, 3 * i + 3).join(', ')}]`).join(', ')}]`),
  );
  writeFileSync(join(build, 'segment.circom'), readFileSync(join(here, 'segment.circom'), 'utf8'));
  // 2. Compile, 3. set up.
  execFileSync(process.execPath, [join(root, 'node_modules/circom2/cli.js'), join(build, 'segment.circom'), '--r1cs', '--wasm', '-o', build]);
  const curve = await (snarkjs as any).curves.getCurveFromName('bn128');
  await snarkjs.powersOfTau.newAccumulator(curve, 11, join(build, 'pot0.ptau'));
  await snarkjs.powersOfTau.contribute(join(build, 'pot0.ptau'), join(build, 'pot1.ptau'), 'demo', 'galactic demo entropy');
  await snarkjs.powersOfTau.preparePhase2(join(build, 'pot1.ptau'), join(build, 'pot.ptau'));
  await snarkjs.zKey.newZKey(join(build, 'segment.r1cs'), join(build, 'pot.ptau'), join(build, 'segment0.zkey'));
  await snarkjs.zKey.contribute(join(build, 'segment0.zkey'), join(build, 'segment.zkey'), 'demo', 'more galactic demo entropy');
  // 4. Witnesses: each segment starts where the previous ended.
  let start = 1n;
  for (let k = 0; k < SEGMENTS; k++) {
    const file = join(build, `seg${k}.wtns`);
    await snarkjs.wtns.calculate({ start: start.toString(), offset: String(k * STEPS) }, join(build, 'segment_js', 'segment.wasm'), file);
    start = readField(readWtns(readFileSync(file)).values, 32); // signal 1: the output `end`
  }
  writeFileSync(join(build, 'verification_key.json'), JSON.stringify(await snarkjs.zKey.exportVerificationKey(join(build, 'segment.zkey'))));
  await curve.terminate();
  return build;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`demo inputs in ${await prepareContinuationDemo()}`);
  process.exit(0);
}

/**
 * A real Groth16 setup for tests: a circom circuit compiled with circom2, a
 * small powers-of-tau ceremony and a proving key made with snarkjs, and a
 * witness. Cached in the temp directory by circuit and input, since the
 * ceremony takes seconds.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as snarkjs from 'snarkjs';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Groth16Fixture {
  dir: string;
  zkey: string;
  wtns: string;
  vkey: Record<string, unknown>;
  wasm: string;
}

export async function groth16Fixture(circuit: string, input: Record<string, string | number>, power = 11): Promise<Groth16Fixture> {
  const source = readFileSync(join(root, 'test/fixtures/circuits', `${circuit}.circom`));
  const key = createHash('sha256').update(source).update(JSON.stringify(input)).update(String(power)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `galactic-groth16-${circuit}-${key}`);
  const done = join(dir, 'vkey.json');
  const files = { zkey: join(dir, 'circuit.zkey'), wtns: join(dir, 'witness.wtns'), wasm: join(dir, `${circuit}_js`, `${circuit}.wasm`) };
  if (!existsSync(done)) {
    mkdirSync(dir, { recursive: true });
    await run(process.execPath, [join(root, 'node_modules/circom2/cli.js'), join(root, 'test/fixtures/circuits', `${circuit}.circom`), '--r1cs', '--wasm', '-o', dir]);
    const ptau0 = join(dir, 'pot0.ptau'), ptau1 = join(dir, 'pot1.ptau'), ptau = join(dir, 'pot.ptau');
    const curve = await (snarkjs as any).curves.getCurveFromName('bn128');
    await snarkjs.powersOfTau.newAccumulator(curve, power, ptau0);
    await snarkjs.powersOfTau.contribute(ptau0, ptau1, 'test', 'galactic test entropy');
    await snarkjs.powersOfTau.preparePhase2(ptau1, ptau);
    const zkey0 = join(dir, 'circuit0.zkey');
    await snarkjs.zKey.newZKey(join(dir, `${circuit}.r1cs`), ptau, zkey0);
    await snarkjs.zKey.contribute(zkey0, files.zkey, 'test', 'more galactic test entropy');
    await snarkjs.wtns.calculate(input, files.wasm, files.wtns);
    const vkey = await snarkjs.zKey.exportVerificationKey(files.zkey);
    writeFileSync(`${done}.tmp`, JSON.stringify(vkey));
    renameSync(`${done}.tmp`, done);
  }
  return { dir, ...files, vkey: JSON.parse(readFileSync(done, 'utf8')) };
}

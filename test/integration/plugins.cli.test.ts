import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groth16Fixture, type Groth16Fixture } from '../helpers/groth16.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const galactic = (...args: string[]) => run(process.execPath, [bin, ...args]).catch((e) => e as { code: number; stdout: string; stderr: string });
let fx: Groth16Fixture;
let dir: string;

beforeAll(async () => {
  fx = await groth16Fixture('chain', { x: 3 });
  dir = mkdtempSync(join(tmpdir(), 'gpc-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('galactic plugin', () => {
  it('ls lists the groth16 plugin', async () => {
    const { stdout } = await galactic('plugin', 'ls', '--json');
    expect(JSON.parse(stdout)).toEqual([expect.objectContaining({ name: 'groth16', entry: 'plugins/groth16/main.mjs' })]);
  });

  it('run proves one task locally, in either mode, and snarkjs verifies it', async () => {
    for (const mode of ['efficient', 'performance']) {
      const out = join(dir, mode);
      const res = await galactic('plugin', 'run', 'groth16', '--input', `zkey=${fx.zkey}`, '--input', `witness=${fx.wtns}`, '--mode', mode, '--out', out, '--json');
      expect(JSON.parse(res.stdout).status).toBe('done');
      const proof = JSON.parse(readFileSync(join(out, 'proof.json'), 'utf8'));
      const signals = JSON.parse(readFileSync(join(out, 'public.json'), 'utf8'));
      expect(await snarkjs.groth16.verify(fx.vkey, signals, proof)).toBe(true);
    }
  });

  it('build writes a pinned, hashed image tarball', async () => {
    const built = JSON.parse((await galactic('plugin', 'build', 'groth16', '--out', join(dir, 'images'), '--json')).stdout);
    expect(built.ref).toMatch(/^galactic\/groth16@sha256:[0-9a-f]{64}$/);
    expect(built.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(built.tarball).toBe(join(dir, 'images', 'groth16-1.0.0.tar'));
  });

  it('answers bad input with exit 2, and a failed task with exit 1', async () => {
    expect((await galactic('plugin', 'run', 'plonky9')).code).toBe(2);
    expect((await galactic('plugin', 'run', 'groth16', '--input', 'nonsense')).code).toBe(2);
    expect((await galactic('plugin', 'run', 'groth16', '--mode', 'turbo')).code).toBe(2);
    const failed = await galactic('plugin', 'run', 'groth16', '--input', `witness=${fx.wtns}`);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/GAL_ERR_INVALID_INPUT/);
  });
});

/**
 * The arithmetic headers compiled on their own with the portable code path
 * (what nvcc builds for the GPU) and checked against the host fast path.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cpuFlags = async () => (await readFile('/proc/cpuinfo', 'utf8').catch(() => '')).toString();
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'galactic-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('native/include arithmetic', () => {
  it('portable multiplication agrees with the host fast path, the field laws and the IFMA lanes', async () => {
    const exe = join(dir, 'field_check');
    await run('g++', ['-O2', '-march=native', '-std=c++17', '-I', join(root, 'native/include'), join(root, 'native/test/field_check.cpp'), '-o', exe]);
    const { stdout } = await run(exe);
    expect(stdout).toMatch(/Fq: 0 mismatches/);
    expect(stdout).toMatch(/Fr: 0 mismatches/);
    if (/avx512ifma/.test(await cpuFlags())) expect(stdout).toMatch(/Fr x8: 0 mismatches/);
  });
});

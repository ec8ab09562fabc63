/**
 * The arithmetic headers compiled on their own with the portable code path
 * (what nvcc builds for the GPU) and checked against the host fast path.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'galactic-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('native/include arithmetic', () => {
  it('portable multiplication agrees with the host fast path and the field laws', async () => {
    const exe = join(dir, 'field_check');
    await run('g++', ['-O2', '-march=native', '-std=c++17', '-I', join(root, 'native/include'), join(root, 'native/test/field_check.cpp'), '-o', exe]);
    const { stdout } = await run(exe);
    expect(stdout).toMatch(/Fq: 0 mismatches/);
    expect(stdout).toMatch(/Fr: 0 mismatches/);
  });
});

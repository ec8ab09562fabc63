/** The package as a dependent and an operator meet it: the built entry and the CLI. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('package', () => {
  it("resolves `import { loadKernels } from 'galactic'` to the built entry", async () => {
    const script = `import { loadKernels, GalacticError, VERSION } from 'galactic';
      const k = await loadKernels({ backend: 'auto' });
      const h = await k.poseidon(new Uint8Array(32), 1);
      console.log(JSON.stringify({ backend: k.backend, len: h.length, version: VERSION, err: typeof GalacticError }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual({ backend: expect.stringMatching(/^(cpu|cuda)$/), len: 32, version: pkg.version, err: 'function' });
  });

  it('galactic --version and --help', async () => {
    const bin = new URL('../../' + pkg.bin.galactic, import.meta.url).pathname;
    expect((await run(process.execPath, [bin, '--version'])).stdout.trim()).toBe(pkg.version);
    expect((await run(process.execPath, [bin, '--help'])).stdout).toMatch(/Usage: galactic/);
    const bad = await run(process.execPath, [bin, '--no-such-flag']).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/unknown option/);
  });
});

/**
 * The self-benchmark: positive power for every kernel, results stored and
 * reused, and a prediction that holds: the MSM time estimated from gas and
 * the measured power lands within 2x of the time measured at sizes the
 * benchmark did not run.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { KERNELS, benchPoints, benchScalars, estimateMs, runBench } from '../../src/bench/index.js';
import { msmPlan } from '../../src/gas/index.js';
import { loadKernels } from '../../src/kernels/index.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'galactic-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('galactic bench', () => {
  it('--quick --json: positive power for every kernel on cpu, stored 0600 and reused', async () => {
    const env = { ...process.env, GALACTIC_HOME: home };
    const first = JSON.parse((await run(process.execPath, [bin, 'bench', '--quick', '--json'], { env })).stdout);
    expect(first.reused).toBe(false);
    for (const kernel of KERNELS) {
      const p = first.kernels.find((k: { kernel: string; backend: string }) => k.kernel === kernel && k.backend === 'cpu');
      expect(p.gasPerSecond).toBeGreaterThan(0);
      expect(p.nsPerGas).toBeGreaterThan(0);
    }
    expect(first.power).toBeGreaterThan(0);
    expect(first.calibrationSpread).toBeGreaterThanOrEqual(1);
    expect(statSync(join(home, 'bench-quick.json')).mode & 0o777).toBe(0o600);

    const second = JSON.parse((await run(process.execPath, [bin, 'bench', '--quick', '--json'], { env })).stdout);
    expect(second.reused).toBe(true);
    expect(second.date).toBe(first.date);
    const forced = JSON.parse((await run(process.execPath, [bin, 'bench', '--quick', '--json', '--force'], { env })).stdout);
    expect(forced.reused).toBe(false);
  });

  it('plain lines when not on a terminal, and a table', async () => {
    const { stdout, stderr } = await run(process.execPath, [bin, 'bench', '--quick', '--force'], { env: { ...process.env, GALACTIC_HOME: home } });
    expect(stderr).toMatch(/^bench 1\/3: msm on cpu$/m);
    expect(stdout).toMatch(/power: .* Ggas\/s on the reference mix/);
  });

  it('rejects bad options with a GalacticError', async () => {
    await expect(runBench({ secondsPerKernel: -1 })).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT' });
    await expect(runBench({ backends: 'cpu' as never })).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT' });
    await expect(runBench({ backends: ['tpu' as never] })).rejects.toMatchObject({ code: 'GAL_ERR_BACKEND_UNAVAILABLE' });
  });

  it('an unknown backend exits 2', async () => {
    const r = await run(process.execPath, [bin, 'bench', '--quick', '--backend', 'tpu']).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 2 });
    expect((r as { stderr: string }).stderr).toMatch(/GAL_ERR_BACKEND_UNAVAILABLE/);
  });

  it('predicts MSM times within 2x at sizes it did not measure', async () => {
    const result = await runBench({ quick: true, home, force: true });  // calibrated at 2^14
    const k = await loadKernels({ backend: 'cpu' });
    for (const log of [13, 16]) {
      const n = 2 ** log;
      const points = benchPoints(n), scalars = benchScalars(n);
      await k.msm(points, scalars);
      const times = [];
      for (let r = 0; r < 5; r++) {
        const t0 = performance.now();
        await k.msm(points, scalars);
        times.push(performance.now() - t0);
      }
      const measured = times.sort((a, b) => a - b)[2]!;
      const estimated = estimateMs(result, 'msm', msmPlan(n).gas);
      expect(estimated / measured).toBeGreaterThan(0.5);
      expect(estimated / measured).toBeLessThan(2);
    }
  });
});

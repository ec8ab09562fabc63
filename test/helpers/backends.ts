/**
 * The backends a suite runs against: every backend that loads here, or the
 * comma-separated list in GALACTIC_TEST_BACKENDS. The CPU backend is the
 * reference and must always load; under CI so must webgpu (llvmpipe).
 */
import { listBackends, loadKernels, type BackendName, type Kernels } from '../../src/kernels/index.js';

export async function backendsUnderTest(): Promise<BackendName[]> {
  const listed = process.env.GALACTIC_TEST_BACKENDS;
  if (listed) return listed.split(',').map((s) => s.trim()) as BackendName[];
  const all = await listBackends();
  const webgpu = all.find((b) => b.name === 'webgpu');
  if (process.env.CI && !webgpu?.available)
    throw new Error(`the webgpu backend must run under CI (.ci/run installs Mesa): ${webgpu?.reason ?? 'not registered'}`);
  return all.filter((b) => b.available).map((b) => b.name);
}

const loaded = new Map<BackendName, Promise<Kernels>>();
export function kernelsFor(backend: BackendName): Promise<Kernels> {
  let k = loaded.get(backend);
  if (!k) loaded.set(backend, (k = loadKernels({ backend })));
  return k;
}

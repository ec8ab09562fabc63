/**
 * The backends a suite runs against: every backend that loads here, or the
 * comma-separated list in GALACTIC_TEST_BACKENDS. The CPU backend is the
 * reference and must always load; under CI so must webgpu (llvmpipe), and
 * under GALACTIC_REQUIRE_CUDA (npm run test:gpu) so must cuda.
 */
import { listBackends, loadKernels, type BackendName, type Kernels } from '../../src/kernels/index.js';

export async function backendsUnderTest(): Promise<BackendName[]> {
  const listed = process.env.GALACTIC_TEST_BACKENDS;
  if (listed) return listed.split(',').map((s) => s.trim()) as BackendName[];
  const all = await listBackends();
  const webgpu = all.find((b) => b.name === 'webgpu');
  if (process.env.CI && !webgpu?.available)
    throw new Error(`the webgpu backend must run under CI (.ci/run installs Mesa): ${webgpu?.reason ?? 'not registered'}`);
  const cuda = all.find((b) => b.name === 'cuda');
  if (process.env.GALACTIC_REQUIRE_CUDA && !cuda?.available)
    throw new Error(`npm run test:gpu needs the cuda backend: ${cuda?.reason ?? 'not registered'}`);
  return all.filter((b) => b.available).map((b) => b.name);
}

const loaded = new Map<BackendName, Promise<Kernels>>();
export function kernelsFor(backend: BackendName): Promise<Kernels> {
  let k = loaded.get(backend);
  // cuda: every MSM on the GPU, however small, so the edge cases reach it.
  if (!k) loaded.set(backend, (k = loadKernels({ backend, ...(backend === 'cuda' ? { cpuBelow: 0 } : {}) })));
  return k;
}

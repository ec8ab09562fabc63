#!/usr/bin/env node
// Builds the CUDA module (native/cuda → build-cuda/Release/galactic_cuda.node)
// with cmake-js. `npm run build:cuda` builds it and fails loudly; with
// --optional (what `npm install` runs) a machine without nvcc is skipped
// quietly and a failed build prints one warning, so the CPU addon still
// installs. The full build log is kept in build-cuda/build.log.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const optional = process.argv.includes('--optional');
const outAt = process.argv.indexOf('--out');  // another build folder (tests); the loader looks in build-cuda
const out = outAt > 0 ? process.argv[outAt + 1] : join(root, 'build-cuda');
const log = join(out, 'build.log');

function findNvcc() {
  if (process.env.CUDACXX && existsSync(process.env.CUDACXX)) return process.env.CUDACXX;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const d of dirs) if (existsSync(join(d, 'nvcc'))) return join(d, 'nvcc');
  return null;
}

function give(message, code) {
  if (optional) {
    console.warn(`galactic: ${message}`);
    process.exit(0);
  }
  console.error(`galactic: ${message}`);
  process.exit(code);
}

const nvcc = findNvcc();
if (!nvcc) {
  if (optional) process.exit(0);  // no CUDA toolkit: nothing to build, nothing to say
  give('nvcc was not found on PATH (or CUDACXX); install the CUDA toolkit to build the CUDA backend', 1);
}

let cmakeJs;
try {
  cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
} catch {
  give('the CUDA backend was not built: the cmake-js package is missing (npm install cmake-js)', 1);
}

mkdirSync(out, { recursive: true });
const started = Date.now();
const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--directory', join(root, 'native/cuda'), '--out', out, '--CDCMAKE_CUDA_COMPILER=' + nvcc], {
  cwd: root,
  encoding: 'utf8',
  maxBuffer: 64 << 20,
  env: { ...process.env, CUDACXX: nvcc },
});
writeFileSync(log, `${result.stdout ?? ''}\n${result.stderr ?? ''}`);
if (result.status !== 0) give(`the CUDA backend was not built (cmake-js exited with ${result.status ?? result.signal}); the CPU backend is unaffected. Log: ${log}`, 1);
if (!optional) console.log(`galactic: CUDA module built in ${((Date.now() - started) / 1000).toFixed(0)} s (${join(out, 'Release/galactic_cuda.node')})`);

/** `galactic bench`: this machine's power of computation, per kernel and backend. */
import type { Command } from 'commander';
import { GalacticError } from '../errors.js';
import { dataDir, runBench, type BenchProgress } from '../bench/index.js';
import type { BackendName } from '../kernels/index.js';

const collect = (value: string, previous: string[]) => [...previous, value];
const giga = (x: number) => `${(x / 1e9).toFixed(2)} Ggas/s`;

function progress(p: BenchProgress): void {
  if (process.stderr.isTTY) {
    const width = 24, filled = Math.round((p.step / p.steps) * width);
    const label = p.step < p.steps ? `${p.kernel} on ${p.backend}` : 'done';
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.step}/${p.steps} ${label.padEnd(24)}`);
    if (p.step === p.steps) process.stderr.write('\n');
  } else if (p.step < p.steps) {
    process.stderr.write(`bench ${p.step + 1}/${p.steps}: ${p.kernel} on ${p.backend}\n`);
  }
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure gas/s per kernel and backend, and the headline power of this machine')
    .option('--quick', 'smaller sizes, well under a minute')
    .option('--backend <name>', 'measure only this backend (repeatable)', collect, [])
    .option('--force', 'measure again even if a stored result matches this machine')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { quick?: boolean; backend: string[]; force?: boolean; json?: boolean }) => {
      try {
        const r = await runBench({
          quick: opts.quick,
          force: opts.force,
          backends: opts.backend.length ? (opts.backend as BackendName[]) : undefined,
          onProgress: opts.json ? undefined : progress,
        });
        if (opts.json) {
          process.stdout.write(JSON.stringify(r, null, 2) + '\n');
          return;
        }
        const lines = [
          `${'kernel'.padEnd(9)}${'backend'.padEnd(9)}${'size'.padStart(9)}${'median'.padStart(12)}${'power'.padStart(18)}${'ns/gas'.padStart(10)}`,
          ...r.kernels.map((k) =>
            `${k.kernel.padEnd(9)}${k.backend.padEnd(9)}${String(k.size).padStart(9)}${`${k.medianMs.toFixed(2)} ms`.padStart(12)}${giga(k.gasPerSecond).padStart(18)}${k.nsPerGas.toFixed(3).padStart(10)}`,
          ),
          '',
          `best: ${Object.entries(r.best).map(([k, b]) => `${k} on ${b.backend}`).join(', ')}`,
          `power: ${giga(r.power)} on the reference mix (${Object.entries(r.mix).map(([k, w]) => `${k} ${w * 100}%`).join(', ')})`,
          `calibration: ns per gas differs by ${r.calibrationSpread.toFixed(2)}× between kernels (the gas table is a model)`,
          `${r.reused ? 'stored result from' : 'measured'} ${r.date}, ${r.mode} mode, kept in ${dataDir()}`,
        ];
        process.stdout.write(lines.join('\n') + '\n');
      } catch (err) {
        if (!(err instanceof GalacticError)) throw err;
        process.stderr.write(`galactic bench: ${err.message} (${err.code})\n`);
        process.exitCode = 2;
      }
    });
}

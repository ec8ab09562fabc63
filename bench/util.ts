/** Shared plumbing for the benchmarks: timing, tables, JSON results. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));

/** The value after `--name` on the command line, if given. */
export function cliArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * Median wall time in ms after `warmup` unmeasured runs: at least `reps`
 * runs, more for fast kernels (until ~1 s has been measured, at most 51), so
 * small sizes are not at the mercy of one scheduling hiccup.
 */
export async function median(fn: () => Promise<unknown> | unknown, reps: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  let spent = 0;
  while (times.length < reps || (spent < 1000 && times.length < 51)) {
    const t0 = process.hrtime.bigint();
    await fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    times.push(ms);
    spent += ms;
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
}

/** n pseudo-random 32-byte field elements below both r and q, fast (no bigint per byte). */
export function randomFieldBytes(n: number, modulusTopByte = 0x2f): Uint8Array {
  const out = new Uint8Array(32 * n);
  let s = 0x12345678;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    out[i] = s & 0xff;
  }
  for (let i = 0; i < n; i++) out[32 * i + 31]! &= modulusTopByte;  // keep below r and q
  return out;
}

export function machine() {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', logicalCores: c.length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

export function fmt(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x >= 100 ? x.toFixed(0) : x.toFixed(digits);
}

/** A Markdown table: header row, separator, rows. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function writeResult(name: string, data: unknown): string {
  const dir = join(benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

/** Polls `check` until it holds; a check that throws counts as not yet. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000, pollMs = 5): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(check).catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

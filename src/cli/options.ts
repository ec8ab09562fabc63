/** Parsers for CLI option values: commander reports a bad value as a usage error (exit 2). */
import { InvalidArgumentError } from 'commander';
import { invalidArgument } from '../errors.js';

const usage = (what: string, flag: string, text: string) => new InvalidArgumentError(invalidArgument(what, flag, text).message);

export function integerOption(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) throw usage(`an integer from ${min} to ${max}`, flag, text);
    return n;
  };
}

export function numberOption(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw usage('a non-negative number', flag, text);
    return n;
  };
}

/** Runs a command body; a GalacticError becomes one line on stderr and exit code 2. */
export async function reportErrors(command: string, body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (typeof e?.code !== 'string' || !e.code.startsWith('GAL_ERR_')) throw err;
    process.stderr.write(`galactic ${command}: ${e.message} (${e.code})\n`);
    process.exitCode = 2;
  }
}

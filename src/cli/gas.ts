/** `galactic gas`: offline gas estimates for kernels, a circuit (r1cs) or a graph. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { GalacticError, invalidArgument } from '../errors.js';
import { GAS_TABLE_VERSION, estimateGraph, estimateGroth16, estimateWorkload, price, readR1csHeader, type GasItem } from '../gas/index.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function integer(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw invalidArgument('a positive integer', flag, text);
  return n;
}

function readFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a readable file for ${flag} but ${path}: ${(err as Error).message}`);
  }
}

interface GasOptions {
  msm: string[];
  msmG2: string[];
  ntt: string[];
  poseidon: string[];
  r1cs?: string;
  protocol: string;
  graph?: string;
  price?: string;
  json?: boolean;
}

export function runGas(opts: GasOptions) {
  const sections: { source: string; items: GasItem[]; total: number; domain?: number }[] = [];
  const kernels = estimateWorkload({
    msm: opts.msm.map((v) => integer(v, '--msm')),
    msmG2: opts.msmG2.map((v) => integer(v, '--msm-g2')),
    ntt: opts.ntt.map((v) => integer(v, '--ntt')),
    poseidon: opts.poseidon.map((v) => {
      const m = /^(\d+):(\d+)$/.exec(v);
      if (!m) throw invalidArgument('HASHES:ARITY, e.g. 65536:2', '--poseidon', v);
      return [integer(m[1]!, '--poseidon hashes'), integer(m[2]!, '--poseidon arity')] as [number, number];
    }),
  });
  if (kernels.items.length) sections.push({ source: 'kernels', ...kernels });
  if (opts.r1cs) {
    if (opts.protocol !== 'groth16')
      throw new GalacticError('GAL_ERR_PROTOCOL_UNSUPPORTED', `Expected groth16 for --protocol but received ${JSON.stringify(opts.protocol)}`);
    const header = readR1csHeader(readFile(opts.r1cs, '--r1cs'));
    sections.push({ source: `groth16 ${opts.r1cs} (${header.nConstraints} constraints, ${header.nWires} wires)`, ...estimateGroth16(header) });
  }
  if (opts.graph) {
    let json: unknown;
    try {
      json = JSON.parse(readFile(opts.graph, '--graph').toString('utf8'));
    } catch (err) {
      if (err instanceof GalacticError) throw err;
      throw new GalacticError('GAL_ERR_GRAPH_INVALID', `Expected JSON for --graph but ${opts.graph}: ${(err as Error).message}`);
    }
    sections.push({ source: `graph ${opts.graph}`, ...estimateGraph(json) });
  }
  if (sections.length === 0) throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', 'Expected at least one of --msm, --msm-g2, --ntt, --poseidon, --r1cs, --graph but received none');
  const total = sections.reduce((s, x) => s + x.total, 0);
  const pGas = opts.price === undefined ? undefined : Number(opts.price);
  return { table: GAS_TABLE_VERSION, sections, total, ...(pGas === undefined ? {} : { pGas, price: price(total, pGas) }) };
}

export function formatGas(r: ReturnType<typeof runGas>): string {
  const lines: string[] = [];
  const fmt = (n: number) => n.toLocaleString('en-US');
  for (const s of r.sections) {
    lines.push(`${s.source}${s.domain ? `, domain ${fmt(s.domain)}` : ''}`);
    for (const i of s.items) lines.push(`  ${i.what.padEnd(28)} ${`size ${fmt(i.size)}`.padEnd(18)} ×${String(i.count).padEnd(6)} ${fmt(i.gas).padStart(22)} gas`);
    lines.push(`  ${'subtotal'.padEnd(54)} ${fmt(s.total).padStart(22)} gas`);
  }
  lines.push(`total (${r.table}): ${fmt(r.total)} gas`);
  if (r.price !== undefined) lines.push(`price at ${r.pGas} per gas: ${r.price}`);
  return lines.join('\n');
}

export function registerGas(program: Command): void {
  program
    .command('gas')
    .description('estimate the gas of kernel calls, of Groth16 proving for a circuit, or of a graph')
    .option('--msm <n>', 'a BN254 G1 MSM of n points (repeatable)', collect, [])
    .option('--msm-g2 <n>', 'a BN254 G2 MSM of n points (repeatable)', collect, [])
    .option('--ntt <n>', 'an NTT of n values, a power of two (repeatable)', collect, [])
    .option('--poseidon <hashes:arity>', 'Poseidon hashes of the given arity (repeatable)', collect, [])
    .option('--r1cs <file>', 'a circom .r1cs circuit: the proving work of --protocol')
    .option('--protocol <name>', 'proving protocol for --r1cs', 'groth16')
    .option('--graph <file>', 'a computation graph (JSON): the sum of its ops’ workloads')
    .option('--price <pGas>', 'price per gas: also print P = P_gas × Gas')
    .option('--json', 'print the estimate as JSON')
    .action((opts: GasOptions) => {
      try {
        const result = runGas(opts);
        process.stdout.write(opts.json ? JSON.stringify(result, null, 2) + '\n' : formatGas(result) + '\n');
      } catch (err) {
        if (!(err instanceof GalacticError)) throw err;
        process.stderr.write(`galactic gas: ${err.message} (${err.code})\n`);
        process.exitCode = 2;
      }
    });
}

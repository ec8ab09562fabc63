/** `galactic submit GRAPH.json`: submits a graph to an oracle and, with --follow, follows it to the end. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { GalacticError } from '../errors.js';
import { DEFAULT_PORT } from '../oracle/config.js';
import { call } from './api.js';
import { integerOption, reportErrors } from './options.js';

interface SubmitFlags {
  oracle: string;
  token?: string;
  follow?: boolean;
  intervalMs: number;
  json?: boolean;
}

const TERMINAL = new Set(['done', 'failed', 'cancelled']);
/** How long --follow waits for an oracle that stopped answering (a restart takes seconds). */
const FOLLOW_PATIENCE_MS = 60_000;

function readGraph(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a readable graph file but ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GalacticError('GAL_ERR_GRAPH_INVALID', `Expected JSON in ${path} but ${(err as Error).message}`);
  }
}

/**
 * `{"file": "path"}` anywhere in the graph's params: uploads the file (path
 * relative to the graph file) and puts its blob reference in its place.
 */
async function uploadFiles(graph: unknown, graphFile: string, base: string, token: string | undefined): Promise<void> {
  const uploaded = new Map<string, string>();
  const visit = async (value: unknown): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map(visit));
    if (!value || typeof value !== 'object') return value;
    const o = value as Record<string, unknown>;
    if (typeof o.file === 'string' && Object.keys(o).length === 1) {
      const path = resolve(dirname(graphFile), o.file);
      if (!uploaded.has(path)) {
        let bytes: Buffer;
        try {
          bytes = readFileSync(path);
        } catch {
          throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a readable file at ${path} (referenced by the graph) but there is none; for the examples, run npm run demo:prepare`);
        }
        const sha = createHash('sha256').update(bytes).digest('hex');
        await call(`${base}/v1/blobs/${sha}`, { method: 'PUT', body: new Uint8Array(bytes), headers: { 'content-type': 'application/octet-stream' } }, token);
        uploaded.set(path, sha);
      }
      return { blob: uploaded.get(path) };
    }
    for (const [k, v] of Object.entries(o)) o[k] = await visit(v);
    return o;
  };
  for (const op of ((graph as { ops?: unknown[] })?.ops ?? []) as Record<string, unknown>[])
    if (op && typeof op === 'object' && op.params) op.params = await visit(op.params);
}

export function registerSubmit(program: Command): void {
  program
    .command('submit')
    .description('submit a computation graph to an oracle; --follow prints each op as it moves until the graph ends')
    .argument('<graph>', 'the graph, a JSON file (docs/protocol.md §3); {"file": PATH} params are uploaded as blobs first')
    .option('--oracle <url>', 'the oracle', process.env.GALACTIC_ORACLE ?? `http://127.0.0.1:${DEFAULT_PORT}`)
    // Read from the environment in the action, not as a default: --help prints defaults, and this one is a secret.
    .option('--token <token>', 'requester token (default $GALACTIC_TOKEN)')
    .option('--follow', 'follow the graph to the end; exit 0 when done, 1 when it failed or was cancelled')
    .option('--interval-ms <ms>', 'how often to poll while following', integerOption('--interval-ms', 50), 500)
    .option('--json', 'print JSON: the submission, or with --follow the final graph')
    .action((file: string, flags: SubmitFlags) =>
      reportErrors('submit', async () => {
        flags.token ??= process.env.GALACTIC_TOKEN;
        const base = flags.oracle.replace(/\/+$/, '');
        const graph = readGraph(file);
        await uploadFiles(graph, file, base, flags.token);
        const submitted = await call(`${base}/v1/graphs`, { method: 'POST', body: JSON.stringify(graph) }, flags.token);
        const out = (line: string) => !flags.json && process.stdout.write(line + '\n');
        out(`submitted ${submitted.id}: ${submitted.gas.toLocaleString('en-US')} gas, price ${submitted.price}`);
        for (const w of submitted.warnings ?? []) out(`  warning ${w.path}: ${w.message}`);
        if (!flags.follow) {
          if (flags.json) process.stdout.write(JSON.stringify(submitted, null, 2) + '\n');
          return;
        }
        const seen = new Map<string, string>();
        const names = new Map<string, string>();
        let unreachableSince: number | null = null;
        // After the first read, only the ops changed since the last one (an
        // ended graph's document is always whole).
        let version: string | null = null;
        for (;;) {
          let g: any;
          try {
            const since = version === null ? '' : `?since=${encodeURIComponent(version)}`;
            g = await call(`${base}/v1/graphs/${submitted.id}${since}`, { method: 'GET' }, flags.token);
            version = g.version;
            unreachableSince = null;
          } catch (err) {
            // An oracle restarting resumes the graph: wait for it, up to a minute, before giving up.
            if (!(err instanceof GalacticError && err.code === 'GAL_ERR_ORACLE_UNREACHABLE')) throw err;
            if (unreachableSince === null) out(`  (the oracle is unreachable: ${err.message}; waiting for it)`);
            unreachableSince ??= Date.now();
            if (Date.now() - unreachableSince > FOLLOW_PATIENCE_MS) throw err;
            await new Promise((r) => setTimeout(r, flags.intervalMs));
            continue;
          }
          for (const op of g.ops) {
            const last = op.attempts.at(-1);
            if (last) names.set(last.prover, last.proverName);
            const devices = (op.deviceIds ?? []).map((id: string) => names.get(id) ?? id).join(', ');
            const state =
              `${op.status}${devices ? ` on ${devices}` : ''}` +
              (op.verification ? `, ${op.verification}` : '') +
              (last?.outcome && last.outcome !== 'done' ? ` (attempt ${last.attempt}: ${last.outcome})` : '');
            if (seen.get(op.id) !== state) {
              seen.set(op.id, state);
              out(`  ${op.id.padEnd(16)} ${state}`);
            }
          }
          if (TERMINAL.has(g.status)) {
            if (flags.json) process.stdout.write(JSON.stringify(g, null, 2) + '\n');
            out(`graph ${g.id} ${g.status}${g.error ? `: ${g.error}` : ''}`);
            for (const op of g.ops)
              for (const o of op.output ?? []) out(`  ${op.id}/${o.name}  ${o.size} bytes  ${base}/v1/blobs/${o.sha256}`);
            if (g.status !== 'done') process.exitCode = 1;
            return;
          }
          await new Promise((r) => setTimeout(r, flags.intervalMs));
        }
      }),
    );
}

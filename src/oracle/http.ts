/**
 * The requester API (PROTOCOL.md §1) on node:http: routes, bearer tokens,
 * body limits, and errors always as `{"error": {"code", "message"}}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GalacticError, type ErrorCode } from '../errors.js';
import { SHA256_HEX, type CatalogEntry, type GraphProblem } from '../protocol/index.js';
import type { BlobStore } from './blobs.js';
import { DASHBOARD_HTML, DASHBOARD_JS } from './dashboard.js';
import { validateGraph } from './graph.js';
import type { OracleMetrics } from './metrics.js';
import type { GraphRun, Scheduler } from './scheduler.js';
import type { Caller, TokenAuthority } from './tokens.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  GAL_ERR_INVALID_ARGUMENT: 400,
  GAL_ERR_GRAPH_INVALID: 400,
  GAL_ERR_BLOB_HASH: 400,
  GAL_ERR_UNAUTHORIZED: 401,
  GAL_ERR_FORBIDDEN: 403,
  GAL_ERR_NOT_FOUND: 404,
  GAL_ERR_METHOD_NOT_ALLOWED: 405,
  GAL_ERR_SIZE_LIMIT: 413,
};

export interface ApiContext {
  oracleId: string;
  version: string;
  scheduler: Scheduler;
  blobs: BlobStore;
  tokens: TokenAuthority;
  metrics: OracleMetrics;
  catalog: readonly CatalogEntry[];
  maxBodyBytes: number;
  maxOps: number;
  now(): number;
  log(level: 'info' | 'warn', message: string, fields?: Record<string, unknown>): void;
}

type Role = Caller['role'];
const REQUESTERS: readonly Role[] = ['operator', 'requester'];
const ANYONE_KNOWN: readonly Role[] = ['operator', 'requester', 'prover'];

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy();
  if (err instanceof GalacticError) {
    const body: Record<string, unknown> = { code: err.code, message: err.message };
    if (err.details?.problems) body.problems = err.details.problems;
    if (err.code === 'GAL_ERR_UNAUTHORIZED') res.setHeader('www-authenticate', 'Bearer');
    return sendJson(res, STATUS[err.code] ?? 500, { error: body });
  }
  sendJson(res, 500, { error: { code: 'GAL_ERR_INTERNAL', message: 'internal error; the oracle logged the details' } });
}

/**
 * A request's path and query. Any byte string can arrive as the target
 * (`//`, `*`, bad percent escapes), so this never throws anything but a
 * GalacticError.
 */
export function requestTarget(raw: string | undefined): { url: URL; parts: string[] } {
  const target = raw ?? '/';
  const bad = () =>
    new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a request path such as /v1/graphs but received ${JSON.stringify(target.slice(0, 80))}`);
  if (!target.startsWith('/')) throw bad();
  let url: URL;
  try {
    // Prefixed rather than resolved against a base: `//x` is a path here, not another host.
    url = new URL(`http://oracle${target}`);
  } catch {
    throw bad();
  }
  try {
    return { url, parts: url.pathname.split('/').filter(Boolean).map(decodeURIComponent) };
  } catch {
    throw bad();
  }
}

/** `?limit=`: 100 when absent, at most 1000; anything but a positive integer is refused. */
function listLimit(raw: string | null): number {
  if (raw === null) return 100;
  if (!/^[0-9]{1,9}$/.test(raw) || Number(raw) < 1)
    throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected ?limit= to be an integer from 1 to 1000 but received ${JSON.stringify(raw.slice(0, 40))}`);
  return Math.min(Number(raw), 1000);
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new GalacticError('GAL_ERR_SIZE_LIMIT', `Expected a body of at most ${limit} bytes but received ${declared}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new GalacticError('GAL_ERR_SIZE_LIMIT', `Expected a body of at most ${limit} bytes but received more`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a JSON body but it does not parse: ${(err as Error).message}`);
  }
}

/**
 * A graph's version, its document's `version` field and ETag: the live copy
 * and its change count while the graph runs here, its end time once it has
 * ended (an ended graph no longer changes).
 */
export function graphVersion(run: GraphRun): string {
  return run.endedAt === null ? `${run.instance}.${run.version}` : `end.${run.endedAt}`;
}

/** The change count that `since` names, when it is an earlier version of this same live copy; else null. */
function versionSince(run: GraphRun, since: string | null): number | null {
  if (since === null || run.endedAt !== null || !since.startsWith(`${run.instance}.`)) return null;
  const n = Number(since.slice(run.instance.length + 1));
  return Number.isSafeInteger(n) && n >= 0 && n <= run.version ? n : null;
}

/**
 * The graph as requesters read it. With `since` (an earlier `version` of
 * this graph) only the ops changed after it are listed and `changedSince`
 * says so; a version the oracle cannot answer from (another process, an
 * ended graph) gets the whole document.
 */
export function graphDocument(s: Scheduler, run: GraphRun, since: string | null = null) {
  const { ops: _ops, ...graph } = run.graph;
  const from = versionSince(run, since);
  const ops = [...run.ops.values()];
  return {
    id: run.id,
    ...graph,
    status: run.status,
    gas: run.gas,
    price: run.price,
    createdAt: run.createdAt,
    endedAt: run.endedAt,
    error: run.error,
    version: graphVersion(run),
    ...(from === null ? {} : { changedSince: since }),
    ops: (from === null ? ops : ops.filter((op) => op.version > from)).map((op) => ({
      ...op.op,
      status: op.status,
      deviceIds: op.deviceIds,
      /** `verified` when the winning result's proof was checked, `unverified` when no verifier ran. */
      verification: op.status !== 'done' ? null : op.attempts.find((a) => a.outcome === 'done')?.verified ? 'verified' : 'unverified',
      gas: op.gas.total,
      attempts: op.attempts.map((a) => s.attemptView(a)),
      output: op.output,
    })),
  };
}

export function createApi(ctx: ApiContext) {
  const { scheduler } = ctx;

  function allow(caller: Caller, roles: readonly Role[]): void {
    if (caller.role === 'anonymous') throw new GalacticError('GAL_ERR_UNAUTHORIZED', 'Expected an Authorization: Bearer <token> header but received none that is valid');
    if (!roles.includes(caller.role)) throw new GalacticError('GAL_ERR_FORBIDDEN', `This needs one of the roles ${roles.join(', ')}, not ${caller.role}`);
  }

  function ownGraph(caller: Caller, id: string): GraphRun {
    const run = scheduler.graphView(id);
    // Requesters see their own graphs only; a stranger's graph reads as absent.
    if (!run || (caller.role === 'requester' && run.owner !== caller.id)) throw new GalacticError('GAL_ERR_NOT_FOUND', `No graph ${id}`);
    return run;
  }

  async function route(req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<void> {
    const { url, parts } = requestTarget(req.url);
    const method = req.method ?? 'GET';
    const methods = (allowed: string[]) => {
      if (!allowed.includes(method)) {
        res.setHeader('allow', allowed.join(', '));
        throw new GalacticError('GAL_ERR_METHOD_NOT_ALLOWED', `Expected ${allowed.join(' or ')} for ${url.pathname} but received ${method}`);
      }
    };

    if (url.pathname === '/' || url.pathname === '/dashboard.js') {
      methods(['GET']);
      const js = url.pathname === '/dashboard.js';
      const body = js ? DASHBOARD_JS : DASHBOARD_HTML;
      res.writeHead(200, {
        'content-type': js ? 'text/javascript; charset=utf-8' : 'text/html; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
        'x-content-type-options': 'nosniff',
      });
      return void res.end(body);
    }
    if (url.pathname === '/healthz') {
      methods(['GET']);
      return sendJson(res, 200, { ok: true, oracleId: ctx.oracleId, version: ctx.version, ...scheduler.counts() });
    }
    if (url.pathname === '/metrics') {
      methods(['GET']);
      allow(caller, ['operator']);
      const text = await ctx.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType });
      return void res.end(text);
    }
    if (parts[0] !== 'v1') throw new GalacticError('GAL_ERR_NOT_FOUND', `No route ${url.pathname}`);
    const [, resource, id, sub, opId, leaf] = parts;

    if (resource === 'graphs' && id === undefined) {
      methods(['GET', 'POST']);
      allow(caller, REQUESTERS);
      if (method === 'GET') {
        const limit = listLimit(url.searchParams.get('limit'));
        return sendJson(res, 200, scheduler.listGraphs(limit, caller.role === 'operator' ? null : caller.id));
      }
      const body = await readJson(req, ctx.maxBodyBytes);
      const verdict = validateGraph(body, {
        catalog: ctx.catalog,
        limits: { maxOps: ctx.maxOps },
        blobExists: (sha) => ctx.blobs.has(sha),
        couldEverMatch: (op) => scheduler.couldEverMatch(op),
      });
      if (!verdict.ok)
        throw new GalacticError('GAL_ERR_GRAPH_INVALID', describeProblems(verdict.problems), { problems: verdict.problems });
      const run = scheduler.submit(verdict.graph, caller.role === 'requester' ? caller.id : null);
      ctx.log('info', 'graph submitted', { graph: run.id, ops: run.ops.size, gas: run.gas });
      return sendJson(res, 201, { id: run.id, gas: run.gas, price: run.price, warnings: verdict.warnings });
    }
    if (resource === 'graphs' && id !== undefined && sub === undefined) {
      methods(['GET', 'DELETE']);
      allow(caller, REQUESTERS);
      const run = ownGraph(caller, id);
      if (method === 'GET') {
        const since = url.searchParams.get('since');
        if (since !== null && !/^[\w.-]{1,64}$/.test(since))
          throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected since to be the version of an earlier read of the graph but received ${JSON.stringify(since.slice(0, 80))}`);
        const etag = `"${graphVersion(run)}"`;
        res.setHeader('etag', etag);
        const known = (req.headers['if-none-match'] ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
        if (known.includes(etag)) {
          res.writeHead(304);
          return void res.end();
        }
        return sendJson(res, 200, graphDocument(scheduler, run, since));
      }
      scheduler.cancelGraph(run.id);
      return sendJson(res, 202, { id: run.id, status: scheduler.graphView(run.id)!.status });
    }
    if (resource === 'graphs' && id !== undefined && sub === 'ops' && opId !== undefined && leaf === 'output' && parts.length === 6) {
      methods(['GET']);
      allow(caller, REQUESTERS);
      const op = ownGraph(caller, id).ops.get(opId);
      if (!op) throw new GalacticError('GAL_ERR_NOT_FOUND', `No op ${opId} in graph ${id}`);
      if (!op.output) throw new GalacticError('GAL_ERR_NOT_FOUND', `Op ${opId} has no output yet (status ${op.status})`);
      const wanted = url.searchParams.get('name');
      const outputs = wanted === null ? op.output : op.output.filter((o) => o.name === wanted);
      if (outputs.length === 0) throw new GalacticError('GAL_ERR_NOT_FOUND', `Op ${opId} has no output named ${wanted}`);
      if (outputs.length > 1)
        return sendJson(res, 200, { outputs: outputs.map((o) => ({ ...o, url: `/v1/blobs/${o.sha256}` })) });
      return streamBlob(res, outputs[0]!.sha256, outputs[0]!.name);
    }
    if (resource === 'provers' && id === undefined) {
      methods(['GET']);
      allow(caller, ANYONE_KNOWN);
      return sendJson(res, 200, [...scheduler.provers.values()].map((p) => scheduler.proverView(p)));
    }
    if (resource === 'plugins' && id === undefined) {
      methods(['GET']);
      allow(caller, ANYONE_KNOWN);
      return sendJson(res, 200, ctx.catalog);
    }
    if (resource === 'blobs' && id !== undefined && parts.length === 3) {
      methods(['GET', 'PUT']);
      allow(caller, ANYONE_KNOWN);
      if (!SHA256_HEX.test(id)) throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a lowercase hex sha256 in the path but received ${JSON.stringify(id.slice(0, 80))}`);
      if (method === 'GET') return streamBlob(res, id, null);
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > ctx.blobs.maxBytes) throw new GalacticError('GAL_ERR_SIZE_LIMIT', `Expected a blob of at most ${ctx.blobs.maxBytes} bytes but received ${declared}`);
      const stored = await ctx.blobs.put(id, req, ctx.now());
      return sendJson(res, stored.created ? 201 : 200, { sha256: id, size: stored.size });
    }
    if (resource === 'tokens' && id === undefined) {
      methods(['GET', 'POST']);
      allow(caller, ['operator']);
      if (method === 'GET') return sendJson(res, 200, ctx.tokens.requesters());
      const body = (await readJson(req, 64 * 1024)) as { label?: unknown } | null;
      const label = body && typeof body.label === 'string' ? body.label.slice(0, 200) : null;
      const minted = ctx.tokens.mintRequester(label);
      return sendJson(res, 201, { token: minted.token, id: minted.id, role: 'requester', label });
    }
    if (resource === 'tokens' && id !== undefined && parts.length === 3) {
      methods(['DELETE']);
      allow(caller, ['operator']);
      if (!SHA256_HEX.test(id)) throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a token id (64 lowercase hex digits) in the path but received ${JSON.stringify(id.slice(0, 80))}`);
      if (!ctx.tokens.revokeRequester(id)) throw new GalacticError('GAL_ERR_NOT_FOUND', `No requester token ${id}`);
      ctx.log('info', 'requester token revoked', { token: id });
      return sendJson(res, 200, { id, revoked: true });
    }
    throw new GalacticError('GAL_ERR_NOT_FOUND', `No route ${method} ${url.pathname}`);
  }

  function streamBlob(res: ServerResponse, sha256: string, name: string | null): void {
    const blob = ctx.blobs.read(sha256);
    if (!blob) throw new GalacticError('GAL_ERR_NOT_FOUND', `No blob ${sha256}`);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': blob.size,
      etag: `"${sha256}"`,
      ...(name ? { 'content-disposition': `attachment; filename="${name.replace(/[^A-Za-z0-9_.-]/g, '_')}"` } : {}),
    });
    blob.stream.on('error', () => res.destroy());
    blob.stream.pipe(res);
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await route(req, res, ctx.tokens.identify(req.headers.authorization));
    } catch (err) {
      if (!(err instanceof GalacticError)) ctx.log('warn', 'request failed', { url: req.url, error: (err as Error).stack });
      sendError(res, err);
      // An unread upload must not keep the socket busy: drop the rest of it.
      if (!req.complete) req.resume();
    }
  };
}

function describeProblems(problems: GraphProblem[]): string {
  const first = problems[0]!;
  return `Expected a valid graph but found ${problems.length} problem(s); first: ${first.path} ${first.message}`;
}

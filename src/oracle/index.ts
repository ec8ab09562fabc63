/**
 * The oracle node: the scheduler with its store, the requester API and the
 * agent link on one HTTP server. `startOracle` returns once it listens.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { loadKernels, type Kernels } from '../kernels/index.js';
import { BUNDLE_KIND, commitment, type Bundle } from '../plugins/groth16/bundle.js';
import { zkeyVerificationKey } from '../plugins/groth16/files.js';
import { LINK_PATH, type CatalogEntry } from '../protocol/index.js';
import { VERSION } from '../version.js';
import { BlobStore } from './blobs.js';
import { parseOracleConfig, type OracleConfig, type OracleConfigInput } from './config.js';
import { createApi, requestTarget } from './http.js';
import { LinkServer } from './link.js';
import { OracleMetrics } from './metrics.js';
import { Scheduler, systemClock, type Clock, type ResultCheck, type Verdict } from './scheduler.js';
import { VerifyPool } from './verify/pool.js';
import { OracleStore } from './store.js';
import { TokenAuthority } from './tokens.js';

export * from './config.js';
export { validateGraph, type AnalysedGraph, type ValidationResult } from './graph.js';
export { afterFailure, afterSuccess, isExcluded, MAX_CONSECUTIVE_FAILURES, type PenaltyState } from './penalties.js';
export { Scheduler, type Clock, type LinkOut, type SchedulerConfig } from './scheduler.js';

export interface OracleOptions extends OracleConfigInput {
  clock?: Clock;
  /** pino level; 'silent' by default for library use, the CLI passes 'info'. */
  logLevel?: string;
}

const DAY_MS = 24 * 3600_000;

export class Oracle {
  private tickTimer: NodeJS.Timeout | null = null;
  private expireTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly config: OracleConfig,
    readonly id: string,
    readonly store: OracleStore,
    readonly scheduler: Scheduler,
    readonly tokens: TokenAuthority,
    readonly metrics: OracleMetrics,
    private readonly link: LinkServer,
    private readonly server: Server,
    readonly verifier: VerifyPool,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
    private readonly log: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void,
  ) {}

  get url(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }
  get linkUrl(): string {
    return this.url.replace(/^http/, 'ws') + LINK_PATH;
  }

  startTicking(periodMs: number): void {
    this.tickTimer = setInterval(() => this.scheduler.tick(), periodMs);
    this.tickTimer.unref();
  }

  /** Applies the retention now: ended graphs and unreferenced blobs older than `retentionDays` go. */
  async expire(): Promise<{ graphs: number; blobs: number }> {
    const gone = await this.blobs.expire(this.clock.now() - this.config.retentionDays * DAY_MS);
    if (gone.graphs || gone.blobs) this.log('info', 'retention', { graphsDeleted: gone.graphs, blobsDeleted: gone.blobs, retentionDays: this.config.retentionDays });
    return gone;
  }

  /** Applies the retention at start and then a few times per retention period (at most hourly). */
  startExpiring(): void {
    if (this.config.retentionDays === 0) return;
    let sweeping = false;
    const sweep = () => {
      if (sweeping || this.closed) return;
      sweeping = true;
      this.expire()
        .catch((err) => this.log('warn', 'retention sweep failed; trying again at the next one', { error: (err as Error).message }))
        .finally(() => (sweeping = false));
    };
    sweep();
    this.expireTimer = setInterval(sweep, Math.max(1000, Math.min(3600_000, (this.config.retentionDays * DAY_MS) / 10)));
    this.expireTimer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.expireTimer) clearInterval(this.expireTimer);
    this.scheduler.close();
    this.link.closeAll();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.verifier.close();
    this.store.close();
  }
}

let cpu: Promise<Kernels> | null = null;
/** The CPU kernels, loaded once, for recomputing bundle commitments. */
const cpuKernels = () => (cpu ??= loadKernels({ backend: 'cpu' }));

/** A continuation bundle counts when every segment verifies, they chain, and the commitment is theirs. */
async function checkBundle(key: string, text: string, pool: VerifyPool): Promise<Verdict> {
  let bundle: Bundle;
  try {
    bundle = JSON.parse(text) as Bundle;
    if (bundle.kind !== BUNDLE_KIND || !Array.isArray(bundle.segments)) throw new Error('not a continuation bundle');
  } catch (err) {
    return { kind: 'invalid', reason: `bundle.json: ${(err as Error).message}` };
  }
  const v = await pool.segments(key, JSON.stringify(bundle.segments));
  if (!v.valid) return { kind: 'invalid', reason: `the bundle does not verify: ${v.reason}` };
  const expected = await commitment(await cpuKernels(), bundle.segments).catch(() => null);
  if (expected === null || expected !== bundle.commitment) return { kind: 'invalid', reason: 'the bundle commitment is not the commitment of its segments' };
  const first = bundle.segments[0]!, last = bundle.segments.at(-1)!;
  if (bundle.start !== first.publicSignals[1] || bundle.end !== last.publicSignals[0]) return { kind: 'invalid', reason: 'the bundle start or end is not its segments\'' };
  return { kind: 'valid' };
}

/** Proof outputs larger than this are not proofs. */
const MAX_PROOF_BYTES = 4 * 1024 * 1024;
/** The largest zkey header or IC section the oracle reads to compare keys (IC: 64 bytes per public input). */
const MAX_KEY_SECTION_BYTES = 64 * 1024 * 1024;

/** Why `params.vkey` cannot be the key of `params.zkey` (a stored blob), or null when it is, or when that cannot be told. */
function keyMismatch(zkeyRef: unknown, vkeyBytes: Buffer, blobs: BlobStore): string | null {
  const sha = (zkeyRef as { blob?: unknown } | undefined)?.blob;
  const reader = typeof sha === 'string' ? blobs.openReader(sha) : null;
  if (!reader) return null;
  try {
    // The sections read are the key's header and IC: small in any real key, so a huge one is not read at all.
    const own = zkeyVerificationKey((offset, length) => {
      if (length > MAX_KEY_SECTION_BYTES) throw new Error('a key section too large to be a header');
      return reader.readAt(offset, length);
    }, reader.size);
    const given = JSON.parse(vkeyBytes.toString('utf8')) as Record<string, unknown>;
    // Decimal strings compared as numbers; other fields (vk_alphabeta_12, …) do not matter.
    const canonical = (k: Record<string, unknown>) =>
      JSON.stringify([k.nPublic, k.vk_alpha_1, k.vk_beta_2, k.vk_gamma_2, k.vk_delta_2, k.IC], (_, v) => (typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v).toString() : v));
    return canonical(own as unknown as Record<string, unknown>) === canonical(given) ? null : 'the verification key (params.vkey) is not the proving key\'s (params.zkey), so no proof can verify';
  } catch {
    return null; // an unreadable key is the plugin's to report
  } finally {
    reader.close();
  }
}

/**
 * How results are checked: the op's catalog entry names the verifier; an op
 * whose params carry its key (`vkey: { blob }`) is verified, any other is
 * accepted unverified.
 */
function resultCheck(catalog: readonly CatalogEntry[], blobs: BlobStore, pool: VerifyPool): ResultCheck {
  return async (op, outputs) => {
    const entry = catalog.find((e) => e.id === op.op.plugin);
    const vkey = op.op.params.vkey as { blob?: unknown } | undefined;
    if (!entry || entry.verifier === 'none' || typeof vkey?.blob !== 'string') return { kind: 'unverified' };
    const key = blobs.readBytes(vkey.blob, MAX_PROOF_BYTES);
    if (!key) return { kind: 'verifier-error', reason: `the verification key blob ${vkey.blob} is missing or too large` };
    const text = (name: string) => {
      const ref = outputs.find((o) => o.name === name);
      return ref ? blobs.readBytes(ref.sha256, MAX_PROOF_BYTES)?.toString('utf8') ?? null : null;
    };
    try {
      const bundleText = text('bundle.json');
      if (bundleText !== null) return await checkBundle(key.toString('utf8'), bundleText, pool);
      const proof = text('proof.json'), publicSignals = text('public.json');
      if (proof === null || publicSignals === null) return { kind: 'invalid', reason: 'the result has no proof.json and public.json outputs (nor a bundle.json)' };
      const v = await pool.groth16(key.toString('utf8'), publicSignals, proof);
      if (v.valid) return { kind: 'valid' };
      // No proof can verify when the op's verification key is not its proving key's: the requester's mistake, not the prover's.
      const mismatch = keyMismatch(op.op.params.zkey, key, blobs);
      return mismatch ? { kind: 'verifier-error', reason: mismatch } : { kind: 'invalid', reason: `the proof does not verify: ${v.reason}` };
    } catch (err) {
      return { kind: 'verifier-error', reason: (err as Error).message };
    }
  };
}

export async function startOracle(options: OracleOptions = {}): Promise<Oracle> {
  const { clock = systemClock, logLevel = 'silent', ...rest } = options;
  const config = parseOracleConfig(rest);
  const logger = pino({ level: logLevel, base: { component: 'oracle' } }, pino.destination(2));
  const log = (level: 'info' | 'warn', message: string, fields: Record<string, unknown> = {}) => logger[level](fields, message);

  const store = new OracleStore(config.dataDir);
  let oracleId = store.meta('oracleId');
  if (!oracleId) store.setMeta('oracleId', (oracleId = `o_${randomBytes(9).toString('base64url')}`));
  const tokens = new TokenAuthority(store, config.dataDir, config.open, () => clock.now());
  const blobs = new BlobStore(config.dataDir, store, config.maxBlobBytes);
  const metrics = new OracleMetrics();
  const link = new LinkServer({
    oracleId,
    heartbeatMs: config.heartbeatMs,
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    blobToken: (id) => tokens.blobToken(id),
    metrics,
    log,
  });
  const verifier = new VerifyPool(config.verifyTimeoutMs);
  const scheduler = new Scheduler(store, link, config, clock, (sha) => blobs.has(sha), resultCheck(config.catalog, blobs, verifier));
  metrics.watch(scheduler);
  link.attach(scheduler);
  scheduler.on('graphEnded', (g) => log('info', 'graph ended', { graph: g.id, status: g.status, error: g.error }));
  scheduler.on('proverOffline', (p) => log('info', 'prover offline', { prover: p.name }));

  const handle = createApi({
    oracleId,
    version: VERSION,
    scheduler,
    blobs,
    tokens,
    metrics,
    catalog: config.catalog,
    maxBodyBytes: config.maxBodyBytes,
    maxOps: config.maxOps,
    now: () => clock.now(),
    log,
  });
  const server = createServer((req, res) => void handle(req, res));
  server.on('upgrade', (req, socket, head) => {
    let path: string | null = null;
    try {
      path = requestTarget(req.url).url.pathname;
    } catch {
      // A target that does not parse is not the link's; fall through to the close.
    }
    if (path !== LINK_PATH) return void socket.destroy();
    link.handleUpgrade(req, socket, head);
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 0; // blobs may be large and slow: no limit on a request's whole time ...
  // ... but a connection that sends nothing for this long (a stalled upload, an idle keep-alive) is closed,
  // so idle clients cannot hold the oracle's sockets. Upgraded links leave this timer's reach: their pings keep them.
  server.timeout = config.idleTimeoutMs;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(err));
    server.listen(config.port, config.host, () => resolve());
  });
  const oracle = new Oracle(config, oracleId, store, scheduler, tokens, metrics, link, server, verifier, blobs, clock, log);
  oracle.startTicking(Math.max(10, Math.min(250, Math.floor(config.heartbeatMs / 4))));
  oracle.startExpiring();
  scheduler.queueDispatch(); // a restarted oracle resumes its graphs
  return oracle;
}

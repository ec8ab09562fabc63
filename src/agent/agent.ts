/**
 * The prover agent: probe → benchmark → catalog → plugins → register →
 * heartbeats, then runs what the oracle assigns through the plugins and
 * delivers every result exactly once, across dropped links and restarts of
 * either side. One state union, logged at every change:
 * starting → registering → ready → draining → stopped | failed.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino from 'pino';
import { runBench } from '../bench/index.js';
import { GalacticError } from '../errors.js';
import { startOracle, type Oracle } from '../oracle/index.js';
import { DockerDriver, PluginHost, ProcessDriver, processCommand, listRecipes, type TaskOutcome } from '../plugins/index.js';
import { probe } from '../probe/index.js';
import {
  AssignSchema,
  CLOSE_CODES,
  CancelSchema,
  SHA256_HEX,
  meetsRequirements,
  type CatalogEntry,
  type DeviceDescriptor,
  type OracleMessage,
  type Power,
  type TaskType,
} from '../protocol/index.js';
import { VERSION } from '../version.js';
import type { AgentConfig } from './config.js';
import { loadIdentity, type AgentIdentity } from './identity.js';
import { AgentLink, backoffDelay, type Welcome } from './link.js';
import { AgentMetrics } from './metrics.js';
import { failMessage, taskMessage, type ResultOrFail } from './messages.js';
import { BlobSpool, JsonDir } from './outbox.js';

export type AgentState = 'starting' | 'registering' | 'ready' | 'draining' | 'stopped' | 'failed';

/** Exit codes of `galactic agent`; the refusals are the ones retrying cannot fix. */
export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  config: 2,
  banned: 3,
  authFailed: 4,
  protocolUnsupported: 5,
  nameTaken: 6,
  replaced: 7,
} as const;

const FATAL_EXIT: Record<number, number> = {
  [CLOSE_CODES.banned]: EXIT_CODES.banned,
  [CLOSE_CODES.authFailed]: EXIT_CODES.authFailed,
  [CLOSE_CODES.protocolUnsupported]: EXIT_CODES.protocolUnsupported,
  [CLOSE_CODES.nameTaken]: EXIT_CODES.nameTaken,
  [CLOSE_CODES.replaced]: EXIT_CODES.replaced,
};

type Assign = Extract<OracleMessage, { type: 'assign' }>;

interface OutboxEntry {
  message: ResultOrFail;
  createdAt: number;
}
interface JournalEntry {
  assign: Assign;
  acceptedAt: number;
}
interface RunningTask {
  assign: Assign;
  abort: AbortController;
  /** Why the oracle cancelled it, when it did: the agent then answers `cancelled`. */
  cancelled: string | null;
  startedAt: number;
  progress: number;
}

export class Agent extends EventEmitter<{ state: [AgentState]; stopped: [number] }> {
  state: AgentState = 'starting';
  proverId: string | null = null;
  oracleUrl = '';
  descriptor: DeviceDescriptor | null = null;
  power: Power = { gasPerSecond: 1e9, kernels: {} };
  taskTypes: TaskType[] = [];
  exitCode: number | null = null;
  readonly running = new Map<string, RunningTask>();
  readonly metrics = new AgentMetrics(this);
  readonly log: pino.Logger;
  link: AgentLink | null = null;
  embeddedOracle: Oracle | null = null;

  private identity!: AgentIdentity;
  private host!: PluginHost;
  private readonly outbox: JsonDir<OutboxEntry>;
  private readonly journal: JsonDir<JournalEntry>;
  private readonly spool: BlobSpool;
  private blobToken = '';
  private heartbeatMs = 5000;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private seq = 0;
  private registered = false;
  private pluginsReady: Promise<void> | null = null;
  private lastHeartbeatAt = Date.now();
  private stopping: Promise<void> | null = null;

  constructor(readonly config: AgentConfig) {
    super();
    this.log = pino({ level: config.logLevel, base: { component: 'agent', name: config.name } }, pino.destination(2));
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    this.outbox = new JsonDir(join(config.dataDir, 'outbox'));
    this.journal = new JsonDir(join(config.dataDir, 'tasks'));
    this.spool = new BlobSpool(join(config.dataDir, 'outbox', 'blobs'));
  }

  private setState(state: AgentState): void {
    if (this.state === state) return;
    this.log.info({ from: this.state, to: state }, 'agent state');
    this.state = state;
    this.emit('state', state);
  }

  /** Runs the start-up sequence and connects; resolves once the link is being established. */
  async start(): Promise<void> {
    try {
      this.identity = loadIdentity(this.config.dataDir);
      if (this.identity.created) this.log.info({ file: this.identity.file }, 'created a new identity');
      this.recoverJournal();
      if (this.config.oracle === null) {
        this.embeddedOracle = await startOracle({
          host: '127.0.0.1',
          port: this.config.embeddedOraclePort,
          open: true,
          dataDir: join(this.config.dataDir, 'oracle'),
          logLevel: this.config.logLevel === 'silent' ? 'silent' : 'warn',
        });
        this.oracleUrl = this.embeddedOracle.url;
      } else this.oracleUrl = this.config.oracle.replace(/\/+$/, '');
      this.descriptor = await probe();
      await this.benchmark();
      this.host = new PluginHost({ baseDir: join(this.config.dataDir, 'p'), stopGraceMs: this.config.stopGraceMs });
      this.setState('registering');
      this.link = new AgentLink({
        oracleUrl: this.oracleUrl,
        name: this.config.name,
        publicKey: this.identity.publicKey,
        privateKey: this.identity.privateKey,
        agentVersion: VERSION,
        pingMs: this.config.pingMs,
        backoffBaseMs: this.config.backoffBaseMs,
        backoffMaxMs: this.config.backoffMaxMs,
        onWelcome: (w) => void this.onWelcome(w).catch((err) => {
          // The catalog or a plugin could not be had now (the oracle restarting, say): try again on the next connection.
          this.log.warn({ error: (err as Error).message }, 'could not get ready; reconnecting');
          this.link?.drop();
        }),
        onMessage: (m) => this.onMessage(m),
        onDown: (reason) => this.onDown(reason),
        onFatal: (code, errorCode, reason) => this.onFatal(code, errorCode, reason),
        log: (level, message, fields) => this.log[level](fields ?? {}, message),
      });
      this.link.start();
      this.watchTimer = setInterval(() => this.watch(), 1000);
      this.watchTimer.unref();
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  private async benchmark(): Promise<void> {
    if (this.config.benchmark === 'skip') return;
    const quick = this.config.benchmark === 'quick';
    const result = await runBench({ quick, home: this.config.dataDir });
    this.power = powerOf(result);
    this.log.info({ gasPerSecond: Math.round(result.power), reused: result.reused, mode: result.mode }, 'power measured');
    if (quick && this.config.fullBenchmarkInBackground)
      void runBench({ quick: false, home: this.config.dataDir })
        .then((full) => {
          this.power = powerOf(full);
          this.log.info({ gasPerSecond: Math.round(full.power) }, 'full benchmark done; registering with it');
          if (this.registered) this.register();
        })
        .catch((err) => this.log.warn({ error: (err as Error).message }, 'the full benchmark failed; keeping the quick one'));
  }

  // ------------------------------------------------------------- link events

  private async onWelcome(w: Welcome): Promise<void> {
    this.proverId = w.proverId;
    this.blobToken = w.blobToken;
    this.heartbeatMs = w.heartbeatMs;
    this.log.info({ proverId: w.proverId, resume: w.resume.length }, 'authenticated');
    // The network's order: catalog → images → warm plugins → register. Once per agent run.
    this.pluginsReady ??= this.preparePlugins().catch((err) => {
      this.pluginsReady = null;
      throw err;
    });
    await this.pluginsReady;
    this.register();
    this.startHeartbeats();
    for (const taskId of w.resume)
      if (!this.running.has(taskId) && !this.outbox.get(taskId))
        this.deliver({ message: { type: 'fail', taskId, code: 'GAL_ERR_TASK_LOST', reason: 'this agent no longer runs the task (it restarted)' }, createdAt: Date.now() });
    for (const entry of this.outbox.all()) void this.resend(entry);
  }

  private register(): void {
    this.link?.send({
      type: 'register',
      device: this.descriptor,
      power: this.power,
      taskTypes: this.taskTypes,
      capacity: { slots: this.config.slots },
    });
  }

  private onDown(reason: string): void {
    this.registered = false;
    this.stopHeartbeats();
    if (this.state === 'ready') this.setState('registering');
    this.log.warn({ reason }, 'link down');
  }

  private onFatal(closeCode: number, code: string, reason: string): void {
    if (closeCode === CLOSE_CODES.replaced)
      reason = `another agent with this identity (${this.identity.file}) and name connected to the oracle and took over; machines must not share an identity or data directory (${reason})`;
    this.log.error({ closeCode, code, reason }, 'the oracle refused this agent; not retrying');
    this.exitCode = FATAL_EXIT[closeCode] ?? EXIT_CODES.failure;
    void this.shutdown(false).then(() => this.setState('failed'));
  }

  private onMessage(m: OracleMessage): void {
    switch (m.type) {
      case 'registered':
        this.registered = true;
        if (this.state === 'registering') this.setState('ready');
        return;
      case 'assign':
        return this.onAssign(m);
      case 'cancel':
        return this.onCancel(m);
      case 'ack':
        return this.onAck(m.taskId, m.accepted, m.reason);
      case 'error':
        this.log.warn({ code: m.code, reason: m.reason, ref: m.ref }, 'the oracle reported an error');
        return;
      default: {
        const type = (m as { type?: unknown }).type;
        this.log.warn({ type }, 'unknown message from the oracle');
        this.link?.send({ type: 'error', code: 'GAL_ERR_MESSAGE_UNKNOWN', reason: `unknown message type ${JSON.stringify(type)}`, ref: String(type) });
      }
    }
  }

  // ------------------------------------------------------------- plugins

  private async preparePlugins(): Promise<void> {
    const res = await fetch(`${this.oracleUrl}/v1/plugins`, { headers: { authorization: `Bearer ${this.blobToken}` } });
    if (!res.ok) throw new GalacticError('GAL_ERR_ORACLE_UNREACHABLE', `Expected the plug-in catalog from ${this.oracleUrl} but received HTTP ${res.status}`);
    const catalog = (await res.json()) as CatalogEntry[];
    const recipes = new Map(listRecipes().map((r) => [r.name, r]));
    const docker = new DockerDriver({ agentId: this.config.name });
    const dockerUp = this.config.driver !== 'process' && (await docker.fingerprint()).available;
    if (dockerUp) {
      const reaped = await docker.reapOrphans();
      if (reaped.length) this.log.info({ containers: reaped.length }, 'removed plugin containers left by an earlier run');
    }
    const allow = new Set(this.config.taskTypes);
    const types: TaskType[] = [];
    for (const entry of catalog) {
      let ops = entry.ops.filter((op) => allow.size === 0 || allow.has(op));
      // GPU work only where a GPU matches; every requirement, in fact.
      if (entry.requirements && this.descriptor && !meetsRequirements(entry.requirements, this.descriptor)) ops = [];
      if (ops.length === 0) continue;
      try {
        if (entry.image && dockerUp) {
          await docker.ensureImage(entry.image);
          this.host.register({ name: entry.id, driver: docker, spec: { image: entry.image, gpus: entry.requirements?.gpu ? (entry.requirements.gpu.count ?? 1) : 0 } });
        } else if (recipes.has(entry.id) && this.config.driver !== 'docker') {
          this.host.register({ name: entry.id, driver: new ProcessDriver(), spec: { command: processCommand(recipes.get(entry.id)!) } });
        } else {
          this.log.warn({ plugin: entry.id }, 'no way to run this plugin here (no image or Docker, no local recipe); skipping it');
          continue;
        }
        if (this.config.prewarm && entry.modes.includes('performance')) await this.host.prewarm(entry.id);
        // Offer only what the plugin itself says it proves.
        const info = await this.host.describe(entry.id);
        ops = ops.filter((op) => info.taskTypes.includes(op));
        const modes = entry.modes.filter((m) => info.modes.includes(m));
        if (ops.length && modes.length) types.push({ plugin: entry.id, ops, modes });
      } catch (err) {
        this.log.warn({ plugin: entry.id, error: (err as Error).message }, 'plugin unavailable; skipping it');
      }
    }
    this.taskTypes = types;
    this.log.info({ taskTypes: types.map((t) => `${t.plugin}:${t.ops.join(',')}`) }, 'plugins ready');
  }

  // ------------------------------------------------------------- tasks

  private reject(taskId: string, code: string, reason: string): void {
    this.metrics.tasks.inc({ outcome: 'rejected' });
    this.link?.send({ type: 'reject', taskId, code, reason });
  }

  private onAssign(raw: Assign): void {
    const parsed = AssignSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const reason = `malformed assign: /${issue.path.join('/')} ${issue.message}`;
      this.log.warn({ reason }, 'rejected an assignment');
      if (typeof raw?.taskId === 'string') this.reject(raw.taskId, 'GAL_ERR_MESSAGE_INVALID', reason);
      else this.link?.send({ type: 'error', code: 'GAL_ERR_MESSAGE_INVALID', reason, ref: 'assign' });
      return;
    }
    const a = parsed.data as Assign;
    // The deadline on this machine's clock: as long from now as it was from the oracle's `sentAt`.
    if (a.sentAt !== undefined && a.deadline) a.deadline = Date.now() + (a.deadline - a.sentAt);
    if (this.running.has(a.taskId) || this.outbox.get(a.taskId)) return; // a repeat: already ours
    if (this.state === 'draining' || this.state === 'stopped') return this.reject(a.taskId, 'GAL_ERR_DRAINING', 'the agent is draining');
    if (this.running.size >= this.config.slots) return this.reject(a.taskId, 'GAL_ERR_CAPACITY', `all ${this.config.slots} slots are busy`);
    if (!this.taskTypes.some((t) => t.plugin === a.plugin && t.ops.includes(a.op)))
      return this.reject(a.taskId, 'GAL_ERR_TASK_TYPE', `this agent does not run ${a.plugin}/${a.op}`);
    this.link?.send({ type: 'accept', taskId: a.taskId });
    this.journal.put(a.taskId, { assign: a, acceptedAt: Date.now() });
    const task: RunningTask = { assign: a, abort: new AbortController(), cancelled: null, startedAt: Date.now(), progress: 0 };
    this.running.set(a.taskId, task);
    this.metrics.tasks.inc({ outcome: 'accepted' });
    void this.execute(task).catch((err) => this.log.error({ taskId: a.taskId, error: (err as Error).stack }, 'task crashed the executor'));
  }

  private onCancel(m: Extract<OracleMessage, { type: 'cancel' }>): void {
    if (!CancelSchema.safeParse(m).success) return;
    const task = this.running.get(m.taskId);
    if (!task) {
      this.link?.send({ type: 'cancelled', taskId: m.taskId });
      return;
    }
    task.cancelled = m.reason;
    task.abort.abort();
  }

  private async execute(task: RunningTask): Promise<void> {
    const a = task.assign;
    const work = join(this.config.dataDir, 'work', a.taskId.replace(/[^A-Za-z0-9_.-]/g, '_'));
    let message: ResultOrFail | null = null;
    try {
      const inputs = await this.fetchInputs(a, work, task.abort.signal);
      let lastProgress = 0;
      const outcome: TaskOutcome = await this.host.run({
        plugin: a.plugin,
        taskId: a.taskId,
        taskType: a.op,
        mode: a.mode,
        inputs,
        params: a.params,
        deadlineMs: a.deadline,
        signal: task.abort.signal,
        onProgress: (fraction) => {
          task.progress = fraction;
          if (Date.now() - lastProgress < 250) return;
          lastProgress = Date.now();
          this.link?.send({ type: 'progress', taskId: a.taskId, fraction });
        },
      });
      const built = taskMessage(a, outcome, this.identity.privateKey);
      for (const o of built.outputs) this.spool.put(o.sha256, o.data);
      message = built.message;
    } catch (err) {
      message = failMessage(a.taskId, err instanceof GalacticError ? err.code : 'GAL_ERR_AGENT', (err as Error).message);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    // A task the oracle cancelled is answered `cancelled`, whatever it came to.
    if (task.cancelled) message = null;
    if (message) this.outbox.put(a.taskId, { message, createdAt: Date.now() });
    this.journal.delete(a.taskId);
    this.running.delete(a.taskId);
    this.metrics.tasks.inc({ outcome: message?.type === 'result' ? 'done' : message ? 'failed' : 'cancelled' });
    if (message) await this.resend({ message, createdAt: Date.now() });
    else this.link?.send({ type: 'cancelled', taskId: a.taskId });
    this.afterTask();
  }

  /**
   * Downloads a blob into `path`, hashing it on the way (a key of gigabytes
   * never sits in memory); an unreachable or failing oracle is retried with
   * backoff until the task's deadline (the oracle may be restarting), a
   * missing blob or one that does not hash right is not.
   */
  private async fetchBlob(name: string, sha: string, path: string, deadline: number, signal: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let why: string;
      try {
        const res = await fetch(`${this.oracleUrl}/v1/blobs/${sha}`, { headers: { authorization: `Bearer ${this.blobToken}` }, signal });
        if (res.ok && res.body) {
          const hash = createHash('sha256');
          const hashing = new Transform({
            transform(chunk: Buffer, _encoding, done) {
              hash.update(chunk);
              done(null, chunk);
            },
          });
          await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), hashing, createWriteStream(path, { mode: 0o644 }));
          const actual = hash.digest('hex');
          if (actual !== sha) throw new GalacticError('GAL_ERR_BLOB_HASH', `input ${name}: the blob served as ${sha} hashes to ${actual}`);
          return;
        }
        if (res.status < 500) throw new GalacticError('GAL_ERR_NOT_FOUND', `input ${name}: blob ${sha} could not be fetched (HTTP ${res.status})`);
        why = `HTTP ${res.status}`;
      } catch (err) {
        if (err instanceof GalacticError || signal.aborted) throw err;
        why = (err as Error).message;
      }
      const delay = backoffDelay(attempt, 200, 5000);
      if (deadline && Date.now() + delay > deadline) throw new GalacticError('GAL_ERR_NOT_FOUND', `input ${name}: blob ${sha} unreachable until the deadline (${why})`);
      this.log.warn({ blob: sha, why, inMs: Math.round(delay) }, 'input download failed; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** Downloads the assignment's input blobs and `{ "blob": sha256 }` params, checking every hash. */
  private async fetchInputs(a: Assign, dir: string, signal: AbortSignal): Promise<{ name: string; path: string; sha256: string }[]> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const wanted = [
      ...a.inputs.map((i) => ({ name: i.name, sha256: i.sha256 })),
      ...Object.entries(a.params)
        .filter(([, v]) => v && typeof v === 'object' && typeof (v as { blob?: unknown }).blob === 'string')
        .map(([name, v]) => ({ name, sha256: (v as { blob: string }).blob })),
    ];
    const out: { name: string; path: string; sha256: string }[] = [];
    for (const [i, w] of wanted.entries()) {
      if (!SHA256_HEX.test(w.sha256)) throw new GalacticError('GAL_ERR_BLOB_HASH', `input ${w.name}: ${JSON.stringify(w.sha256)} is not a sha256`);
      const path = join(dir, `${i}`);
      await this.fetchBlob(w.name, w.sha256, path, a.deadline, signal);
      out.push({ name: w.name, path, sha256: w.sha256 });
    }
    return out;
  }

  // ------------------------------------------------------------- outbox

  private deliver(entry: OutboxEntry): void {
    this.outbox.put(entry.message.taskId, entry);
    void this.resend(entry);
  }

  /** Sends in the background; whatever goes wrong, the entry stays in the outbox for the next connection. */
  private resend(entry: OutboxEntry): Promise<void> {
    return this.send(entry).catch((err) => this.log.warn({ taskId: entry.message.taskId, error: (err as Error).message }, 'could not send; will retry on reconnect'));
  }

  /** Uploads a result's blobs, then sends it; it stays in the outbox until acked. */
  private async send(entry: OutboxEntry): Promise<void> {
    const m = entry.message;
    if (!this.link?.up) return;
    if (m.type === 'result')
      for (const o of m.outputs) {
        try {
          const res = await fetch(`${this.oracleUrl}/v1/blobs/${o.sha256}`, {
            method: 'PUT',
            body: new Uint8Array(this.spool.read(o.sha256)),
            headers: { authorization: `Bearer ${this.blobToken}` },
          });
          if (res.status === 413) {
            // Larger than the oracle takes: retrying cannot help, so the task fails instead.
            const answer = await res.text().catch(() => '');
            const failed = failMessage(m.taskId, 'GAL_ERR_PLUGIN_OUTPUT', `output ${o.name} (${o.size} bytes) is larger than the oracle accepts: ${answer}`);
            for (const x of m.outputs) this.spool.delete(x.sha256);
            this.outbox.put(m.taskId, { message: failed, createdAt: entry.createdAt });
            return void this.link?.send(failed);
          }
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
        } catch (err) {
          this.log.warn({ taskId: m.taskId, error: (err as Error).message }, 'output upload failed; will retry on reconnect');
          return;
        }
      }
    this.link.send(m);
  }

  private onAck(taskId: string, accepted: boolean, reason?: string): void {
    const entry = this.outbox.get(taskId);
    if (!entry) return;
    this.outbox.delete(taskId);
    if (entry.message.type === 'result') for (const o of entry.message.outputs) this.spool.delete(o.sha256);
    this.log.info({ taskId, accepted, reason }, `${entry.message.type} acknowledged`);
    this.afterTask();
  }

  /** A restarted agent cannot resume a plugin's stream: what was running is failed cleanly. */
  private recoverJournal(): void {
    // Nothing runs yet: task and plugin directories here were left by a crash, with their inputs.
    for (const dir of ['work', 'p']) rmSync(join(this.config.dataDir, dir), { recursive: true, force: true });
    for (const { assign } of this.journal.all()) {
      if (!this.outbox.get(assign.taskId))
        this.outbox.put(assign.taskId, { message: { type: 'fail', taskId: assign.taskId, code: 'GAL_ERR_AGENT_RESTARTED', reason: 'the agent restarted while the task ran' }, createdAt: Date.now() });
      this.journal.delete(assign.taskId);
    }
  }

  // ------------------------------------------------------------- heartbeats and watchdog

  private startHeartbeats(): void {
    this.stopHeartbeats();
    let expected = Date.now() + this.heartbeatMs;
    this.heartbeat();
    this.heartbeatTimer = setInterval(() => {
      // Lag: how late the timer fired; kernels run off this thread, so it should stay small.
      this.metrics.heartbeatLag.observe(Math.max(0, Date.now() - expected) / 1000);
      expected = Date.now() + this.heartbeatMs;
      this.heartbeat();
    }, this.heartbeatMs);
  }

  private heartbeat(): void {
    const state = this.state === 'draining' ? 'draining' : this.running.size ? 'busy' : 'idle';
    if (this.link?.send({ type: 'heartbeat', seq: this.seq++, state, running: [...this.running.keys()] })) this.lastHeartbeatAt = Date.now();
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** Orphaned for too long: the oracle has failed these tasks over; stop them (finished results stay in the outbox). */
  private watch(): void {
    if (this.running.size && !this.link?.up && Date.now() - this.lastHeartbeatAt > this.config.heartbeatStopMs) {
      this.log.warn({ tasks: this.running.size }, 'no heartbeat delivered for too long: stopping running tasks');
      for (const task of this.running.values()) {
        task.cancelled = 'orphaned';
        task.abort.abort();
      }
    }
  }

  // ------------------------------------------------------------- stopping

  private afterTask(): void {
    if (this.state === 'draining' && this.running.size === 0) void this.stop();
  }

  /** First SIGTERM: finish running tasks, accept nothing new, tell the oracle; then stop. */
  drain(): void {
    if (this.state === 'draining' || this.state === 'stopped' || this.state === 'failed') return;
    this.setState('draining');
    this.heartbeat();
    this.afterTask();
  }

  /** Second SIGTERM: cancel running tasks (their plugins get the stop grace), report them failed, stop. */
  async cancelAndStop(): Promise<void> {
    for (const task of this.running.values()) task.abort.abort();
    await this.stop();
  }

  async stop(): Promise<void> {
    await this.shutdown(true);
    if (this.state !== 'failed') this.setState('stopped');
  }

  private shutdown(waitForTasks: boolean): Promise<void> {
    this.stopping ??= (async () => {
      if (waitForTasks) while (this.running.size) await new Promise((r) => setTimeout(r, 50));
      // Give acks of just-sent results a moment; the outbox keeps anything unacknowledged.
      const until = Date.now() + 2000;
      while (this.outbox.all().length && this.link?.up && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      this.stopHeartbeats();
      if (this.watchTimer) clearInterval(this.watchTimer);
      await this.link?.close();
      await this.host?.close();
      await this.embeddedOracle?.close();
      this.exitCode ??= EXIT_CODES.ok;
      this.emit('stopped', this.exitCode);
    })();
    return this.stopping;
  }

  private fail(err: unknown): void {
    this.log.error({ error: (err as Error)?.message ?? String(err) }, 'agent failed');
    this.exitCode = err instanceof GalacticError && err.code === 'GAL_ERR_CONFIG' ? EXIT_CODES.config : EXIT_CODES.failure;
    void this.shutdown(false).then(() => this.setState('failed'));
  }

  /** What `galactic status` shows. */
  status() {
    return {
      state: this.state,
      name: this.config.name,
      proverId: this.proverId,
      oracle: this.oracleUrl,
      embeddedOracle: this.embeddedOracle !== null,
      link: { up: this.link?.up ?? false, registered: this.registered, reconnects: this.link?.reconnects ?? 0, lastConnectedAt: this.link?.lastConnectedAt ?? null },
      slots: this.config.slots,
      running: [...this.running.values()].map((t) => ({ taskId: t.assign.taskId, graphId: t.assign.graphId, opId: t.assign.opId, plugin: t.assign.plugin, op: t.assign.op, startedAt: t.startedAt, progress: t.progress })),
      outbox: this.outbox.all().length,
      power: this.power,
      taskTypes: this.taskTypes,
    };
  }
}

function powerOf(result: Awaited<ReturnType<typeof runBench>>): Power {
  return {
    gasPerSecond: result.power,
    kernels: { msm: result.best.msm.gasPerSecond, ntt: result.best.ntt.gasPerSecond, poseidon: result.best.poseidon.gasPerSecond },
  };
}

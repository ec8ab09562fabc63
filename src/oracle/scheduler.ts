/**
 * The scheduler: graphs, ops, attempts and provers in memory, every change
 * written through to the store before anyone hears of it. It speaks to
 * agents only through `LinkOut`, and time comes from `Clock`, so tests drive
 * it without sockets or waiting; `tick()` is the only place time moves.
 */
import { EventEmitter } from 'node:events';
import { randomBytes, type KeyObject } from 'node:crypto';
import type {
  AttemptOutcome,
  AttemptView,
  BlobRef,
  CancelReason,
  DeviceDescriptor,
  GraphOp,
  GraphStatus,
  OpStatus,
  OracleMessage,
  Power,
  ProverView,
  Register,
  Requirements,
  ResultMessage,
  TaskMode,
  TaskType,
} from '../protocol/index.js';
import { CLOSE_CODES, publicKeyObject, resultPayload, verifyPayload } from '../protocol/index.js';
import type { AnalysedGraph, OpGas, ResolvedGraph } from './graph.js';
import { blobRefs, criticalPaths, opGas } from './graph.js';
import { MatchPass, estimateMs, taskKey, type CandidateView } from './matcher.js';
import { CLEAN_RECORD, afterFailure, afterSuccess, isExcluded, type PenaltyState } from './penalties.js';
import { meetsRequirements, requirementsKey } from '../protocol/index.js';
import type { AttemptRow, GraphRow, OpRow, OracleStore } from './store.js';

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** How the scheduler reaches agents; the link server implements it. */
export interface LinkOut {
  send(proverId: string, message: OracleMessage): void;
  /** Sends `refused` when `refusal` is given, then closes with `code`. */
  close(proverId: string, code: number, reason: string, refusal?: { code: string }): void;
}

export interface SchedulerConfig {
  heartbeatMs: number;
  /** W: the first exclusion window; each further consecutive failure doubles it. */
  exclusionWindowMs: number;
  /** k: provers per op when a graph runs redundantly. */
  redundancy: number;
  /** A graph whose penalty is at or above this runs redundantly in any mode. */
  penaltyThreshold: number;
  /** Counted failures after which an op, and its graph, fail. */
  maxFailuresPerOp: number;
  /** How long a cancelled task may hold its prover's slot before the agent confirms. */
  cancelGraceMs: number;
  /** Deadline when an op has no timeoutMs: max(minTaskTimeoutMs, timeoutFactor × estimate). */
  minTaskTimeoutMs: number;
  timeoutFactor: number;
  /** Price of one gas. */
  pGas: number;
}

export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = {
  heartbeatMs: 5_000,
  exclusionWindowMs: 10 * 60_000,
  redundancy: 2,
  penaltyThreshold: 1_000,
  maxFailuresPerOp: 8,
  cancelGraceMs: 30_000,
  minTaskTimeoutMs: 60_000,
  timeoutFactor: 4,
  pGas: 1e-9,
};

/** Missed heartbeat intervals after which a prover is offline. */
export const MISSED_HEARTBEATS = 3;

/** Tasks forecast shorter than this do not move a prover's pace. */
export const PACE_MIN_FORECAST_MS = 1000;

const COUNTED: ReadonlySet<AttemptOutcome> = new Set(['failed', 'timeout', 'lost', 'invalid', 'disputed']);

/**
 * Failures that may be the requester's fault rather than the prover's: the
 * plugin found the op's inputs unusable (an unreadable key or witness, a
 * witness its proof does not verify with), or the oracle served an input
 * that does not hash right. They are disputed, not penalised at once: the
 * op goes to another prover, and the disputing provers are penalised only
 * if a later one delivers a valid result. Otherwise a requester could get
 * honest provers excluded and banned with graphs nobody can prove.
 */
const DISPUTABLE_CODES: ReadonlySet<string> = new Set(['GAL_ERR_INVALID_INPUT', 'GAL_ERR_BLOB_HASH']);
/** Distinct provers whose disputes fail the op, as the requester's fault. */
export const DISPUTES_TO_FAIL = 2;

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;

export class Attempt {
  acceptedAt: number | null = null;
  endedAt: number | null = null;
  outcome: AttemptOutcome | null = null;
  reason: string | null = null;
  outputs: BlobRef[] | null = null;
  signature: string | null = null;
  /** true: its proof verified; false: it did not; null: no verifier ran. */
  verified: boolean | null = null;
  /** What the agent reported with its result (wallMs, proveMs, …). */
  metrics: Record<string, number> | null = null;
  progress = 0;
  /** The verification of its result in flight (a repeated result waits for it). */
  verifying: Promise<Ack> | null = null;
  constructor(
    readonly taskId: string,
    readonly op: OpRun,
    readonly number: number,
    readonly proverId: string,
    readonly startedAt: number,
    readonly deadline: number,
    readonly estimatedMs: number,
    /** When the matcher expected it done, in ms after its start: the prover's queue then plus its estimate. */
    readonly forecastMs: number,
  ) {}
  get active(): boolean {
    return this.outcome === null;
  }
}

export class OpRun {
  status: OpStatus = 'waiting';
  /** The graph's version at this op's last visible change (GraphRun.touch). */
  version = 0;
  deviceIds: string[] | null = null;
  output: BlobRef[] | null = null;
  producedBy: string | null = null;
  failures = 0;
  attempts: Attempt[] = [];
  /** Inputs not yet done. */
  pending: number;
  /** Provers that refused this op: it is not offered to them again. */
  readonly refusedBy = new Set<string>();
  /** The task this op preempted, until its slot is free. */
  preempting: { proverId: string; taskId: string } | null = null;
  readonly taskKey: string;
  readonly requirementsKey: string;
  constructor(
    readonly graph: GraphRun,
    readonly op: GraphOp & { plugin: string },
    readonly index: number,
    readonly gas: OpGas,
    readonly criticalPath: number,
  ) {
    this.pending = op.inputs.length;
    this.taskKey = taskKey(op.plugin, op.name);
    this.requirementsKey = requirementsKey(op.requirements);
  }
  get active(): Attempt[] {
    return this.attempts.filter((a) => a.active);
  }
}

/** This process's mark in graph versions, so a version from before a restart never matches. */
const EPOCH = randomBytes(4).toString('hex');
let instances = 0;

export class GraphRun {
  status: GraphStatus = 'pending';
  /**
   * Counts the changes a graph document shows (statuses, attempts, outputs);
   * with `instance` it lets a reader ask for the ops changed since a version.
   */
  version = 0;
  /** This in-memory copy: a graph rebuilt from the store is another one. */
  readonly instance = `${EPOCH}.${++instances}`;
  /** Ops done so far: the graph is done when this reaches ops.size. */
  doneOps = 0;
  endedAt: number | null = null;
  error: string | null = null;
  readonly ops = new Map<string, OpRun>();
  constructor(
    readonly id: string,
    readonly seq: number,
    readonly graph: ResolvedGraph,
    readonly gas: number,
    readonly price: string,
    readonly owner: string | null,
    readonly createdAt: number,
  ) {}
  get redundant(): boolean {
    return this.graph.mode === 'performance';
  }
  /** Records a visible change, of the op's state when given. */
  touch(op?: OpRun): void {
    this.version++;
    if (op) op.version = this.version;
  }
  get taskMode(): TaskMode {
    return this.graph.taskMode ?? (this.graph.mode === 'performance' ? 'performance' : 'efficient');
  }
}

export class Prover implements CandidateView {
  device: DeviceDescriptor | null = null;
  power: Power = { gasPerSecond: 1, kernels: {} };
  taskTypes: TaskType[] = [];
  slots = 1;
  lastSeen: number | null = null;
  penalty: PenaltyState = CLEAN_RECORD;
  connected = false;
  registered = false;
  agentState: 'idle' | 'busy' | 'draining' = 'idle';
  /** Tasks holding a slot: active attempts, and cancelled ones until the agent confirms (or the grace ends). */
  readonly occupied = new Map<string, { attempt: Attempt; releaseAt: number | null }>();
  private taskKeys = new Set<string>();
  private requirementCache = new Map<string, boolean>();
  readonly key: KeyObject;
  /** Observed duration / forecast of its finished tasks, smoothed; see observe(). */
  pace = 1;
  paceSamples = 0;
  constructor(
    readonly id: string,
    readonly name: string,
    readonly publicKey: string,
    readonly seq: number,
    readonly firstSeen: number,
  ) {
    this.key = publicKeyObject(Buffer.from(publicKey, 'base64'));
  }

  setRegistration(device: DeviceDescriptor | null, power: Power, taskTypes: TaskType[], slots: number): void {
    this.device = device;
    this.power = power;
    this.taskTypes = taskTypes;
    this.slots = slots;
    this.taskKeys = new Set(taskTypes.flatMap((t) => t.ops.map((op) => taskKey(t.plugin, op))));
    this.requirementCache.clear();
  }
  get live(): boolean {
    return this.connected && this.registered && !this.penalty.banned;
  }
  get freeSlots(): number {
    return this.slots - this.occupied.size;
  }
  available(now: number): boolean {
    return this.live && this.agentState !== 'draining' && this.freeSlots > 0 && !isExcluded(this.penalty, now);
  }
  offers(key: string): boolean {
    return this.taskKeys.has(key);
  }
  meets(key: string, requirements: Requirements): boolean {
    let ok = this.requirementCache.get(key);
    if (ok === undefined) this.requirementCache.set(key, (ok = this.device !== null && meetsRequirements(requirements, this.device)));
    return ok;
  }
  queueMs(now: number): number {
    let ms = 0;
    for (const { attempt } of this.occupied.values()) if (attempt.active) ms += Math.max(0, attempt.startedAt + attempt.estimatedMs - now);
    return ms / this.slots;
  }
  /**
   * Folds one finished task into the pace: what its power claims is the
   * prior, each task moves the pace a quarter of the way to its own ratio
   * (clamped to 1/4…4: beyond 4× the deadline's timeout rule takes over).
   * Forecasts under PACE_MIN_FORECAST_MS are not counted: per-task costs the
   * gas model leaves out (a plugin's start, uploads) dominate them.
   */
  observe(durationMs: number, forecastMs: number): void {
    if (forecastMs < PACE_MIN_FORECAST_MS) return;
    const ratio = Math.min(4, Math.max(0.25, durationMs / forecastMs));
    this.pace += 0.25 * (ratio - this.pace);
    this.paceSamples++;
  }
  activeAttempts(): Attempt[] {
    return [...this.occupied.values()].filter((o) => o.attempt.active).map((o) => o.attempt);
  }
}

export type HelloVerdict =
  | { ok: true; prover: Prover; fresh: boolean }
  | { ok: false; closeCode: number; code: string; reason: string };

/** What a result's proof check concluded (the verifiers are the oracle's, DESIGN §7). */
export type Verdict =
  | { kind: 'valid' }
  | { kind: 'unverified' }
  | { kind: 'invalid'; reason: string }
  /** The verifier itself could not work (an unusable key): the graph fails, no prover is blamed. */
  | { kind: 'verifier-error'; reason: string };

export type ResultCheck = (op: OpRun, outputs: BlobRef[]) => Promise<Verdict>;
export type Ack = { accepted: boolean; reason?: string };

export interface SchedulerEvents {
  assigned: [Attempt];
  attemptEnded: [Attempt];
  opDone: [OpRun];
  graphEnded: [GraphRun];
  proverOffline: [Prover];
}

export class Scheduler extends EventEmitter<SchedulerEvents> {
  readonly config: SchedulerConfig;
  readonly graphs = new Map<string, GraphRun>();
  readonly provers = new Map<string, Prover>();
  private readonly proversByName = new Map<string, Prover>();
  private readonly tasks = new Map<string, Attempt>();
  /** Ops that want another prover: ready ones, and redundant ones short of k. */
  private readonly needy = new Set<OpRun>();
  private graphSeq = 0;
  private proverSeq = 0;
  private dispatchQueued = false;
  private closed = false;

  constructor(
    private readonly store: OracleStore,
    private readonly link: LinkOut,
    config: Partial<SchedulerConfig> = {},
    private readonly clock: Clock = systemClock,
    /** Whether an output blob was uploaded. */
    private readonly blobExists: (sha256: string) => boolean = () => true,
    private readonly check: ResultCheck = async () => ({ kind: 'unverified' }),
  ) {
    super();
    this.config = { ...DEFAULT_SCHEDULER_CONFIG, ...config };
    this.restore();
  }

  // ---------------------------------------------------------------- graphs

  submit(analysed: AnalysedGraph, owner: string | null): GraphRun {
    const now = this.clock.now();
    const run = new GraphRun(newId('g'), ++this.graphSeq, analysed.graph, analysed.gas, formatPrice(analysed.gas * this.config.pGas), owner, now);
    for (const a of analysed.ops) run.ops.set(a.op.id, new OpRun(run, a.op, a.index, a.gas, a.criticalPath));
    this.store.insertGraph(
      { id: run.id, seq: run.seq, body: JSON.stringify(run.graph), status: run.status, gas: run.gas, price: run.price, owner, created_at: now },
      [...run.ops.values()].map((o) => ({ op_id: o.op.id, idx: o.index, status: o.pending === 0 ? 'ready' : 'waiting' })),
      new Set(run.graph.ops.flatMap((op) => blobRefs(op.params, '').map(([, sha]) => sha))),
    );
    this.graphs.set(run.id, run);
    for (const op of run.ops.values()) if (op.pending === 0) this.makeReady(op, false);
    this.queueDispatch();
    return run;
  }

  cancelGraph(id: string): boolean {
    const run = this.graphs.get(id);
    if (!run) return false;
    if (run.status === 'done' || run.status === 'failed' || run.status === 'cancelled') return true;
    this.store.transaction(() => this.stopGraph(run, 'cancelled', null, 'cancelled'));
    this.queueDispatch();
    return true;
  }

  // ---------------------------------------------------------------- provers

  /** The first step of a link: may this name with this key come in? */
  hello(name: string, publicKey: string): HelloVerdict {
    const known = this.proversByName.get(name);
    if (known?.penalty.banned)
      return { ok: false, closeCode: CLOSE_CODES.banned, code: 'GAL_ERR_BANNED', reason: `prover name ${name} is banned after repeated failures; come back under a new name` };
    if (known && known.publicKey !== publicKey)
      return { ok: false, closeCode: CLOSE_CODES.nameTaken, code: 'GAL_ERR_NAME_TAKEN', reason: `prover name ${name} is bound to another key` };
    if (known) return { ok: true, prover: known, fresh: false };
    return { ok: true, prover: new Prover(newId('p'), name, publicKey, ++this.proverSeq, this.clock.now()), fresh: true };
  }

  /** Authenticated: the prover is connected; returns the tasks it should still be running. */
  connected(prover: Prover, fresh: boolean): string[] {
    const now = this.clock.now();
    if (fresh) {
      // Two links racing for one new name: the first to authenticate binds it.
      const known = this.proversByName.get(prover.name);
      if (known) throw new Error(known.publicKey === prover.publicKey ? 'raced' : 'name taken');
      this.provers.set(prover.id, prover);
      this.proversByName.set(prover.name, prover);
    }
    prover.connected = true;
    prover.registered = false;
    prover.lastSeen = now;
    this.persistProver(prover);
    return prover.activeAttempts().map((a) => a.taskId);
  }

  register(prover: Prover, msg: Register): void {
    prover.setRegistration(msg.device, msg.power, msg.taskTypes, msg.capacity.slots);
    prover.registered = true;
    prover.agentState = 'idle';
    prover.lastSeen = this.clock.now();
    this.persistProver(prover);
    this.queueDispatch();
  }

  disconnected(prover: Prover): void {
    prover.connected = false;
    prover.registered = false;
    // Its tasks stay with it: an agent that reconnects within the heartbeat
    // allowance resumes them; tick() fails them over otherwise.
  }

  /** Any message from the agent is a sign of life. */
  seen(prover: Prover): void {
    prover.lastSeen = this.clock.now();
  }

  heartbeat(prover: Prover, state: 'idle' | 'busy' | 'draining', running: readonly string[]): void {
    const wasDraining = prover.agentState === 'draining';
    prover.agentState = state;
    this.store.touchProver(prover.id, this.clock.now());
    const alive = new Set(running);
    for (const [taskId, slot] of prover.occupied)
      if (!slot.attempt.active && !alive.has(taskId)) prover.occupied.delete(taskId);
    if (wasDraining && state !== 'draining') this.queueDispatch();
  }

  // ---------------------------------------------------------------- task messages

  private attemptOf(prover: Prover, taskId: string): Attempt | null {
    const a = this.tasks.get(taskId);
    return a && a.proverId === prover.id ? a : null;
  }

  accept(prover: Prover, taskId: string): void {
    const a = this.attemptOf(prover, taskId);
    if (!a || !a.active || a.acceptedAt !== null) return;
    a.acceptedAt = this.clock.now();
    this.store.acceptAttempt(taskId, a.acceptedAt);
    a.op.graph.touch(a.op);
    if (a.op.status === 'assigned') this.setOpStatus(a.op, 'running');
  }

  progress(prover: Prover, taskId: string, fraction: number): void {
    const a = this.attemptOf(prover, taskId);
    if (a?.active) a.progress = fraction;
  }

  /** A disputed failure: nobody is penalised yet; enough disputes fail the op as the requester's fault. */
  private dispute(prover: Prover, a: Attempt, reason: string): void {
    const op = a.op;
    op.refusedBy.add(prover.id);
    this.endAttempt(a, 'disputed', reason, true);
    if (op.status === 'done' || op.status === 'failed' || !this.graphs.has(op.graph.id)) return;
    const disputes = op.attempts.filter((x) => x.outcome === 'disputed');
    const disputers = new Set(disputes.map((x) => x.proverId)).size;
    // Enough provers agree, or no other prover the oracle knows could ever take the op.
    const nobodyElse = ![...this.provers.values()].some(
      (p) => !op.refusedBy.has(p.id) && !p.penalty.banned && p.offers(op.taskKey) && p.meets(op.requirementsKey, op.op.requirements),
    );
    if (disputers < DISPUTES_TO_FAIL && !nobodyElse) return;
    this.setOpStatus(op, 'failed');
    const why = disputes.map((x) => `${this.provers.get(x.proverId)?.name ?? x.proverId}: ${x.reason}`).join('; ');
    const who = disputers === 1 ? '1 prover (no other could take it)' : `${disputers} provers`;
    this.stopGraph(op.graph, 'failed', `op ${op.op.id}: ${who} found its inputs unusable (${why})`.slice(0, 4096), 'the graph failed');
  }

  /** A refusal is not a failure: the op goes to someone else and is not offered here again. */
  reject(prover: Prover, taskId: string, reason: string): void {
    const a = this.attemptOf(prover, taskId);
    if (!a || !a.active) return;
    a.op.refusedBy.add(prover.id);
    this.store.transaction(() => this.endAttempt(a, 'rejected', reason, true));
    this.queueDispatch();
  }

  cancelled(prover: Prover, taskId: string): void {
    const slot = prover.occupied.get(taskId);
    if (slot && !slot.attempt.active) {
      prover.occupied.delete(taskId);
      this.queueDispatch();
    }
  }

  /**
   * Returns the ack to send once the result is checked: signature, uploaded
   * outputs, then the proof itself (off the event loop). Idempotent: a
   * repeated result is answered as the first was, and counted once.
   */
  result(prover: Prover, msg: ResultMessage): Promise<Ack> {
    const receivedAt = this.clock.now();
    const a = this.tasks.get(msg.taskId) ?? this.restoreAttempt(msg.taskId);
    if (!a || a.proverId !== prover.id) return Promise.resolve({ accepted: false, reason: 'no such task for this prover' });
    if (a.verifying) return a.verifying;
    if (!a.active) {
      prover.occupied.delete(a.taskId);
      if (a.outcome === 'done') return Promise.resolve({ accepted: true });
      return Promise.resolve({ accepted: false, reason: `task already ended: ${a.outcome}${a.reason ? ` (${a.reason})` : ''}` });
    }
    if (msg.attempt !== a.number) return Promise.resolve({ accepted: false, reason: `attempt ${msg.attempt} is not the assigned attempt ${a.number}` });
    const missing = msg.outputs.find((o) => !this.blobExists(o.sha256));
    const bad = !verifyPayload(resultPayload(msg.taskId, msg.attempt, msg.outputs), msg.signature, prover.key)
      ? 'the signature does not verify with the prover key'
      : missing
        ? `output blob ${missing.sha256} was not uploaded`
        : null;
    if (bad) return Promise.resolve(this.settle(prover, a, msg, { kind: 'invalid', reason: bad }, receivedAt));
    a.verifying = this.check(a.op, msg.outputs)
      .catch((err): Verdict => ({ kind: 'verifier-error', reason: (err as Error).message }))
      .then((verdict) => this.settle(prover, a, msg, verdict, receivedAt));
    return a.verifying;
  }

  private settle(prover: Prover, a: Attempt, msg: ResultMessage, verdict: Verdict, receivedAt: number): Ack {
    // While it was being verified, the op may have been won by another prover or the graph cancelled.
    if (!a.active) return { accepted: false, reason: `task already ended: ${a.outcome}${a.reason ? ` (${a.reason})` : ''}` };
    const now = this.clock.now();
    let ack: Ack;
    this.store.transaction(() => {
      a.outputs = msg.outputs;
      a.signature = msg.signature;
      a.metrics = msg.metrics;
      if (verdict.kind === 'invalid') {
        a.verified = false;
        this.endAttempt(a, 'invalid', verdict.reason, true);
        this.penalise(prover, now);
        ack = { accepted: false, reason: verdict.reason };
      } else if (verdict.kind === 'verifier-error') {
        const run = a.op.graph;
        this.endAttempt(a, 'cancelled', `not verified: ${verdict.reason}`, true);
        if (this.graphs.has(run.id)) this.stopGraph(run, 'failed', `op ${a.op.op.id}: the oracle could not verify results: ${verdict.reason}`, 'the graph failed');
        ack = { accepted: false, reason: `the oracle could not verify the result: ${verdict.reason}` };
      } else {
        a.verified = verdict.kind === 'valid' ? true : null;
        this.endAttempt(a, 'done', null, true);
        this.setPenalty(prover, afterSuccess(prover.penalty));
        prover.observe(receivedAt - a.startedAt, a.forecastMs);
        this.completeOp(a.op, a);
        ack = { accepted: true };
      }
    });
    this.queueDispatch();
    return ack!;
  }

  fail(prover: Prover, taskId: string, code: string, reason: string): Ack {
    const a = this.tasks.get(taskId) ?? this.restoreAttempt(taskId);
    if (!a || a.proverId !== prover.id) return { accepted: false, reason: 'no such task for this prover' };
    if (!a.active) {
      prover.occupied.delete(a.taskId);
      return { accepted: a.outcome === 'failed' || a.outcome === 'disputed' };
    }
    this.store.transaction(() => {
      const why = `${code}: ${reason}`.slice(0, 1024);
      if (DISPUTABLE_CODES.has(code)) return this.dispute(prover, a, why);
      this.endAttempt(a, 'failed', why, true);
      this.penalise(prover, this.clock.now());
    });
    this.queueDispatch();
    return { accepted: true };
  }

  // ---------------------------------------------------------------- time

  /** Heartbeat allowance, task deadlines, cancel graces, exclusion windows. */
  tick(): void {
    const now = this.clock.now();
    const allowance = MISSED_HEARTBEATS * this.config.heartbeatMs;
    let changed = false;
    for (const p of this.provers.values()) {
      for (const [taskId, slot] of p.occupied)
        if (slot.releaseAt !== null && now >= slot.releaseAt) (p.occupied.delete(taskId), (changed = true));
      const silent = p.lastSeen === null || now - p.lastSeen > allowance;
      if (silent && (p.connected || p.activeAttempts().length)) {
        this.offline(p, now);
        changed = true;
      }
    }
    for (const a of this.tasks.values())
      if (a.active && now > a.deadline) {
        const prover = this.provers.get(a.proverId)!;
        this.store.transaction(() => {
          this.cancelAttempt(a, 'timeout', `no result by the deadline (${a.deadline - a.startedAt} ms)`);
          this.penalise(prover, now);
        });
        changed = true;
      }
    if (changed || this.needy.size) this.queueDispatch();
  }

  /** Missed heartbeats or a lost link: its running ops fail over, one failure for the incident. */
  private offline(p: Prover, now: number): void {
    const lost = p.activeAttempts();
    if (p.connected) this.link.close(p.id, 1001, 'no heartbeat');
    p.connected = false;
    p.registered = false;
    this.store.transaction(() => {
      for (const a of lost) this.endAttempt(a, 'lost', 'the prover went offline', true);
      p.occupied.clear();
      if (lost.length) this.penalise(p, now);
    });
    this.emit('proverOffline', p);
  }

  // ---------------------------------------------------------------- dispatch

  /** Coalesces bursts of events into one dispatch round. */
  queueDispatch(): void {
    if (this.dispatchQueued || this.closed) return;
    this.dispatchQueued = true;
    setImmediate(() => {
      this.dispatchQueued = false;
      if (!this.closed) this.dispatch();
    });
  }

  private wanted(op: OpRun): number {
    const g = op.graph;
    const k = g.redundant || g.graph.penalty >= this.config.penaltyThreshold ? (g.graph.redundancy ?? this.config.redundancy) : 1;
    return k - op.active.length;
  }

  /** One round: ready ops in priority and critical-path order, each to its best candidates. */
  dispatch(): number {
    if (this.needy.size === 0) return 0;
    const now = this.clock.now();
    const free = [...this.provers.values()].filter((p) => p.available(now));
    const order = [...this.needy].sort(
      (a, b) =>
        b.graph.graph.priority - a.graph.graph.priority ||
        b.criticalPath - a.criticalPath ||
        a.graph.seq - b.graph.seq ||
        a.index - b.index,
    );
    const pass = new MatchPass<Prover>(now, free);
    let assigned = 0;
    let freeLeft = free.reduce((s, p) => s + p.freeSlots, 0);
    const lowestRunning = this.lowestRunningPriority();
    this.store.transaction(() => {
      for (const op of order) {
        if (freeLeft === 0 && op.graph.graph.priority <= lowestRunning) break;
        const count = this.wanted(op);
        if (count <= 0) {
          this.needy.delete(op);
          continue;
        }
        const exclude = new Set<string>(op.refusedBy);
        for (const a of op.active) exclude.add(a.proverId);
        const holders = op.op.inputs.map((id) => op.graph.ops.get(id)!.producedBy).filter((x): x is string => x !== null);
        const chosen = freeLeft === 0 ? [] : pass.choose(
          { taskKey: op.taskKey, requirements: op.op.requirements, requirementsKey: op.requirementsKey, gas: op.gas, exclude, holders, count },
          (p) => {
            this.assign(op, p, now);
            freeLeft--;
          },
        );
        assigned += chosen.length;
        if (op.active.length === 0 && op.graph.graph.priority > lowestRunning) this.preemptFor(op, exclude, now);
        if (this.wanted(op) <= 0) this.needy.delete(op);
      }
    });
    return assigned;
  }

  private lowestRunningPriority(): number {
    let lowest = Infinity;
    for (const a of this.tasks.values()) if (a.active) lowest = Math.min(lowest, a.op.graph.graph.priority);
    return lowest;
  }

  /** Cancels the lowest-priority task on a prover that could run `op` (the latest started among equals: least work lost). */
  private preemptFor(op: OpRun, exclude: ReadonlySet<string>, now: number): void {
    // One preemption at a time per op, while the victim still holds its slot.
    if (op.preempting && this.provers.get(op.preempting.proverId)?.occupied.has(op.preempting.taskId)) return;
    let victim: Attempt | null = null;
    for (const a of this.tasks.values()) {
      if (!a.active || a.op.graph.graph.priority >= op.graph.graph.priority) continue;
      const p = this.provers.get(a.proverId)!;
      if (!p.live || exclude.has(p.id) || isExcluded(p.penalty, now) || !p.offers(op.taskKey) || !p.meets(op.requirementsKey, op.op.requirements)) continue;
      if (!victim || a.op.graph.graph.priority < victim.op.graph.graph.priority || (a.op.graph.graph.priority === victim.op.graph.graph.priority && a.startedAt > victim.startedAt))
        victim = a;
    }
    if (!victim) return;
    op.preempting = { proverId: victim.proverId, taskId: victim.taskId };
    this.cancelAttempt(victim, 'preempted', `preempted by ${op.graph.id}/${op.op.id}`);
  }

  private assign(op: OpRun, p: Prover, now: number): void {
    const estimated = estimateMs(op.gas, p.power);
    const timeout = op.op.timeoutMs ?? Math.max(this.config.minTaskTimeoutMs, Math.ceil(this.config.timeoutFactor * estimated));
    const a = new Attempt(newId('t'), op, op.attempts.length + 1, p.id, now, now + timeout, estimated, p.queueMs(now) + estimated);
    op.attempts.push(a);
    op.preempting = null;
    this.tasks.set(a.taskId, a);
    p.occupied.set(a.taskId, { attempt: a, releaseAt: null });
    this.store.insertAttempt({ task_id: a.taskId, graph_id: op.graph.id, op_id: op.op.id, attempt: a.number, prover_id: p.id, started_at: now, deadline: a.deadline });
    op.deviceIds = [...new Set(op.active.map((x) => x.proverId))];
    if (op.status === 'ready' || op.status === 'waiting') op.status = 'assigned';
    this.persistOp(op);
    if (op.graph.status === 'pending') this.setGraphStatus(op.graph, 'running');
    this.link.send(p.id, {
      type: 'assign',
      taskId: a.taskId,
      graphId: op.graph.id,
      opId: op.op.id,
      attempt: a.number,
      plugin: op.op.plugin,
      op: op.op.name,
      mode: op.graph.taskMode,
      priority: op.graph.graph.priority,
      deadline: a.deadline,
      sentAt: now,
      inputs: op.op.inputs.flatMap((id) => (op.graph.ops.get(id)!.output ?? []).map((o) => ({ ...o, name: `${id}/${o.name}`, from: id }))),
      params: op.op.params,
    });
    this.emit('assigned', a);
  }

  // ---------------------------------------------------------------- transitions

  private endAttempt(a: Attempt, outcome: AttemptOutcome, reason: string | null, releaseSlot: boolean): void {
    const now = this.clock.now();
    a.outcome = outcome;
    a.reason = reason;
    a.endedAt = now;
    this.store.endAttempt({ task_id: a.taskId, ended_at: now, outcome, reason, outputs: a.outputs, signature: a.signature, verified: a.verified, metrics: a.metrics });
    a.op.graph.touch(a.op);
    const p = this.provers.get(a.proverId);
    if (p) {
      if (releaseSlot) p.occupied.delete(a.taskId);
      else if (p.occupied.has(a.taskId)) p.occupied.set(a.taskId, { attempt: a, releaseAt: now + this.config.cancelGraceMs });
    }
    this.tasks.delete(a.taskId);
    const op = a.op;
    if (COUNTED.has(outcome)) op.failures++;
    this.emit('attemptEnded', a);
    if (op.status === 'done' || op.status === 'failed' || op.graph.status === 'cancelled') return;
    if (COUNTED.has(outcome) && op.failures >= this.config.maxFailuresPerOp) {
      this.setOpStatus(op, 'failed');
      this.stopGraph(op.graph, 'failed', `op ${op.op.id} failed ${op.failures} times; last: ${outcome}${reason ? ` (${reason})` : ''}`, 'the graph failed');
      return;
    }
    const active = op.active;
    op.deviceIds = active.length ? [...new Set(active.map((x) => x.proverId))] : null;
    if (active.length === 0) this.makeReady(op, true);
    else {
      if (!active.some((x) => x.acceptedAt !== null)) op.status = 'assigned';
      this.persistOp(op);
      this.needy.add(op); // a redundant op tops up to k
    }
  }

  /** Ends an attempt and tells its agent to stop; the slot is held until the agent confirms. */
  private cancelAttempt(a: Attempt, reason: CancelReason, detail: string): void {
    const outcome: AttemptOutcome = reason === 'timeout' ? 'timeout' : reason;
    this.endAttempt(a, outcome, detail, false);
    const p = this.provers.get(a.proverId);
    if (p?.connected) this.link.send(p.id, { type: 'cancel', taskId: a.taskId, reason });
  }

  private penalise(p: Prover, now: number): void {
    const next = afterFailure(p.penalty, now, this.config.exclusionWindowMs);
    this.setPenalty(p, next);
    if (next.banned) {
      for (const a of p.activeAttempts()) this.endAttempt(a, 'lost', 'the prover was banned', true);
      p.occupied.clear();
      if (p.connected)
        this.link.close(p.id, CLOSE_CODES.banned, 'banned', { code: 'GAL_ERR_BANNED' });
      p.connected = false;
      p.registered = false;
    }
  }

  private setPenalty(p: Prover, next: PenaltyState): void {
    if (next === p.penalty) return;
    p.penalty = next;
    this.store.setPenalty(p.id, next);
  }

  private makeReady(op: OpRun, persist: boolean): void {
    op.status = 'ready';
    op.deviceIds = null;
    if (persist) this.persistOp(op);
    this.needy.add(op);
  }

  private completeOp(op: OpRun, winner: Attempt): void {
    if (op.status === 'done') return;
    op.status = 'done';
    op.output = winner.outputs;
    op.producedBy = winner.proverId;
    op.deviceIds = [winner.proverId];
    this.needy.delete(op);
    for (const other of op.active) this.cancelAttempt(other, 'redundant', `${winner.taskId} finished first`);
    // The inputs were usable after all: each dispute was the disputing prover's failure.
    const now = this.clock.now();
    for (const id of new Set(op.attempts.filter((x) => x.outcome === 'disputed').map((x) => x.proverId))) {
      const p = this.provers.get(id);
      if (p && id !== winner.proverId) this.penalise(p, now);
    }
    this.persistOp(op);
    this.emit('opDone', op);
    for (const id of op.op.outputs) {
      const next = op.graph.ops.get(id)!;
      if (--next.pending === 0 && next.status === 'waiting') this.makeReady(next, true);
    }
    if (++op.graph.doneOps === op.graph.ops.size) this.endGraph(op.graph, 'done', null);
  }

  private setOpStatus(op: OpRun, status: OpStatus): void {
    op.status = status;
    if (status === 'failed') this.needy.delete(op);
    this.persistOp(op);
  }

  private setGraphStatus(run: GraphRun, status: GraphStatus): void {
    run.status = status;
    run.touch();
    this.store.setGraphStatus(run.id, status, run.endedAt, run.error);
  }

  /** Cancels every task the graph still runs (not a failure of their provers), then ends it. */
  private stopGraph(run: GraphRun, status: 'failed' | 'cancelled', error: string | null, why: string): void {
    for (const op of run.ops.values()) for (const a of op.active) this.cancelAttempt(a, 'cancelled', why);
    this.endGraph(run, status, error);
  }

  private endGraph(run: GraphRun, status: GraphStatus, error: string | null): void {
    run.endedAt = this.clock.now();
    run.error = error;
    this.setGraphStatus(run, status);
    for (const op of run.ops.values()) this.needy.delete(op);
    this.graphs.delete(run.id);
    this.emit('graphEnded', run);
  }

  private persistOp(op: OpRun): void {
    op.graph.touch(op);
    this.store.updateOp({
      graph_id: op.graph.id,
      op_id: op.op.id,
      status: op.status,
      device_ids: op.deviceIds,
      output: op.output,
      produced_by: op.producedBy,
      failures: op.failures,
    });
  }

  private persistProver(p: Prover): void {
    this.store.upsertProver({
      id: p.id,
      name: p.name,
      public_key: p.publicKey,
      seq: p.seq,
      device: p.device ? JSON.stringify(p.device) : null,
      power: JSON.stringify(p.power),
      task_types: JSON.stringify(p.taskTypes),
      slots: p.slots,
      first_seen: p.firstSeen,
      last_seen: p.lastSeen,
      consecutive_failures: p.penalty.consecutiveFailures,
      excluded_until: p.penalty.excludedUntil,
      banned: p.penalty.banned ? 1 : 0,
    });
  }

  // ---------------------------------------------------------------- restore and views

  private restore(): void {
    const state = this.store.loadState();
    const now = this.clock.now();
    this.graphSeq = state.maxGraphSeq;
    for (const row of state.provers) {
      const p = new Prover(row.id, row.name, row.public_key, row.seq, row.first_seen);
      p.setRegistration(row.device ? JSON.parse(row.device) : null, row.power ? JSON.parse(row.power) : p.power, row.task_types ? JSON.parse(row.task_types) : [], row.slots);
      p.penalty = { consecutiveFailures: row.consecutive_failures, excludedUntil: row.excluded_until, banned: row.banned === 1 };
      // Every prover gets the full heartbeat allowance from now to come back and resume.
      p.lastSeen = now;
      this.provers.set(p.id, p);
      this.proversByName.set(p.name, p);
      this.proverSeq = Math.max(this.proverSeq, p.seq);
    }
    for (const { graph, ops, attempts } of state.graphs) {
      const run = rebuildGraph(graph, ops, attempts);
      this.graphs.set(run.id, run);
      for (const op of run.ops.values()) {
        for (const a of op.active) {
          this.tasks.set(a.taskId, a);
          this.provers.get(a.proverId)?.occupied.set(a.taskId, { attempt: a, releaseAt: null });
        }
        if (op.status !== 'done' && op.status !== 'failed' && op.status !== 'waiting' && this.wanted(op) > 0) this.needy.add(op);
      }
    }
  }

  /** A late message about an attempt of a graph that already ended: read it back to answer consistently. */
  private restoreAttempt(taskId: string): Attempt | null {
    const row = this.store.db.prepare<[string], { graph_id: string }>('SELECT graph_id FROM attempts WHERE task_id = ?').get(taskId);
    if (!row) return null;
    const run = this.graphView(row.graph_id);
    if (!run) return null;
    for (const op of run.ops.values()) for (const a of op.attempts) if (a.taskId === taskId) return a.active ? null : a;
    return null;
  }

  /** A graph, live or finished. */
  graphView(id: string): GraphRun | null {
    const live = this.graphs.get(id);
    if (live) return live;
    const rows = this.store.finishedGraph(id);
    return rows ? rebuildGraph(rows.graph, rows.ops, rows.attempts) : null;
  }

  attemptView(a: Attempt): AttemptView {
    return {
      taskId: a.taskId,
      attempt: a.number,
      prover: a.proverId,
      proverName: this.provers.get(a.proverId)?.name ?? a.proverId,
      started: a.startedAt,
      accepted: a.acceptedAt,
      ended: a.endedAt,
      outcome: a.outcome,
      reason: a.reason,
      verified: a.verified,
      signature: a.signature,
      metrics: a.metrics,
    };
  }

  proverView(p: Prover): ProverView {
    return {
      id: p.id,
      name: p.name,
      state: p.penalty.banned ? 'banned' : p.live ? 'online' : 'offline',
      busy: p.occupied.size > 0,
      device: p.device,
      power: p.power,
      taskTypes: p.taskTypes,
      capacity: { slots: p.slots, used: p.occupied.size },
      lastSeen: p.lastSeen,
      penalty: { ...p.penalty },
      pace: { value: p.pace, samples: p.paceSamples },
    };
  }

  /** Could any prover ever seen (and not banned) run this op? For the submit-time warning. */
  couldEverMatch(op: GraphOp & { plugin: string }): boolean {
    const key = taskKey(op.plugin, op.name), reqKey = requirementsKey(op.requirements);
    for (const p of this.provers.values()) if (!p.penalty.banned && p.offers(key) && p.meets(reqKey, op.requirements)) return true;
    return false;
  }

  listGraphs(limit: number, owner: string | null) {
    return this.store.listGraphs(limit, owner).map((g) => ({
      id: g.id,
      status: g.status,
      gas: g.gas,
      price: g.price,
      createdAt: g.created_at,
      endedAt: g.ended_at,
      owner: g.owner,
    }));
  }

  counts() {
    let online = 0, busy = 0, banned = 0, running = 0;
    for (const p of this.provers.values()) {
      if (p.penalty.banned) banned++;
      else if (p.live) online++;
      if (p.occupied.size) busy++;
    }
    for (const a of this.tasks.values()) if (a.active) running++;
    return { provers: this.provers.size, online, busy, banned, running, ready: this.needy.size, graphs: this.graphs.size };
  }

  close(): void {
    this.closed = true;
  }
}

function formatPrice(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(12))) : '0';
}

/** Rebuilds a graph's in-memory state from its rows (restart, or reading a finished graph). */
function rebuildGraph(graph: GraphRow, ops: OpRow[], attempts: AttemptRow[]): GraphRun {
  const body = JSON.parse(graph.body) as ResolvedGraph;
  const run = new GraphRun(graph.id, graph.seq, body, graph.gas, graph.price, graph.owner, graph.created_at);
  run.status = graph.status;
  run.endedAt = graph.ended_at;
  run.error = graph.error;
  const gas = body.ops.map(opGas);
  const critical = criticalPaths(body.ops, gas);
  body.ops.forEach((op, i) => run.ops.set(op.id, new OpRun(run, op, i, gas[i]!, critical[i]!)));
  for (const row of ops) {
    const op = run.ops.get(row.op_id)!;
    op.status = row.status;
    op.deviceIds = row.device_ids ? JSON.parse(row.device_ids) : null;
    op.output = row.output ? JSON.parse(row.output) : null;
    op.producedBy = row.produced_by;
    op.failures = row.failures;
  }
  for (const op of run.ops.values()) {
    op.pending = op.op.inputs.filter((id) => run.ops.get(id)!.status !== 'done').length;
    if (op.status === 'done') run.doneOps++;
  }
  for (const row of attempts) {
    const op = run.ops.get(row.op_id)!;
    const a = new Attempt(row.task_id, op, row.attempt, row.prover_id, row.started_at, row.deadline, 0, 0);
    a.acceptedAt = row.accepted_at;
    a.endedAt = row.ended_at;
    a.outcome = row.outcome;
    a.reason = row.reason;
    a.outputs = row.outputs ? JSON.parse(row.outputs) : null;
    a.signature = row.signature;
    a.verified = row.verified === null ? null : row.verified === 1;
    a.metrics = row.metrics ? JSON.parse(row.metrics) : null;
    if (a.outcome === 'rejected' || a.outcome === 'disputed') op.refusedBy.add(a.proverId);
    op.attempts.push(a);
  }
  return run;
}

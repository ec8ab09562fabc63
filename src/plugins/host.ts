/**
 * Runs proving tasks through plugins, in the task's mode (DESIGN §5):
 * efficient — a fresh instance per task (start → Init → Start → Stop →
 * remove); performance — one warm instance per plugin (Init once, Start per
 * task, evicted when idle, restarted if it dies). Whatever the plugin does —
 * prove, fail, hang, crash, ignore Stop — the task ends as one outcome and
 * the instance is cleaned up: never a stuck agent.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, linkSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { GalacticError } from '../errors.js';
import type { TaskMode } from '../protocol/index.js';
import { PluginClient, type StartEnd } from './client.js';
import type { ExitStatus, InstanceHandle, InstanceSpec, TaskDriver } from './drivers/types.js';
import { PLUGIN_PROTOCOL, type PluginInfo, type PluginInput } from './proto.js';
import { within } from './within.js';

export interface PluginRegistration {
  name: string;
  driver: TaskDriver;
  spec: Omit<InstanceSpec, 'plugin' | 'socketDir' | 'workDir'>;
  /** What Init loads (keys, parameters), once per instance. */
  init?: { params: Record<string, unknown>; inputs?: PluginInput[] };
}

export interface TaskRequest {
  plugin: string;
  taskId: string;
  taskType: string;
  mode: TaskMode;
  inputs: PluginInput[];
  params: Record<string, unknown>;
  /** Epoch ms; 0: none. */
  deadlineMs: number;
  signal?: AbortSignal;
  onProgress?(fraction: number, message: string): void;
}

export type TaskOutcome =
  | { status: 'done'; outputs: { name: string; data: Buffer }[]; metrics: Record<string, number>; wallMs: number }
  | {
      status: 'failed' | 'timeout' | 'crashed' | 'cancelled';
      code: string;
      reason: string;
      /** The instance had to be killed. */
      forced: boolean;
      wallMs: number;
    };

/** The largest output read back from a plugin: the oracle's default blob limit. */
const MAX_OUTPUT_BYTES = 1024 ** 3;

export interface PluginHostOptions {
  /** Instances' socket and work directories go under here (keep it short: socket paths are limited to ~100 bytes). */
  baseDir: string;
  /** A warm instance with no task for this long is stopped. */
  idleMs?: number;
  startTimeoutMs?: number;
  initTimeoutMs?: number;
  /** How long a plugin gets to honour Stop before it is killed. */
  stopGraceMs?: number;
}

class Instance {
  busy = 0;
  dead = false;
  idleTimer: NodeJS.Timeout | null = null;
  private readonly waiters: (() => void)[] = [];
  constructor(
    readonly key: string,
    readonly reg: PluginRegistration,
    readonly handle: InstanceHandle,
    readonly client: PluginClient,
    readonly exit: Promise<ExitStatus>,
    readonly info: PluginInfo,
    readonly dir: string,
  ) {}
  get slots(): number {
    return Math.max(1, this.info.maxConcurrentTasks);
  }
  async acquire(): Promise<void> {
    while (this.busy >= this.slots) await new Promise<void>((r) => this.waiters.push(r));
    this.busy++;
  }
  release(): void {
    this.busy--;
    this.waiters.shift()?.();
  }
}

/** A directory the plugin (possibly another user) may write; it sits inside the instance's own, closed directory. */
function openDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
}

/** Input files go into the plugin's work directory: under Docker nothing else is mounted. */
function stageInputs(inputs: PluginInput[], dir: string): PluginInput[] {
  return inputs.map((input, i) => {
    if (input.path === undefined) return input;
    const target = join(dir, `${i}-${input.name.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
    // A hard link costs nothing, but only a world-readable file may be shared that way.
    if (statSync(input.path).mode & 0o004) {
      try {
        linkSync(input.path, target);
        return { ...input, path: target };
      } catch {
        /* another filesystem: copy */
      }
    }
    copyFileSync(input.path, target);
    chmodSync(target, 0o644);
    return { ...input, path: target };
  });
}

const describeExit = (e: ExitStatus) =>
  e.oomKilled ? 'was killed for using too much memory' : e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;

export class PluginHost {
  private readonly plugins = new Map<string, PluginRegistration>();
  private readonly warm = new Map<string, Promise<Instance>>();
  private readonly live = new Set<Instance>();
  private readonly idleMs: number;
  private readonly startTimeoutMs: number;
  private readonly initTimeoutMs: number;
  private readonly stopGraceMs: number;
  private closed = false;

  constructor(private readonly options: PluginHostOptions) {
    this.idleMs = options.idleMs ?? 5 * 60_000;
    this.startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.initTimeoutMs = options.initTimeoutMs ?? 10 * 60_000;
    this.stopGraceMs = options.stopGraceMs ?? 5_000;
    mkdirSync(options.baseDir, { recursive: true, mode: 0o700 });
  }

  register(reg: PluginRegistration): void {
    this.plugins.set(reg.name, reg);
  }

  /** Warm instances now running, for status and tests. */
  instances(): { plugin: string; handle: InstanceHandle; busy: number }[] {
    return [...this.live].filter((i) => this.warm.has(i.key)).map((i) => ({ plugin: i.reg.name, handle: i.handle, busy: i.busy }));
  }

  /** A plugin's Info: from its warm instance, or from a short-lived one. */
  async describe(plugin: string): Promise<PluginInfo> {
    const reg = this.plugins.get(plugin);
    if (!reg) throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a registered plugin for plugin but received ${JSON.stringify(plugin)}`);
    const warm = this.warm.get(plugin);
    if (warm) return (await warm).info;
    const inst = await this.startInstance({ ...reg, init: undefined }, `${plugin}#describe`);
    try {
      return inst.info;
    } finally {
      await this.shutdown(inst);
    }
  }

  /** Starts (or reuses) the warm instance of a plugin and runs Init: what an agent does at start-up for performance mode. */
  async prewarm(plugin: string): Promise<void> {
    const reg = this.plugins.get(plugin);
    if (!reg) throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a registered plugin for plugin but received ${JSON.stringify(plugin)}`);
    const inst = await this.warmInstance(reg);
    this.armIdle(inst);
  }

  async run(req: TaskRequest): Promise<TaskOutcome> {
    const t0 = Date.now();
    const fail = (status: 'failed' | 'crashed', code: string, reason: string): TaskOutcome => ({ status, code, reason, forced: false, wallMs: Date.now() - t0 });
    if (this.closed) return fail('failed', 'GAL_ERR_PLUGIN_START', 'the plugin host is closed');
    const reg = this.plugins.get(req.plugin);
    if (!reg) return fail('failed', 'GAL_ERR_PLUGIN_UNKNOWN', `no plugin ${req.plugin} is installed here`);
    let inst: Instance;
    try {
      inst = req.mode === 'performance' ? await this.warmInstance(reg) : await this.startInstance(reg, `${reg.name}#${req.taskId}`);
    } catch (err) {
      return fail('failed', 'GAL_ERR_PLUGIN_START', `plugin ${reg.name} did not start: ${(err as Error).message}`);
    }
    if (!inst.info.taskTypes.includes(req.taskType)) {
      if (req.mode !== 'performance') await this.shutdown(inst);
      return fail('failed', 'GAL_ERR_PLUGIN_TASK_TYPE', `plugin ${reg.name} does not prove ${req.taskType} (it proves ${inst.info.taskTypes.join(', ')})`);
    }
    if (inst.idleTimer) clearTimeout(inst.idleTimer);
    await inst.acquire();
    try {
      const outcome = await this.execute(inst, req, t0);
      return outcome;
    } finally {
      inst.release();
      if (req.mode !== 'performance' || inst.dead) await this.shutdown(inst);
      else this.armIdle(inst);
    }
  }

  private armIdle(inst: Instance): void {
    if (inst.busy > 0 || inst.dead) return;
    if (inst.idleTimer) clearTimeout(inst.idleTimer);
    inst.idleTimer = setTimeout(() => {
      if (inst.busy === 0) void this.shutdown(inst);
    }, this.idleMs);
    inst.idleTimer.unref();
  }

  private warmInstance(reg: PluginRegistration): Promise<Instance> {
    let pending = this.warm.get(reg.name);
    if (!pending) {
      pending = this.startInstance(reg, reg.name);
      this.warm.set(reg.name, pending);
      pending.then(
        (inst) => void inst.exit.then(() => this.warm.get(reg.name) === pending && this.warm.delete(reg.name)),
        () => this.warm.get(reg.name) === pending && this.warm.delete(reg.name),
      );
    }
    return pending;
  }

  private async startInstance(reg: PluginRegistration, key: string): Promise<Instance> {
    const dir = join(this.options.baseDir, randomBytes(4).toString('hex'));
    const socketDir = join(dir, 's'), workDir = join(dir, 'w');
    mkdirSync(socketDir, { recursive: true, mode: 0o700 });
    mkdirSync(workDir, { recursive: true, mode: 0o700 });
    let handle: InstanceHandle | null = null;
    let client: PluginClient | null = null;
    try {
      handle = await reg.driver.start({ ...reg.spec, plugin: reg.name, socketDir, workDir });
      const exit = reg.driver.wait(handle);
      client = new PluginClient(handle.socketPath);
      await client.waitReady(this.startTimeoutMs, exit);
      const info = await client.info();
      if (info.protocol !== PLUGIN_PROTOCOL) throw new Error(`it speaks ${JSON.stringify(info.protocol)}, not ${PLUGIN_PROTOCOL}`);
      if (reg.init) {
        const initDir = join(workDir, 'init');
        openDir(initDir);
        await client.init({ paramsJson: JSON.stringify(reg.init.params), inputs: stageInputs(reg.init.inputs ?? [], initDir) }, this.initTimeoutMs);
      }
      const inst = new Instance(key, reg, handle, client, exit, info, dir);
      this.live.add(inst);
      void exit.then(() => (inst.dead = true));
      return inst;
    } catch (err) {
      client?.close();
      if (handle) await reg.driver.destroy(handle).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private async shutdown(inst: Instance): Promise<void> {
    if (!this.live.delete(inst)) return;
    if (inst.idleTimer) clearTimeout(inst.idleTimer);
    if (this.warm.has(inst.key)) {
      const pending = this.warm.get(inst.key)!;
      if ((await pending.catch(() => null)) === inst) this.warm.delete(inst.key);
    }
    if (!inst.dead) await inst.client.stop('', this.stopGraceMs).catch(() => {});
    const exited = await within(inst.exit.then(() => true), this.stopGraceMs, false);
    if (!exited) await inst.reg.driver.stop(inst.handle, 1000).catch(() => {});
    await inst.reg.driver.destroy(inst.handle).catch(() => {});
    inst.client.close();
    rmSync(inst.dir, { recursive: true, force: true });
  }

  private stage(inst: Instance, req: TaskRequest): { inputs: PluginInput[]; outputDir: string; taskDir: string } {
    const taskDir = join(inst.handle.workDir, 't', req.taskId.replace(/[^A-Za-z0-9_.-]/g, '_'));
    const inDir = join(taskDir, 'in'), outputDir = join(taskDir, 'out');
    // The plugin may run as another user (nobody, in a container): it must read `in` and write `out`.
    for (const d of [join(inst.handle.workDir, 't'), taskDir, inDir, outputDir]) openDir(d);
    const inputs = stageInputs(req.inputs, inDir);
    return { inputs, outputDir, taskDir };
  }

  private async execute(inst: Instance, req: TaskRequest, t0: number): Promise<TaskOutcome> {
    const ended = (status: 'failed' | 'timeout' | 'crashed' | 'cancelled', code: string, reason: string, forced = false): TaskOutcome => ({
      status,
      code,
      reason,
      forced,
      wallMs: Date.now() - t0,
    });
    let staged: ReturnType<PluginHost['stage']>;
    try {
      staged = this.stage(inst, req);
    } catch (err) {
      return ended('failed', 'GAL_ERR_PLUGIN_INPUT', `could not stage the inputs: ${(err as Error).message}`);
    }
    const call = inst.client.start(
      { taskId: req.taskId, taskType: req.taskType, inputs: staged.inputs, paramsJson: JSON.stringify(req.params), deadlineMs: req.deadlineMs, outputDir: staged.outputDir },
      (fraction, message) => req.onProgress?.(fraction, message),
    );
    type Ending = { kind: 'end'; end: StartEnd } | { kind: 'exit'; exit: ExitStatus } | { kind: 'stop'; why: 'timeout' | 'cancelled' };
    let stopWhy: ((why: 'timeout' | 'cancelled') => void) | null = null;
    const stopRequested = new Promise<Ending>((resolve) => (stopWhy = (why) => resolve({ kind: 'stop', why })));
    const timer = req.deadlineMs ? setTimeout(() => stopWhy!('timeout'), Math.max(0, req.deadlineMs - Date.now())) : null;
    const onAbort = () => stopWhy!('cancelled');
    if (req.signal?.aborted) onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const first = await Promise.race<Ending>([
        call.done.then((end) => ({ kind: 'end', end })),
        inst.exit.then((exit) => ({ kind: 'exit', exit })),
        stopRequested,
      ]);
      if (first.kind === 'stop') {
        const code = first.why === 'timeout' ? 'GAL_ERR_PLUGIN_TIMEOUT' : 'GAL_ERR_CANCELLED';
        const what = first.why === 'timeout' ? 'no result by the deadline' : 'cancelled';
        await inst.client.stop(req.taskId, this.stopGraceMs).catch(() => {});
        const honoured = await within(Promise.race([call.done.then(() => true), inst.exit.then(() => false)]), this.stopGraceMs, false);
        if (honoured) return ended(first.why, code, what);
        // It ignored Stop: kill the instance, which frees the slot for good.
        call.cancel();
        inst.dead = true;
        await inst.reg.driver.destroy(inst.handle).catch(() => {});
        return ended(first.why, code, `${what}; the plugin ignored Stop for ${this.stopGraceMs} ms and was killed`, true);
      }
      if (first.kind === 'exit') {
        call.cancel();
        return ended('crashed', 'GAL_ERR_PLUGIN_CRASHED', `plugin ${inst.reg.name} ${describeExit(first.exit)} during the task`);
      }
      const end = first.end;
      if ('result' in end) return this.collect(end.result, staged.outputDir, t0);
      if ('error' in end) return ended('failed', end.error.code || 'GAL_ERR_PLUGIN', end.error.message);
      // A broken stream: say why, if the instance died with it.
      const exit = await within(inst.exit, 500, null);
      return ended('crashed', 'GAL_ERR_PLUGIN_CRASHED', exit ? `plugin ${inst.reg.name} ${describeExit(exit)} during the task` : `the task's stream broke: ${end.broken}`);
    } finally {
      if (timer) clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      rmSync(staged.taskDir, { recursive: true, force: true });
    }
  }

  private collect(result: { outputs: { name: string; path?: string; data?: Uint8Array }[]; metrics: Record<string, number> }, outputDir: string, t0: number): TaskOutcome {
    const outputs: { name: string; data: Buffer }[] = [];
    const refused = (reason: string): TaskOutcome => ({ status: 'failed', code: 'GAL_ERR_PLUGIN_OUTPUT', reason, forced: false, wallMs: Date.now() - t0 });
    const root = realpathSync(outputDir);
    for (const o of result.outputs) {
      if (o.path) {
        let real: string;
        try {
          real = realpathSync(isAbsolute(o.path) ? o.path : resolve(outputDir, o.path));
        } catch {
          return refused(`output ${o.name}: ${o.path} does not exist`);
        }
        const rel = relative(root, real);
        if (rel.startsWith('..') || isAbsolute(rel)) return refused(`output ${o.name}: ${o.path} is outside the task's output directory`);
        // Read only regular files of a bounded size: a FIFO would block the agent, a device would never end.
        const stat = statSync(real);
        if (!stat.isFile()) return refused(`output ${o.name}: ${o.path} is not a regular file`);
        if (stat.size > MAX_OUTPUT_BYTES) return refused(`output ${o.name}: ${o.path} has ${stat.size} bytes, more than the ${MAX_OUTPUT_BYTES} an output may have`);
        outputs.push({ name: o.name, data: readFileSync(real) });
      } else outputs.push({ name: o.name, data: Buffer.from(o.data ?? []) });
    }
    return { status: 'done', outputs, metrics: result.metrics, wallMs: Date.now() - t0 };
  }

  /** Stops every instance. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live].map((i) => this.shutdown(i)));
  }
}

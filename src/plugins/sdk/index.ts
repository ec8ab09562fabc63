/**
 * The plugin SDK for TypeScript authors: `servePlugin({ info, init, prove })`
 * serves proto/prover_plugin.proto on the socket the host names in
 * GALACTIC_PLUGIN_SOCKET, turns Stop into an AbortSignal, streams progress,
 * and shuts down cleanly on Stop or SIGTERM.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GalacticError, invalidArgument } from '../../errors.js';
import {
  PLUGIN_PROTOCOL,
  SOCKET_ENV,
  pluginService,
  type InitRequest,
  type PluginInfo,
  type PluginInput,
  type PluginOutput,
  type StartRequest,
  type TaskEvent,
} from '../proto.js';

export type { PluginInput, PluginOutput };

export interface ProveContext {
  taskId: string;
  taskType: string;
  inputs: PluginInput[];
  params: Record<string, unknown>;
  /** Epoch ms; 0 when none. */
  deadlineMs: number;
  outputDir: string;
  /** Aborted when the host stops this task or the plugin shuts down. */
  signal: AbortSignal;
  progress(fraction: number, message?: string): void;
}

export interface PluginDefinition {
  info: Pick<PluginInfo, 'name' | 'version' | 'taskTypes'> & Partial<Omit<PluginInfo, 'protocol'>>;
  /** Loads parameters and keys; called again only when they change. */
  init?(params: Record<string, unknown>, inputs: PluginInput[]): Promise<void> | void;
  prove(ctx: ProveContext): Promise<{ outputs: PluginOutput[]; metrics?: Record<string, number> }>;
}

/** An error a plugin throws to end a task with its own code. */
export class PluginError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const parseParams = (json: string): Record<string, unknown> => {
  if (!json) return {};
  const value = JSON.parse(json);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new PluginError('GAL_ERR_INVALID_INPUT', 'params must be a JSON object');
  return value as Record<string, unknown>;
};

export interface ServedPlugin {
  socketPath: string;
  /** Stops every task and the server. */
  close(): Promise<void>;
}

export async function servePlugin(def: PluginDefinition, options: { socketPath?: string; exitOnShutdown?: boolean } = {}): Promise<ServedPlugin> {
  if (!def || typeof def !== 'object' || typeof def.prove !== 'function') throw invalidArgument('a plugin definition with a prove function', 'definition', def);
  if (typeof def.info?.name !== 'string' || typeof def.info.version !== 'string' || !Array.isArray(def.info.taskTypes))
    throw invalidArgument('info with a name, a version and taskTypes', 'definition.info', def.info);
  const socketPath = options.socketPath ?? process.env[SOCKET_ENV];
  if (!socketPath) throw new GalacticError('GAL_ERR_CONFIG', `Expected the socket path in ${SOCKET_ENV} (the host sets it) but it is not set`);
  const exitOnShutdown = options.exitOnShutdown ?? true;
  const info: PluginInfo = {
    modes: ['efficient', 'performance'],
    resources: { minCores: 1, minMemoryMb: 0, gpus: 0 },
    maxConcurrentTasks: 1,
    ...def.info,
    protocol: PLUGIN_PROTOCOL,
  };
  const running = new Map<string, AbortController>();
  let loaded: string | null = null;
  let shuttingDown = false;

  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  server.addService(pluginService().service, {
    Info: (_call: unknown, cb: grpc.sendUnaryData<PluginInfo>) => cb(null, info),
    Init: async (call: grpc.ServerUnaryCall<InitRequest, unknown>, cb: grpc.sendUnaryData<{ loaded: boolean }>) => {
      const key = JSON.stringify(call.request);
      if (key === loaded) return cb(null, { loaded: false });
      try {
        await def.init?.(parseParams(call.request.paramsJson), call.request.inputs);
        loaded = key;
        cb(null, { loaded: true });
      } catch (err) {
        cb({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message });
      }
    },
    Start: (call: grpc.ServerWritableStream<StartRequest, TaskEvent>) => void runTask(call),
    Stop: (call: grpc.ServerUnaryCall<{ taskId: string; graceMs: number }, unknown>, cb: grpc.sendUnaryData<{ stopping: boolean }>) => {
      const { taskId, graceMs } = call.request;
      if (taskId) {
        const task = running.get(taskId);
        task?.abort();
        return cb(null, { stopping: task !== undefined });
      }
      cb(null, { stopping: true });
      void shutdown(graceMs || 5000);
    },
    Health: (_call: unknown, cb: grpc.sendUnaryData<{ ready: boolean; initialized: boolean; running: string[] }>) =>
      cb(null, { ready: !shuttingDown, initialized: loaded !== null, running: [...running.keys()] }),
  });

  async function runTask(call: grpc.ServerWritableStream<StartRequest, TaskEvent>): Promise<void> {
    const req = call.request;
    const end = (event: TaskEvent) => {
      if (!call.writableEnded) {
        call.write(event);
        call.end();
      }
    };
    if (shuttingDown) return end({ error: { code: 'GAL_ERR_CANCELLED', message: 'the plugin is shutting down' } });
    if (running.has(req.taskId)) return end({ error: { code: 'GAL_ERR_INVALID_INPUT', message: `task ${req.taskId} is already running` } });
    const abort = new AbortController();
    running.set(req.taskId, abort);
    call.on('cancelled', () => abort.abort());
    try {
      const result = await def.prove({
        taskId: req.taskId,
        taskType: req.taskType,
        inputs: req.inputs,
        params: parseParams(req.paramsJson),
        deadlineMs: req.deadlineMs,
        outputDir: req.outputDir,
        signal: abort.signal,
        progress: (fraction, message = '') => {
          if (!call.writableEnded) call.write({ progress: { fraction: Math.min(1, Math.max(0, fraction)), message } });
        },
      });
      end({ result: { outputs: result.outputs, metrics: result.metrics ?? {} } });
    } catch (err) {
      const code = abort.signal.aborted ? 'GAL_ERR_CANCELLED' : err instanceof PluginError ? err.code : 'GAL_ERR_PLUGIN';
      end({ error: { code, message: (err as Error)?.message ?? String(err) } });
    } finally {
      running.delete(req.taskId);
    }
  }

  async function shutdown(graceMs: number): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const task of running.values()) task.abort();
    const deadline = Date.now() + graceMs;
    while (running.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // tryShutdown lets answers in flight (the Stop reply) go out, but would also wait for the
    // host to hang up its connection; after a moment, close regardless.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => (server.forceShutdown(), resolve()), 100);
      server.tryShutdown(() => (clearTimeout(timer), resolve()));
    });
    rmSync(socketPath!, { force: true });
    if (exitOnShutdown) process.exit(0);
  }

  mkdirSync(dirname(socketPath), { recursive: true });
  rmSync(socketPath, { force: true }); // a stale socket from a previous run
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  process.once('SIGTERM', () => void shutdown(5000));
  // Orphaned (the host died without stopping us): nobody will collect our work.
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) void shutdown(1000);
  }, 1000);
  watch.unref();
  return {
    socketPath,
    close: () => shutdown(1000),
  };
}

/** The plugin RPC contract (proto/prover_plugin.proto), loaded once, typed for both ends. */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PLUGIN_PROTOCOL = 'galactic-plugin/1';
export const SOCKET_ENV = 'GALACTIC_PLUGIN_SOCKET';
export const WORKDIR_ENV = 'GALACTIC_PLUGIN_WORKDIR';
export const PROTO_PATH = fileURLToPath(new URL('../../proto/prover_plugin.proto', import.meta.url));

export interface PluginInput {
  name: string;
  path?: string;
  data?: Uint8Array;
  sha256?: string;
}
export interface PluginInfo {
  name: string;
  version: string;
  taskTypes: string[];
  modes: string[];
  resources: { minCores: number; minMemoryMb: number; gpus: number };
  maxConcurrentTasks: number;
  protocol: string;
}
export interface InitRequest {
  paramsJson: string;
  inputs: PluginInput[];
}
export interface StartRequest {
  taskId: string;
  taskType: string;
  inputs: PluginInput[];
  paramsJson: string;
  deadlineMs: number;
  outputDir: string;
}
export interface PluginOutput {
  name: string;
  path?: string;
  data?: Uint8Array;
}
export type TaskEvent =
  | { progress: { fraction: number; message: string } }
  | { result: { outputs: PluginOutput[]; metrics: Record<string, number> } }
  | { error: { code: string; message: string } };
export interface HealthResponse {
  ready: boolean;
  initialized: boolean;
  running: string[];
}

let cached: grpc.ServiceClientConstructor | null = null;

/** The ProverPlugin service definition (client constructor; `.service` for servers). */
export function pluginService(): grpc.ServiceClientConstructor {
  if (cached) return cached;
  const definition = protoLoader.loadSync(PROTO_PATH, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { galactic: { plugin: { v1: { ProverPlugin: grpc.ServiceClientConstructor } } } };
  return (cached = pkg.galactic.plugin.v1.ProverPlugin);
}

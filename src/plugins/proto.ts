/**
 * The plugin RPC contract (proto/prover_plugin.proto), typed for both ends:
 * its messages as field tables for the wire codec (codec.ts), and the
 * ProverPlugin service built from them.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, type FieldSpec, type MessageSpec } from './codec.js';

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

// The messages of proto/prover_plugin.proto, field for field
// (test/unit/plugin-codec.test.ts checks these tables against the file).
const message = (name: string, ...fields: FieldSpec[]): MessageSpec => ({ name, fields });
const Empty = message('Empty');
const Resources = message(
  'Resources',
  { no: 1, name: 'minCores', type: 'uint32' },
  { no: 2, name: 'minMemoryMb', type: 'uint64' },
  { no: 3, name: 'gpus', type: 'uint32' },
);
const Input = message(
  'Input',
  { no: 1, name: 'name', type: 'string' },
  { no: 2, name: 'path', type: 'string', oneof: 'source' },
  { no: 3, name: 'data', type: 'bytes', oneof: 'source' },
  { no: 4, name: 'sha256', type: 'string' },
);
const Output = message(
  'Output',
  { no: 1, name: 'name', type: 'string' },
  { no: 2, name: 'path', type: 'string', oneof: 'content' },
  { no: 3, name: 'data', type: 'bytes', oneof: 'content' },
);
export const pluginMessages = {
  InfoRequest: Empty,
  InfoResponse: message(
    'InfoResponse',
    { no: 1, name: 'name', type: 'string' },
    { no: 2, name: 'version', type: 'string' },
    { no: 3, name: 'taskTypes', type: 'string', repeated: true },
    { no: 4, name: 'modes', type: 'string', repeated: true },
    { no: 5, name: 'resources', type: Resources },
    { no: 6, name: 'maxConcurrentTasks', type: 'uint32' },
    { no: 7, name: 'protocol', type: 'string' },
  ),
  Resources,
  Input,
  InitRequest: message('InitRequest', { no: 1, name: 'paramsJson', type: 'string' }, { no: 2, name: 'inputs', type: Input, repeated: true }),
  InitResponse: message('InitResponse', { no: 1, name: 'loaded', type: 'bool' }),
  StartRequest: message(
    'StartRequest',
    { no: 1, name: 'taskId', type: 'string' },
    { no: 2, name: 'taskType', type: 'string' },
    { no: 3, name: 'inputs', type: Input, repeated: true },
    { no: 4, name: 'paramsJson', type: 'string' },
    { no: 5, name: 'deadlineMs', type: 'int64' },
    { no: 6, name: 'outputDir', type: 'string' },
  ),
  TaskEvent: message(
    'TaskEvent',
    { no: 1, name: 'progress', type: message('Progress', { no: 1, name: 'fraction', type: 'double' }, { no: 2, name: 'message', type: 'string' }), oneof: 'event' },
    {
      no: 2,
      name: 'result',
      type: message('Result', { no: 1, name: 'outputs', type: Output, repeated: true }, { no: 2, name: 'metrics', type: 'map<string,double>' }),
      oneof: 'event',
    },
    { no: 3, name: 'error', type: message('TaskError', { no: 1, name: 'code', type: 'string' }, { no: 2, name: 'message', type: 'string' }), oneof: 'event' },
  ),
  Output,
  StopRequest: message('StopRequest', { no: 1, name: 'taskId', type: 'string' }, { no: 2, name: 'graceMs', type: 'uint32' }),
  StopResponse: message('StopResponse', { no: 1, name: 'stopping', type: 'bool' }),
  HealthRequest: Empty,
  HealthResponse: message(
    'HealthResponse',
    { no: 1, name: 'ready', type: 'bool' },
    { no: 2, name: 'initialized', type: 'bool' },
    { no: 3, name: 'running', type: 'string', repeated: true },
  ),
};

function method(name: string, request: MessageSpec, response: MessageSpec, responseStream = false) {
  return {
    path: `/galactic.plugin.v1.ProverPlugin/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: (value: unknown) => encodeMessage(request, value),
    requestDeserialize: (bytes: Buffer) => decodeMessage(request, bytes),
    responseSerialize: (value: unknown) => encodeMessage(response, value),
    responseDeserialize: (bytes: Buffer) => decodeMessage(response, bytes),
  };
}

let cached: grpc.ServiceClientConstructor | null = null;

/** The ProverPlugin service (client constructor; `.service` for servers). */
export function pluginService(): grpc.ServiceClientConstructor {
  const m = pluginMessages;
  return (cached ??= grpc.makeGenericClientConstructor(
    {
      Info: method('Info', m.InfoRequest, m.InfoResponse),
      Init: method('Init', m.InitRequest, m.InitResponse),
      Start: method('Start', m.StartRequest, m.TaskEvent, true),
      Stop: method('Stop', m.StopRequest, m.StopResponse),
      Health: method('Health', m.HealthRequest, m.HealthResponse),
    },
    'ProverPlugin',
  ));
}

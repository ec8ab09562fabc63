// The plugin wire codec against protobufjs reading proto/prover_plugin.proto:
// the same field tables, and messages that decode the same in both directions.
import { randomBytes } from 'node:crypto';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type FieldSpec, type MessageSpec } from '../../src/plugins/codec.js';
import { PROTO_PATH, pluginMessages } from '../../src/plugins/proto.js';

const root = protobuf.loadSync(PROTO_PATH);
const typeOf = (name: string) => root.lookupType(`galactic.plugin.v1.${name}`);
const specs = Object.entries(pluginMessages) as [string, MessageSpec][];
// protobufjs's view of a decoded message, as @grpc/proto-loader configured it.
const toObject = (name: string, bytes: Uint8Array) =>
  typeOf(name).toObject(typeOf(name).decode(bytes), { longs: Number, defaults: true, bytes: Buffer });

// A seeded generator, so a failure names a reproducible case.
function generator(seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const strings = ['', 'a', 'zkp-singleton', 'ünïcödé ✓ 𝔽', 'x'.repeat(200)];
  const numbers: Record<string, readonly number[]> = {
    uint32: [0, 1, 127, 128, 2 ** 31, 2 ** 32 - 1],
    uint64: [0, 1, 300, 2 ** 32, 2 ** 53 - 1],
    int64: [0, 1, -1, -(2 ** 40), 1_764_000_000_000, 2 ** 53 - 1, -(2 ** 53 - 1)],
    double: [0, 0.5, 1, -2.25, 1e300, Number.MIN_VALUE, Infinity],
  };
  function scalar(type: string): unknown {
    if (type === 'string') return pick(strings);
    if (type === 'bool') return next() < 0.5;
    if (type === 'bytes') return next() < 0.2 ? Buffer.alloc(0) : randomBytes(Math.floor(next() * 3000));
    return pick(numbers[type]!);
  }
  function value(field: FieldSpec): unknown {
    const one = () => (typeof field.type === 'object' ? message(field.type) : scalar(field.type));
    if (field.type === 'map<string,double>') return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, (_, i) => [`m${i}`, scalar('double')]));
    return field.repeated ? Array.from({ length: Math.floor(next() * 4) }, one) : one();
  }
  function message(spec: MessageSpec): Record<string, unknown> {
    const msg: Record<string, unknown> = {};
    const groups = new Set(spec.fields.filter((f) => f.oneof).map((f) => f.oneof));
    for (const group of groups) {
      const members = spec.fields.filter((f) => f.oneof === group);
      const chosen = pick([...members, null]);
      if (chosen) msg[chosen.name] = value(chosen);
    }
    for (const f of spec.fields) if (!f.oneof && next() < 0.8) msg[f.name] = value(f);
    return msg;
  }
  return { message };
}

// What a decoder gives back for `msg`: defaults filled in, oneof members only when set.
function withDefaults(spec: MessageSpec, msg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const v = msg[f.name];
    if (f.oneof) {
      if (v !== undefined) out[f.name] = typeof f.type === 'object' ? withDefaults(f.type, v as Record<string, unknown>) : v;
      continue;
    }
    if (typeof f.type === 'object') {
      const sub = f.type;
      out[f.name] = f.repeated ? ((v as Record<string, unknown>[] | undefined) ?? []).map((x) => withDefaults(sub, x)) : v ? withDefaults(sub, v as Record<string, unknown>) : null;
    } else if (f.repeated) out[f.name] = v ?? [];
    else if (f.type === 'map<string,double>') out[f.name] = v ?? {};
    else out[f.name] = v ?? ({ string: '', bool: false, bytes: Buffer.alloc(0) } as Record<string, unknown>)[f.type] ?? 0;
  }
  return out;
}

describe('plugin wire codec', () => {
  it('has the field tables of proto/prover_plugin.proto', () => {
    const describeSpec = (spec: MessageSpec) =>
      spec.fields.map((f) => [f.no, f.name, typeof f.type === 'object' ? f.type.name : f.type, f.repeated ?? false, f.oneof ?? null]);
    const describeProto = (type: protobuf.Type) =>
      type.fieldsArray.map((f) => [
        f.id,
        f.name,
        f.map ? `map<${(f as protobuf.MapField).keyType},${f.type}>` : f.type.replace(/^(InfoRequest|HealthRequest)$/, 'Empty'),
        f.repeated,
        f.partOf?.name ?? null,
      ]);
    for (const [name, spec] of specs) {
      const type = typeOf(name);
      expect(describeSpec(spec), name).toEqual(describeProto(type));
      for (const f of spec.fields) if (typeof f.type === 'object') expect(describeSpec(f.type), `${name}.${f.name}`).toEqual(describeProto(type.get(f.name)!.resolve().resolvedType as protobuf.Type));
    }
    const services = root.lookupService('galactic.plugin.v1.ProverPlugin').methodsArray.map((m) => [m.name, m.requestType, m.responseType, !!m.responseStream]);
    expect(services).toEqual([
      ['Info', 'InfoRequest', 'InfoResponse', false],
      ['Init', 'InitRequest', 'InitResponse', false],
      ['Start', 'StartRequest', 'TaskEvent', true],
      ['Stop', 'StopRequest', 'StopResponse', false],
      ['Health', 'HealthRequest', 'HealthResponse', false],
    ]);
  });

  it('encodes what protobufjs decodes, and decodes what protobufjs encodes, for random messages', () => {
    const gen = generator(20261127);
    for (let round = 0; round < 60; round++)
      for (const [name, spec] of specs) {
        const msg = gen.message(spec);
        const ours = encodeMessage(spec, msg);
        const expected = withDefaults(spec, msg);
        expect(toObject(name, ours), `${name}, round ${round}`).toEqual(expected);
        const theirs = typeOf(name).encode(typeOf(name).fromObject(msg)).finish();
        expect(decodeMessage(spec, Buffer.from(theirs)), `${name}, round ${round}`).toEqual(expected);
      }
  });

  it('writes the bytes protobufjs writes when no field holds a default', () => {
    const msg = {
      taskId: 't-1',
      taskType: 'zkp-singleton',
      inputs: [{ name: 'w', data: Buffer.from([0, 1, 2]) }, { name: 'k', path: 'key.zkey', sha256: 'ab'.repeat(32) }],
      paramsJson: '{"a":1}',
      deadlineMs: -5,
      outputDir: 'out/t-1',
    };
    const theirs = typeOf('StartRequest').encode(typeOf('StartRequest').fromObject(msg)).finish();
    expect(encodeMessage(pluginMessages.StartRequest, msg).toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
    const event = { result: { outputs: [{ name: 'proof', data: Buffer.from('{}') }], metrics: { proveMs: 77.25, constraints: 16000 } } };
    const theirEvent = typeOf('TaskEvent').encode(typeOf('TaskEvent').fromObject(event)).finish();
    expect(encodeMessage(pluginMessages.TaskEvent, event).toString('hex')).toBe(Buffer.from(theirEvent).toString('hex'));
  });

  it('keeps an empty oneof member, leaves out proto3 defaults elsewhere', () => {
    const bytes = encodeMessage(pluginMessages.Input, { name: '', data: Buffer.alloc(0), sha256: '' });
    expect(bytes.toString('hex')).toBe('1a00');
    expect(decodeMessage(pluginMessages.Input, bytes)).toEqual({ name: '', data: Buffer.alloc(0), sha256: '' });
    expect(encodeMessage(pluginMessages.HealthResponse, { ready: false, initialized: false, running: [''] }).toString('hex')).toBe('1a00');
  });

  it('skips fields it does not know, takes the last oneof member, merges a sub-message sent twice, keeps any map key', () => {
    const unknown = Buffer.from([0x48, 0x96, 0x01, 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 0x5a, 2, 0xaa, 0xbb, 0x65, 1, 2, 3, 4]); // fields 9–12, all four wire types
    const stop = Buffer.concat([unknown, encodeMessage(pluginMessages.StopRequest, { taskId: 'x', graceMs: 7 })]);
    expect(decodeMessage(pluginMessages.StopRequest, stop)).toEqual({ taskId: 'x', graceMs: 7 });

    const both = Buffer.concat([encodeMessage(pluginMessages.Input, { name: 'a', path: 'p' }), encodeMessage(pluginMessages.Input, { data: Buffer.from([9]) })]);
    expect(decodeMessage(pluginMessages.Input, both)).toEqual({ name: 'a', data: Buffer.from([9]), sha256: '' });

    const resources = Buffer.concat([
      encodeMessage(pluginMessages.InfoResponse, { resources: { minCores: 2 } }),
      encodeMessage(pluginMessages.InfoResponse, { resources: { gpus: 1 } }),
    ]);
    expect(decodeMessage<{ resources: unknown }>(pluginMessages.InfoResponse, resources).resources).toEqual({ minCores: 2, minMemoryMb: 0, gpus: 1 });

    const metrics = decodeMessage<{ result: { metrics: Record<string, number> } }>(
      pluginMessages.TaskEvent,
      Buffer.from(typeOf('TaskEvent').encode(typeOf('TaskEvent').fromObject({ result: { metrics: JSON.parse('{"__proto__": 1, "ms": 2}') } })).finish()),
    ).result.metrics;
    expect(Object.getPrototypeOf(metrics)).toBe(Object.prototype);
    expect(Object.entries(metrics)).toEqual([['__proto__', 1], ['ms', 2]]);
  });

  it('refuses malformed bytes with an error, never a wrong message', () => {
    // Cut anywhere but between two fields, a message must not decode.
    const fields = [{ taskId: 'task' }, { inputs: [{ name: 'a', data: Buffer.from('xyz') }] }, { deadlineMs: 2 ** 40 }].map((f) => encodeMessage(pluginMessages.StartRequest, f));
    const good = Buffer.concat(fields);
    const between = new Set(fields.map((_, i) => Buffer.concat(fields.slice(0, i + 1)).length));
    for (let cut = 1; cut < good.length; cut++) {
      const decode = () => decodeMessage(pluginMessages.StartRequest, good.subarray(0, cut));
      if (between.has(cut)) expect(decode, `cut at ${cut}`).not.toThrow();
      else expect(decode, `cut at ${cut}`).toThrow();
    }
    expect(() => decodeMessage(pluginMessages.StopRequest, Buffer.from([0x0b]))).toThrow(/wire type 3/); // a group: not proto3
    expect(() => decodeMessage(pluginMessages.StopRequest, Buffer.from([0x08, 0x01]))).toThrow(/StopRequest.taskId: wire type 0/);
    expect(() => decodeMessage(pluginMessages.StopRequest, Buffer.from([0x0a, 0x05, 0x61]))).toThrow(/past the message's end/);
    expect(() => decodeMessage(pluginMessages.StopRequest, Buffer.from([0x10, ...Array(10).fill(0xff), 0x01]))).toThrow(/ten bytes/);
  });

  it('names the field of the wrong type when encoding', () => {
    const enc = (msg: unknown) => () => encodeMessage(pluginMessages.TaskEvent, msg);
    expect(enc({ result: { outputs: [{ name: 'p', data: 'not bytes' }] } })).toThrow('TaskEvent.result.outputs[0].data: expected bytes (a Uint8Array), received string');
    expect(enc({ result: { outputs: {} } })).toThrow('TaskEvent.result.outputs: expected an array, received object');
    expect(enc({ result: { metrics: { ms: '3' } } })).toThrow('TaskEvent.result.metrics.ms: expected a number, received string');
    expect(enc({ progress: 5 })).toThrow('TaskEvent.progress: expected a Progress object, received number');
    expect(() => encodeMessage(pluginMessages.StartRequest, { deadlineMs: NaN })).toThrow('StartRequest.deadlineMs: expected a finite number, received number');
    expect(() => encodeMessage(pluginMessages.StartRequest, null)).toThrow('StartRequest: expected a StartRequest object, received null');
  });
});

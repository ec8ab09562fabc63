/**
 * The protocol-buffers wire format (proto3) of the plugin messages, driven by
 * field tables (proto.ts). Written out here instead of parsing the .proto at
 * run time: in efficient mode a plugin process starts for every task, and
 * loading a .proto parser and parsing the file took about 45 ms of each
 * start. Decoded messages look as @grpc/proto-loader gave them (camelCase
 * names, 64-bit integers as numbers, defaults filled in, sub-messages null
 * when absent, oneof members only when set); bytes come back as Buffers that
 * share the message's memory.
 */

export type ScalarType = 'string' | 'bytes' | 'bool' | 'uint32' | 'uint64' | 'int64' | 'double';

export interface FieldSpec {
  no: number;
  /** The camelCase name the TypeScript types use. */
  name: string;
  type: ScalarType | MessageSpec | 'map<string,double>';
  repeated?: boolean;
  /** The oneof group this field belongs to: encoded and decoded only when set. */
  oneof?: string;
}

export interface MessageSpec {
  name: string;
  fields: FieldSpec[];
}

type Message = Record<string, unknown>;

const enum Wire {
  Varint = 0,
  Fixed64 = 1,
  Delimited = 2,
  Fixed32 = 5,
}

const TWO_32 = 2 ** 32;

function wireOf(type: FieldSpec['type']): Wire {
  if (type === 'double') return Wire.Fixed64;
  if (type === 'bool' || type === 'uint32' || type === 'uint64' || type === 'int64') return Wire.Varint;
  return Wire.Delimited;
}

// ---- encoding: sizes first, then one buffer written front to back ----

/** A 64-bit varint as two 32-bit halves: negative int64s take ten bytes. */
function splitVarint(type: ScalarType, value: number): [number, number] {
  if (type === 'uint32') return [value >>> 0, 0];
  const n = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  return [Number(n & 0xffffffffn), Number(n >> 32n)];
}

function varintSize(lo: number, hi = 0): number {
  if (hi === 0) return lo < 2 ** 7 ? 1 : lo < 2 ** 14 ? 2 : lo < 2 ** 21 ? 3 : lo < 2 ** 28 ? 4 : 5;
  return Math.ceil((64 - Math.clz32(hi)) / 7);
}

function fail(where: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  throw new TypeError(`${where}: expected ${expected}, received ${got}`);
}

function checkScalar(where: string, type: ScalarType, value: unknown): void {
  switch (type) {
    case 'string':
    case 'bool':
      if (typeof value !== (type === 'bool' ? 'boolean' : 'string')) fail(where, `a ${type}`, value);
      return;
    case 'bytes':
      if (!(value instanceof Uint8Array)) fail(where, 'bytes (a Uint8Array)', value);
      return;
    case 'double':
      if (typeof value !== 'number') fail(where, 'a number', value);
      return;
    default:
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(where, 'a finite number', value);
  }
}

/** Whether proto3 leaves the value out (a default, outside a oneof). */
function isDefault(type: ScalarType, value: unknown): boolean {
  if (type === 'string') return value === '';
  if (type === 'bytes') return (value as Uint8Array).length === 0;
  if (type === 'bool') return value === false;
  return value === 0;
}

function scalarSize(type: ScalarType, value: unknown): number {
  switch (type) {
    case 'string': {
      const n = Buffer.byteLength(value as string);
      return varintSize(n) + n;
    }
    case 'bytes': {
      const n = (value as Uint8Array).length;
      return varintSize(n) + n;
    }
    case 'bool':
      return 1;
    case 'double':
      return 8;
    default:
      return varintSize(...splitVarint(type, value as number));
  }
}

/** The entries a field encodes: its elements, its map entries, or the value itself. */
function occurrences(field: FieldSpec, value: unknown, where: string): unknown[] {
  if (field.type === 'map<string,double>') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'an object', value);
    return Object.entries(value as Message);
  }
  if (field.repeated) {
    if (!Array.isArray(value)) fail(where, 'an array', value);
    return value;
  }
  return [value];
}

const MAP_ENTRY: MessageSpec = {
  name: 'MapEntry',
  fields: [
    { no: 1, name: 'key', type: 'string' },
    { no: 2, name: 'value', type: 'double' },
  ],
};

/** A map<string, double> entry as the message the wire carries. */
function mapEntry(item: unknown, where: string): Message {
  const [key, value] = item as [string, unknown];
  checkScalar(`${where}.${key}`, 'double', value);
  return { key, value };
}

/**
 * The encoded size of `msg`, checking each field's type on the way; the sizes
 * of its sub-messages go into `sizes` for the write pass.
 */
function messageSize(spec: MessageSpec, msg: unknown, where: string, sizes: Map<object, number>): number {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) fail(where, `a ${spec.name} object`, msg);
  let total = 0;
  for (const field of spec.fields) {
    const value = (msg as Message)[field.name];
    if (value === undefined || value === null) continue;
    const at = `${where}.${field.name}`;
    const tag = varintSize(field.no * 8);
    for (const [i, item] of occurrences(field, value, at).entries()) {
      const itemAt = field.repeated ? `${at}[${i}]` : at;
      if (field.type === 'map<string,double>') {
        total += tag + delimitedSize(messageSize(MAP_ENTRY, mapEntry(item, at), at, sizes));
      } else if (typeof field.type === 'object') {
        total += tag + delimitedSize(messageSize(field.type, item, itemAt, sizes));
      } else {
        checkScalar(itemAt, field.type, item);
        if (!field.repeated && !field.oneof && isDefault(field.type, item)) continue;
        total += tag + scalarSize(field.type, item);
      }
    }
  }
  sizes.set(msg as object, total);
  return total;
}

const delimitedSize = (n: number) => varintSize(n) + n;

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(lo: number, hi = 0): void {
    const buf = this.buf;
    while (hi !== 0 || lo >= 0x80) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[this.pos++] = lo;
  }

  scalar(type: ScalarType, value: unknown): void {
    switch (type) {
      case 'string':
        this.varint(Buffer.byteLength(value as string));
        this.pos += this.buf.write(value as string, this.pos);
        return;
      case 'bytes':
        this.varint((value as Uint8Array).length);
        this.buf.set(value as Uint8Array, this.pos);
        this.pos += (value as Uint8Array).length;
        return;
      case 'bool':
        this.buf[this.pos++] = value ? 1 : 0;
        return;
      case 'double':
        this.buf.writeDoubleLE(value as number, this.pos);
        this.pos += 8;
        return;
      default:
        this.varint(...splitVarint(type, value as number));
    }
  }

  message(spec: MessageSpec, msg: Message, sizes: Map<object, number>): void {
    for (const field of spec.fields) {
      const value = msg[field.name];
      if (value === undefined || value === null) continue;
      const tag = field.no * 8 + wireOf(field.type);
      for (const item of occurrences(field, value, '')) {
        if (typeof field.type === 'object' || field.type === 'map<string,double>') {
          const [sub, subMsg] = field.type === 'map<string,double>' ? [MAP_ENTRY, mapEntry(item, '')] : [field.type, item as Message];
          this.varint(tag);
          this.varint(sizes.get(subMsg) ?? messageSize(sub, subMsg, '', sizes));
          this.message(sub, subMsg, sizes);
        } else {
          if (!field.repeated && !field.oneof && isDefault(field.type, item)) continue;
          this.varint(tag);
          this.scalar(field.type, item);
        }
      }
    }
  }
}

/** Encodes `msg`; throws a TypeError naming the first field of the wrong type. */
export function encodeMessage(spec: MessageSpec, msg: unknown): Buffer {
  const sizes = new Map<object, number>();
  const size = messageSize(spec, msg, spec.name, sizes);
  const writer = new Writer(Buffer.allocUnsafe(size));
  writer.message(spec, msg as Message, sizes);
  if (writer.pos !== size) throw new Error(`${spec.name}: encoded ${writer.pos} bytes, expected ${size}`);
  return writer.buf;
}

// ---- decoding ----

class Reader {
  pos = 0;
  readonly end: number;
  constructor(readonly buf: Buffer) {
    this.end = buf.length;
  }

  /** A varint as [low 32 bits, high 32 bits]. */
  varint(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new Error('varint longer than ten bytes');
  }

  uint(): number {
    const [lo, hi] = this.varint();
    return hi * TWO_32 + lo;
  }

  take(n: number): Buffer {
    if (n > this.end - this.pos) throw new Error(`length ${n} runs past the message's end`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A length-delimited sub-message: its own reader, and this one moved past it. */
  sub(): Reader {
    const bytes = this.take(this.uint());
    return new Reader(bytes);
  }

  skip(wire: number): void {
    if (wire === Wire.Varint) this.varint();
    else if (wire === Wire.Fixed64) this.take(8);
    else if (wire === Wire.Delimited) this.take(this.uint());
    else if (wire === Wire.Fixed32) this.take(4);
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function defaults(spec: MessageSpec): Message {
  const msg: Message = {};
  for (const f of spec.fields) {
    if (f.oneof) continue;
    if (f.repeated) msg[f.name] = [];
    else if (f.type === 'map<string,double>') msg[f.name] = {};
    else if (typeof f.type === 'object') msg[f.name] = null;
    else if (f.type === 'string') msg[f.name] = '';
    else if (f.type === 'bytes') msg[f.name] = Buffer.alloc(0);
    else if (f.type === 'bool') msg[f.name] = false;
    else msg[f.name] = 0;
  }
  return msg;
}

function readScalar(r: Reader, type: ScalarType): unknown {
  switch (type) {
    case 'string':
      return r.take(r.uint()).toString('utf8');
    case 'bytes':
      return r.take(r.uint());
    case 'bool': {
      const [lo, hi] = r.varint();
      return lo !== 0 || hi !== 0;
    }
    case 'double':
      return r.take(8).readDoubleLE(0);
    case 'uint32':
      return r.varint()[0];
    case 'uint64':
      return r.uint();
    case 'int64': {
      const [lo, hi] = r.varint();
      return (hi | 0) * TWO_32 + lo; // two's complement: the high half carries the sign
    }
  }
}

function readMessage(spec: MessageSpec, r: Reader, into: Message): Message {
  while (r.pos < r.end) {
    const key = r.uint();
    const no = Math.floor(key / 8);
    const wire = key % 8;
    const field = spec.fields.find((f) => f.no === no);
    if (!field) {
      r.skip(wire); // a field from a newer contract
      continue;
    }
    if (wire !== wireOf(field.type)) throw new Error(`${spec.name}.${field.name}: wire type ${wire}, expected ${wireOf(field.type)}`);
    if (field.type === 'map<string,double>') {
      const entry = readMessage(MAP_ENTRY, r.sub(), defaults(MAP_ENTRY));
      // An own property even for a key like "__proto__".
      Object.defineProperty(into[field.name], entry.key as string, { value: entry.value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    let value: unknown;
    if (typeof field.type === 'object') {
      const previous = into[field.name];
      // A repeated sub-message appends; a singular one seen twice merges (proto3).
      const target = !field.repeated && previous && typeof previous === 'object' ? (previous as Message) : defaults(field.type);
      value = readMessage(field.type, r.sub(), target);
    } else value = readScalar(r, field.type);
    if (field.repeated) (into[field.name] as unknown[]).push(value);
    else {
      if (field.oneof) for (const f of spec.fields) if (f.oneof === field.oneof && f !== field) delete into[f.name];
      into[field.name] = value;
    }
  }
  return into;
}

/** Decodes one message; throws on bytes that are not a well-formed `spec`. */
export function decodeMessage<T>(spec: MessageSpec, bytes: Buffer): T {
  return readMessage(spec, new Reader(bytes), defaults(spec)) as T;
}

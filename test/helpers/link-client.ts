/**
 * A protocol-level agent for oracle tests: a real WebSocket client that
 * speaks PROTOCOL.md §2 by hand, with behaviours a test can switch (prove,
 * fail, stay silent, stop heartbeating) and every message it received kept.
 */
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import {
  DEVICE_SCHEMA_VERSION,
  PROTOCOL_VERSION,
  authPayload,
  generateIdentity,
  privateKeyObject,
  resultPayload,
  signPayload,
  type DeviceDescriptor,
  type Ed25519KeyPair,
  type OracleMessage,
  type TaskType,
} from '../../src/protocol/index.js';

type Assign = Extract<OracleMessage, { type: 'assign' }>;

export type Behaviour = 'prove' | 'fail' | 'silent' | 'manual';

export function fakeDevice(overrides: Partial<DeviceDescriptor> = {}): DeviceDescriptor {
  return {
    schema: DEVICE_SCHEMA_VERSION,
    probedAt: new Date(0).toISOString(),
    os: { platform: 'linux', distro: 'Debian', release: '12', kernel: '6.1', arch: 'x64' },
    cpu: { vendor: 'AMD', brand: 'test', physicalCores: 8, logicalCores: 16, speedGHz: { base: 3, max: 4 }, flags: ['avx2', 'adx', 'bmi2'] },
    memory: { totalMB: 32768, availableMB: 30000 },
    gpus: [],
    docker: { available: false, reason: 'test' },
    backends: [{ name: 'cpu', available: true }],
    problems: [],
    ...overrides,
  };
}

export const ALL_OPS: TaskType[] = [
  { plugin: 'groth16', ops: ['zkp-singleton', 'zkp-continuation', 'zkp-recursion-A', 'zkp-recursion-B', 'zkp-aggregation'], modes: ['efficient', 'performance'] },
];

export interface LinkClientOptions {
  name: string;
  keys?: Ed25519KeyPair;
  device?: DeviceDescriptor;
  power?: { gasPerSecond: number; kernels?: Record<string, number> };
  taskTypes?: TaskType[];
  slots?: number;
  behaviour?: Behaviour;
  /** ms to "prove" before answering. */
  proveMs?: number;
  heartbeats?: boolean;
}

export class LinkClient {
  readonly keys: Ed25519KeyPair;
  readonly received: OracleMessage[] = [];
  ws: WebSocket | null = null;
  proverId = '';
  blobToken = '';
  resume: string[] = [];
  behaviour: Behaviour;
  heartbeats: boolean;
  closeCode: number | null = null;
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private waiters: { pred: (m: OracleMessage) => boolean; resolve: (m: OracleMessage) => void }[] = [];
  readonly running = new Set<string>();
  /** Every task ever assigned to this client, by id. */
  readonly assigned = new Map<string, Assign>();

  constructor(
    private readonly oracleUrl: string,
    readonly options: LinkClientOptions,
  ) {
    this.keys = options.keys ?? generateIdentity();
    this.behaviour = options.behaviour ?? 'prove';
    this.heartbeats = options.heartbeats ?? true;
  }

  get linkUrl(): string {
    return this.oracleUrl.replace(/^http/, 'ws') + '/v1/link';
  }

  /** Opens the link and authenticates; resolves with the final handshake message (welcome or refused). */
  async connect(register = true): Promise<OracleMessage> {
    const ws = new WebSocket(this.linkUrl);
    this.ws = ws;
    this.closeCode = null;
    ws.on('message', (data) => this.onMessage(JSON.parse(data.toString()) as OracleMessage));
    ws.on('close', (code) => {
      this.closeCode = code;
      this.stopHeartbeats();
    });
    await new Promise<void>((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    this.send({ type: 'hello', protocol: PROTOCOL_VERSION, name: this.options.name, publicKey: this.keys.publicKey.toString('base64'), agentVersion: 'test' });
    const first = await this.next((m) => m.type === 'challenge' || m.type === 'refused');
    if (first.type !== 'challenge') return first;
    const signature = signPayload(authPayload(first.oracleId, first.nonce, this.options.name), privateKeyObject(this.keys.privateKey));
    this.send({ type: 'auth', signature });
    const second = await this.next((m) => m.type === 'welcome' || m.type === 'refused');
    if (second.type !== 'welcome') return second;
    this.proverId = second.proverId;
    this.blobToken = second.blobToken;
    this.resume = second.resume;
    if (register) {
      this.send({
        type: 'register',
        device: this.options.device ?? fakeDevice(),
        power: this.options.power ?? { gasPerSecond: 1e9, kernels: {} },
        taskTypes: this.options.taskTypes ?? ALL_OPS,
        capacity: { slots: this.options.slots ?? 1 },
      });
      await this.next((m) => m.type === 'registered');
    }
    if (this.heartbeats) this.startHeartbeats(second.heartbeatMs);
    return second;
  }

  send(message: unknown): void {
    this.ws?.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message (already received or future) matching `pred`. */
  next(pred: (m: OracleMessage) => boolean, timeoutMs = 10_000, fromIndex = 0): Promise<OracleMessage> {
    const seen = this.received.slice(fromIndex).find(pred);
    if (seen) {
      this.received.splice(this.received.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.options.name}: no matching message in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  startHeartbeats(ms: number): void {
    this.stopHeartbeats();
    this.timer = setInterval(() => {
      if (this.heartbeats) this.send({ type: 'heartbeat', seq: this.seq++, state: this.running.size ? 'busy' : 'idle', running: [...this.running] });
    }, ms);
  }

  stopHeartbeats(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Uploads bytes as a blob with the prover's token; returns the ref. */
  async upload(bytes: Uint8Array, name = 'proof') {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const res = await fetch(`${this.oracleUrl}/v1/blobs/${sha256}`, { method: 'PUT', body: bytes, headers: { authorization: `Bearer ${this.blobToken}` } });
    if (res.status >= 300) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    return { name, sha256, size: bytes.length };
  }

  /** Sends a signed result for `task` with one output made of `content`. */
  async prove(task: Assign, content = `proof of ${task.graphId}/${task.opId}`): Promise<void> {
    await this.resultWith(task, [{ name: 'proof', data: Buffer.from(content) }]);
  }

  /** Uploads the outputs, then sends them as a signed result. */
  async resultWith(task: Assign, outputs: { name: string; data: Uint8Array }[]): Promise<void> {
    const refs = [];
    for (const o of outputs) refs.push(await this.upload(o.data, o.name));
    const signature = signPayload(resultPayload(task.taskId, task.attempt, refs), privateKeyObject(this.keys.privateKey));
    this.send({ type: 'result', taskId: task.taskId, attempt: task.attempt, outputs: refs, metrics: { wallMs: 1 }, signature });
    this.running.delete(task.taskId);
  }

  private onMessage(m: OracleMessage): void {
    const waiter = this.waiters.find((w) => w.pred(m));
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(m);
    } else this.received.push(m);
    if (m.type === 'assign') {
      this.assigned.set(m.taskId, m);
      this.onAssign(m);
    }
    if (m.type === 'cancel') {
      this.running.delete(m.taskId);
      this.send({ type: 'cancelled', taskId: m.taskId });
    }
  }

  private onAssign(task: Assign): void {
    if (this.behaviour === 'manual') return;
    this.send({ type: 'accept', taskId: task.taskId });
    this.running.add(task.taskId);
    const answer = () => {
      if (!this.running.has(task.taskId)) return;
      if (this.behaviour === 'prove') void this.prove(task).catch(() => {});
      else if (this.behaviour === 'fail') {
        this.running.delete(task.taskId);
        this.send({ type: 'fail', taskId: task.taskId, code: 'GAL_ERR_PLUGIN', reason: 'the plugin crashed' });
      }
    };
    setTimeout(answer, this.options.proveMs ?? 5);
  }

  /** Closes the socket cleanly (the oracle sees a close). */
  async close(): Promise<void> {
    this.stopHeartbeats();
    if (!this.ws || this.ws.readyState === WebSocket.CLOSED) return;
    const ws = this.ws;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
    });
  }
}

/** Polls `check` until it returns a value (not undefined/false) or the time runs out. */
export async function waitUntil<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

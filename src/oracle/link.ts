/**
 * The agent link server (`/v1/link`, PROTOCOL.md §2): handshake, validation
 * of every frame, and routing to the scheduler. A bad frame gets an `error`
 * and the link stays up; only handshake failures and refusals close it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  AgentMessageSchema,
  AuthSchema,
  CLOSE_CODES,
  HelloSchema,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  authPayload,
  publicKeyObject,
  verifyPayload,
  type Hello,
  type OracleMessage,
} from '../protocol/index.js';
import type { OracleMetrics } from './metrics.js';
import type { LinkOut, Prover, Scheduler } from './scheduler.js';

const KNOWN_TYPES: ReadonlySet<string> = new Set(AgentMessageSchema.options.map((o) => o.shape.type.value));

interface Connection {
  ws: WebSocket;
  state: 'hello' | 'auth' | 'ready';
  hello?: Hello;
  nonce?: string;
  prover?: Prover;
  fresh?: boolean;
  /** Another link took this prover over: this one's close must not disconnect it. */
  superseded?: boolean;
}

export interface LinkOptions {
  oracleId: string;
  heartbeatMs: number;
  handshakeTimeoutMs: number;
  blobToken(proverId: string): string;
  metrics: OracleMetrics;
  log(level: 'info' | 'warn', message: string, fields?: Record<string, unknown>): void;
}

export class LinkServer implements LinkOut {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  private readonly byProver = new Map<string, Connection>();
  private scheduler!: Scheduler;

  constructor(private readonly options: LinkOptions) {}

  attach(scheduler: Scheduler): void {
    this.scheduler = scheduler;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  get connections(): number {
    return this.wss.clients.size;
  }

  send(proverId: string, message: OracleMessage): void {
    const conn = this.byProver.get(proverId);
    if (conn?.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(message));
  }

  close(proverId: string, code: number, reason: string, refusal?: { code: string }): void {
    const conn = this.byProver.get(proverId);
    if (!conn) return;
    this.byProver.delete(proverId);
    conn.superseded = true;
    if (refusal) this.refuse(conn, code, refusal.code, reason);
    else conn.ws.close(code, reason.slice(0, 120));
  }

  closeAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private write(conn: Connection, message: OracleMessage): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(message));
  }

  private refuse(conn: Connection, closeCode: number, code: string, reason: string): void {
    this.options.metrics.linkRejected.inc({ code });
    this.write(conn, { type: 'refused', code, reason });
    conn.ws.close(closeCode, reason.slice(0, 120));
  }

  private error(conn: Connection, code: string, reason: string, ref?: string): void {
    this.options.metrics.linkRejected.inc({ code });
    this.write(conn, { type: 'error', code, reason: reason.slice(0, 1024), ...(ref ? { ref } : {}) });
  }

  private onConnection(ws: WebSocket): void {
    const conn: Connection = { ws, state: 'hello' };
    const timer = setTimeout(() => {
      if (conn.state !== 'ready') this.refuse(conn, 1008, 'GAL_ERR_AUTH_FAILED', 'no authentication in time');
    }, this.options.handshakeTimeoutMs);
    ws.on('message', (data, isBinary) => {
      try {
        this.onFrame(conn, data, isBinary);
      } catch (err) {
        // A scheduler bug must not take the oracle down with one agent's message.
        this.options.log('warn', 'link message failed', { error: (err as Error).stack });
        this.error(conn, 'GAL_ERR_MESSAGE_INVALID', 'the oracle could not process this message');
      }
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearTimeout(timer);
      const prover = conn.prover;
      if (conn.state === 'ready' && prover && !conn.superseded && this.byProver.get(prover.id) === conn) {
        this.byProver.delete(prover.id);
        this.scheduler.disconnected(prover);
      }
    });
  }

  private onFrame(conn: Connection, data: RawData, isBinary: boolean): void {
    if (isBinary) return this.error(conn, 'GAL_ERR_MESSAGE_INVALID', 'expected a UTF-8 JSON text frame but received a binary frame');
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return this.error(conn, 'GAL_ERR_MESSAGE_INVALID', 'expected a JSON object but the frame does not parse');
    }
    const type = message && typeof message === 'object' ? (message as { type?: unknown }).type : undefined;
    if (typeof type !== 'string') return this.error(conn, 'GAL_ERR_MESSAGE_INVALID', 'expected a JSON object with a string "type"');
    this.options.metrics.linkMessages.inc({ type: KNOWN_TYPES.has(type) || type === 'hello' || type === 'auth' ? type : 'unknown' });
    if (conn.state === 'hello') return this.onHello(conn, type, message);
    if (conn.state === 'auth') return this.onAuth(conn, type, message);
    return this.onMessage(conn, conn.prover!, type, message);
  }

  private onHello(conn: Connection, type: string, message: unknown): void {
    if (type !== 'hello') return this.refuse(conn, 1008, 'GAL_ERR_MESSAGE_INVALID', `expected hello first but received ${type}`);
    const hello = HelloSchema.safeParse(message);
    if (!hello.success) {
      const issue = hello.error.issues[0]!;
      return this.refuse(conn, 1008, 'GAL_ERR_MESSAGE_INVALID', `invalid hello: /${issue.path.join('/')} ${issue.message}`);
    }
    if (hello.data.protocol !== PROTOCOL_VERSION)
      return this.refuse(conn, CLOSE_CODES.protocolUnsupported, 'GAL_ERR_PROTOCOL_UNSUPPORTED', `this oracle speaks ${PROTOCOL_VERSION}, not ${hello.data.protocol}`);
    const verdict = this.scheduler.hello(hello.data.name, hello.data.publicKey);
    if (!verdict.ok) return this.refuse(conn, verdict.closeCode, verdict.code, verdict.reason);
    conn.hello = hello.data;
    conn.prover = verdict.prover;
    conn.fresh = verdict.fresh;
    conn.nonce = randomBytes(32).toString('base64');
    conn.state = 'auth';
    this.write(conn, { type: 'challenge', nonce: conn.nonce, oracleId: this.options.oracleId });
  }

  private onAuth(conn: Connection, type: string, message: unknown): void {
    if (type !== 'auth') return this.refuse(conn, 1008, 'GAL_ERR_MESSAGE_INVALID', `expected auth but received ${type}`);
    const auth = AuthSchema.safeParse(message);
    const hello = conn.hello!;
    const key = publicKeyObject(Buffer.from(hello.publicKey, 'base64'));
    if (!auth.success || !verifyPayload(authPayload(this.options.oracleId, conn.nonce!, hello.name), auth.data.signature, key))
      return this.refuse(conn, CLOSE_CODES.authFailed, 'GAL_ERR_AUTH_FAILED', 'the signature does not verify with the public key sent in hello');
    // The verdict may be stale (a ban, or a race for the same new name): ask again.
    const verdict = this.scheduler.hello(hello.name, hello.publicKey);
    if (!verdict.ok) return this.refuse(conn, verdict.closeCode, verdict.code, verdict.reason);
    const prover = verdict.fresh ? conn.prover! : verdict.prover;
    const previous = this.byProver.get(prover.id);
    if (previous) {
      previous.superseded = true;
      previous.ws.close(CLOSE_CODES.replaced, 'replaced by a newer link');
    }
    const resume = this.scheduler.connected(prover, verdict.fresh);
    conn.prover = prover;
    conn.state = 'ready';
    this.byProver.set(prover.id, conn);
    this.options.log('info', 'prover connected', { prover: prover.name, id: prover.id, resume: resume.length });
    this.write(conn, { type: 'welcome', proverId: prover.id, heartbeatMs: this.options.heartbeatMs, blobToken: this.options.blobToken(prover.id), resume });
  }

  private onMessage(conn: Connection, prover: Prover, type: string, message: unknown): void {
    if (!KNOWN_TYPES.has(type)) return this.error(conn, 'GAL_ERR_MESSAGE_UNKNOWN', `unknown message type ${JSON.stringify(type.slice(0, 40))}`, type.slice(0, 40));
    const parsed = AgentMessageSchema.safeParse(message);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return this.error(conn, 'GAL_ERR_MESSAGE_INVALID', `invalid ${type}: /${issue.path.join('/')} ${issue.message}`, type);
    }
    const s = this.scheduler;
    s.seen(prover);
    const m = parsed.data;
    switch (m.type) {
      case 'register':
        s.register(prover, m);
        return this.write(conn, { type: 'registered' });
      case 'heartbeat':
        return s.heartbeat(prover, m.state, m.running);
      case 'accept':
        return s.accept(prover, m.taskId);
      case 'reject':
        return s.reject(prover, m.taskId, `${m.code}: ${m.reason}`);
      case 'progress':
        return s.progress(prover, m.taskId, m.fraction);
      case 'cancelled':
        return s.cancelled(prover, m.taskId);
      case 'result':
        return void s.result(prover, m).then(
          (ack) => this.write(conn, { type: 'ack', taskId: m.taskId, ...ack }),
          (err) => this.options.log('warn', 'result handling failed', { error: (err as Error).stack }),
        );
      case 'fail':
        return this.write(conn, { type: 'ack', taskId: m.taskId, ...s.fail(prover, m.taskId, m.code, m.reason) });
      case 'error':
        return this.options.log('warn', 'agent reported an error', { prover: prover.name, code: m.code, reason: m.reason, ref: m.ref });
    }
  }
}

/**
 * The agent's end of the link (PROTOCOL.md §2): connect, authenticate,
 * keep alive with ws pings, and reconnect with capped exponential backoff
 * and jitter until a refusal that retrying cannot fix. Messages go to the
 * agent through `onMessage`; the link knows nothing of tasks.
 */
import type { KeyObject } from 'node:crypto';
import WebSocket from 'ws';
import {
  FATAL_CLOSE_CODES,
  LINK_PATH,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  authPayload,
  signPayload,
  type OracleMessage,
} from '../protocol/index.js';

export type Welcome = Extract<OracleMessage, { type: 'welcome' }>;

export interface LinkOptions {
  oracleUrl: string;
  name: string;
  publicKey: Buffer;
  privateKey: KeyObject;
  agentVersion: string;
  pingMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  onWelcome(welcome: Welcome): void;
  onMessage(message: OracleMessage): void;
  onDown(reason: string): void;
  /** A refusal the agent must not retry (banned, bad key, protocol, name taken). */
  onFatal(closeCode: number, code: string, reason: string): void;
  log(level: 'info' | 'warn' | 'debug', message: string, fields?: Record<string, unknown>): void;
}

/** Delay before reconnect attempt n (0-based): base·2^min(n, 6) plus jitter within that window, capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const window = baseMs * 2 ** Math.min(attempt, 6);
  return Math.min(maxMs, window + random() * window);
}

export class AgentLink {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private closed = false;
  up = false;
  reconnects = 0;
  lastConnectedAt: number | null = null;
  /** When the link last went down, for measuring reconnects. */
  lastDownAt: number | null = null;
  private refusal: { code: string; reason: string } | null = null;

  constructor(private readonly o: LinkOptions) {}

  get url(): string {
    return this.o.oracleUrl.replace(/^http/, 'ws').replace(/\/+$/, '') + LINK_PATH;
  }

  start(): void {
    this.connect();
  }

  send(message: object): boolean {
    if (!this.up || this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  private connect(): void {
    if (this.closed) return;
    this.refusal = null;
    const ws = new WebSocket(this.url, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: 10_000 });
    this.ws = ws;
    let alive = true;
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, name: this.o.name, publicKey: this.o.publicKey.toString('base64'), agentVersion: this.o.agentVersion }));
      // A missed pong means a dead path even when TCP has not noticed: terminate and reconnect.
      this.pingTimer = setInterval(() => {
        if (!alive) {
          this.o.log('warn', 'no pong from the oracle: terminating the link');
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      }, this.o.pingMs);
    });
    ws.on('pong', () => (alive = true));
    ws.on('message', (data) => {
      alive = true;
      let m: OracleMessage;
      try {
        m = JSON.parse(data.toString()) as OracleMessage;
      } catch {
        this.o.log('warn', 'the oracle sent a frame that is not JSON');
        return;
      }
      if (m.type === 'challenge') {
        const signature = signPayload(authPayload(m.oracleId, m.nonce, this.o.name), this.o.privateKey);
        ws.send(JSON.stringify({ type: 'auth', signature }));
      } else if (m.type === 'welcome') {
        this.up = true;
        this.attempt = 0; // a healthy connection resets the backoff
        this.lastConnectedAt = Date.now();
        this.o.onWelcome(m);
      } else if (m.type === 'refused') this.refusal = { code: m.code, reason: m.reason };
      else this.o.onMessage(m);
    });
    ws.on('error', (err) => this.o.log('debug', 'link error', { error: err.message }));
    ws.on('close', (code, reasonBuffer) => {
      if (this.pingTimer) clearInterval(this.pingTimer);
      const wasUp = this.up;
      this.up = false;
      this.ws = null;
      if (wasUp) this.lastDownAt = Date.now();
      const reason = this.refusal?.reason ?? (reasonBuffer.toString() || `close ${code}`);
      if (this.closed) return;
      if (FATAL_CLOSE_CODES.has(code)) {
        this.closed = true;
        this.o.onFatal(code, this.refusal?.code ?? 'GAL_ERR_LINK_REFUSED', reason);
        return;
      }
      if (wasUp) this.o.onDown(reason);
      const delay = backoffDelay(this.attempt++, this.o.backoffBaseMs, this.o.backoffMaxMs);
      this.o.log('info', 'link down; reconnecting', { reason, inMs: Math.round(delay), attempt: this.attempt });
      this.reconnects++;
      this.retryTimer = setTimeout(() => this.connect(), delay);
    });
  }

  /** Drops the current connection; the usual backoff brings it back. */
  drop(): void {
    this.ws?.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'agent stopping');
      setTimeout(() => (ws.terminate(), resolve()), 2000).unref();
    });
  }
}

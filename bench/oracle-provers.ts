/**
 * Simulated provers for bench/oracle.ts, in their own process: each one a
 * real WebSocket link that authenticates, registers, heartbeats and accepts
 * what it is assigned (and holds it, so capacity stays taken). Driven by the
 * parent over IPC.
 */
import WebSocket from 'ws';
import {
  DEVICE_SCHEMA_VERSION,
  PROTOCOL_VERSION,
  authPayload,
  generateIdentity,
  privateKeyObject,
  signPayload,
  type OracleMessage,
} from '../src/protocol/index.js';

const { url, count, slots, heartbeatMs } = JSON.parse(process.argv[2]!) as { url: string; count: number; slots: number; heartbeatMs: number };
const now = () => performance.timeOrigin + performance.now();

const device = {
  schema: DEVICE_SCHEMA_VERSION,
  probedAt: new Date(0).toISOString(),
  os: { platform: 'linux', distro: 'Debian', release: '12', kernel: '6.1', arch: 'x64' },
  cpu: { vendor: 'AMD', brand: 'sim', physicalCores: 16, logicalCores: 32, speedGHz: { base: 3, max: 4 }, flags: ['avx2'] },
  memory: { totalMB: 65536, availableMB: 60000 },
  gpus: [],
  docker: { available: false, reason: 'simulated' },
  backends: [{ name: 'cpu', available: true }],
  problems: [],
};
const taskTypes = [{ plugin: 'groth16', ops: ['zkp-singleton', 'zkp-continuation', 'zkp-aggregation'], modes: ['efficient'] }];

class SimProver {
  ws!: WebSocket;
  running = new Set<string>();
  silent = false;
  private seq = 0;
  constructor(readonly index: number) {}

  connect(): Promise<void> {
    const keys = generateIdentity();
    const name = `sim-${this.index}`;
    const ws = (this.ws = new WebSocket(url));
    return new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, name, publicKey: keys.publicKey.toString('base64') })));
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as OracleMessage;
        if (m.type === 'challenge') ws.send(JSON.stringify({ type: 'auth', signature: signPayload(authPayload(m.oracleId, m.nonce, name), privateKeyObject(keys.privateKey)) }));
        else if (m.type === 'welcome') {
          // Each prover a little different, so matching has something to choose.
          const gasPerSecond = 1e9 * (1 + (this.index % 97) / 10);
          ws.send(JSON.stringify({ type: 'register', device, power: { gasPerSecond, kernels: {} }, taskTypes, capacity: { slots } }));
        } else if (m.type === 'registered') {
          setTimeout(() => setInterval(() => this.beat(), heartbeatMs), Math.random() * heartbeatMs);
          resolve();
        } else if (m.type === 'assign') {
          this.running.add(m.taskId);
          assigns++;
          lastAssignAt = now();
          ws.send(JSON.stringify({ type: 'accept', taskId: m.taskId }));
        } else if (m.type === 'cancel') {
          this.running.delete(m.taskId);
          ws.send(JSON.stringify({ type: 'cancelled', taskId: m.taskId }));
        } else if (m.type === 'refused') reject(new Error(m.reason));
      });
    });
  }

  beat(): void {
    if (this.silent || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify({ type: 'heartbeat', seq: this.seq++, state: this.running.size ? 'busy' : 'idle', running: [...this.running] }));
  }
}

let assigns = 0;
let lastAssignAt = 0;
const provers = Array.from({ length: count }, (_, i) => new SimProver(i));

process.on('message', async (msg: { type: string; n?: number }) => {
  if (msg.type === 'connect') {
    const t0 = now();
    // In waves, so the listen backlog never overflows.
    for (let i = 0; i < provers.length; i += 250) await Promise.all(provers.slice(i, i + 250).map((p) => p.connect()));
    process.send!({ type: 'connected', ms: now() - t0 });
  } else if (msg.type === 'assigns') {
    process.send!({ type: 'assigns', assigns, lastAssignAt });
  } else if (msg.type === 'silence') {
    const victims = provers.filter((p) => p.running.size > 0).slice(0, msg.n);
    for (const p of victims) p.silent = true;
    process.send!({ type: 'silenced', names: victims.map((p) => `sim-${p.index}`), tasks: victims.reduce((s, p) => s + p.running.size, 0) });
  } else if (msg.type === 'exit') {
    for (const p of provers) p.ws.terminate();
    process.exit(0);
  }
});
process.send!({ type: 'started' });

/**
 * One worker thread that runs proof verification off the event loop, with a
 * time limit per check (a stuck verifier is restarted, and the check is the
 * verifier's failure, never the prover's).
 */
import { Worker } from 'node:worker_threads';
import { VerifierError } from '../../plugins/groth16/verify.js';
import { compiledWorkerFile } from '../../worker-file.js';

export type Verdict = { valid: true } | { valid: false; reason: string };


export class VerifyPool {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: Verdict) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  verified = 0;

  constructor(private readonly timeoutMs: number) {}

  private spawn(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(compiledWorkerFile(new URL('./worker.js', import.meta.url)));
    w.unref();
    w.on('message', (m: { id: number; valid?: boolean; reason?: string; verifierError?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      this.verified++;
      if (m.verifierError !== undefined) p.reject(new VerifierError(m.verifierError));
      else p.resolve(m.valid ? { valid: true } : { valid: false, reason: m.reason ?? 'invalid' });
    });
    w.on('error', (err) => this.fail(`the verifier crashed: ${err.message}`));
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
      this.fail('the verifier exited');
    });
    return (this.worker = w);
  }

  private fail(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new VerifierError(reason));
      this.pending.delete(id);
    }
  }

  /** Verifies a Groth16 proof (snarkjs JSON texts). Rejects with VerifierError for the verifier's own failures. */
  groth16(key: string, publicSignals: string, proof: string): Promise<Verdict> {
    return this.request({ key, publicSignals, proof });
  }

  /** Verifies every segment of a continuation bundle and that they chain (segments: JSON text). */
  segments(key: string, segments: string): Promise<Verdict> {
    return this.request({ key, segments });
  }

  private request(body: Record<string, string>): Promise<Verdict> {
    const worker = this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new VerifierError(`verification took longer than ${this.timeoutMs} ms`));
        void worker.terminate();
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, ...body });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.fail('the oracle is closing');
    await w?.terminate();
  }
}

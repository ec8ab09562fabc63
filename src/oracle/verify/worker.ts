/** The verification worker: Groth16 checks off the oracle's event loop, keys prepared once. */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { checkSegments, type Segment } from '../../plugins/groth16/bundle.js';
import { VerifierError, prepareKey, verifyGroth16, type PreparedKey } from '../../plugins/groth16/verify.js';

const keys = new Map<string, PreparedKey>();

parentPort!.on('message', (m: { id: number; key: string; publicSignals?: string; proof?: string; segments?: string }) => {
  try {
    const hash = createHash('sha256').update(m.key).digest('hex');
    let key = keys.get(hash);
    if (!key) {
      let json: unknown;
      try {
        json = JSON.parse(m.key);
      } catch {
        throw new VerifierError('the verification key is not JSON');
      }
      key = prepareKey(json);
      if (keys.size > 64) keys.clear();
      keys.set(hash, key);
    }
    if (m.segments !== undefined) {
      // A continuation bundle: every segment's proof, and their chaining.
      const problem = checkSegments(key, JSON.parse(m.segments) as Segment[]);
      return parentPort!.postMessage({ id: m.id, valid: problem === null, reason: problem ?? undefined });
    }
    let signals: unknown, proof: unknown;
    try {
      signals = JSON.parse(m.publicSignals!);
      proof = JSON.parse(m.proof!);
    } catch {
      return parentPort!.postMessage({ id: m.id, valid: false, reason: 'the proof or public signals are not JSON' });
    }
    parentPort!.postMessage({ id: m.id, ...verifyGroth16(key, signals, proof) });
  } catch (err) {
    parentPort!.postMessage({ id: m.id, verifierError: (err as Error).message });
  }
});

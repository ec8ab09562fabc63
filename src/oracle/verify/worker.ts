/** The verification worker: Groth16 checks off the oracle's event loop, keys prepared once. */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { checkSegments, type Segment } from '../../plugins/groth16/bundle.js';
import { VerifierError, prepareKey, verifyGroth16, type PreparedKey } from '../../plugins/groth16/verify.js';

// Prepared keys by hash; a promise, so messages that arrive together share one preparation.
const keys = new Map<string, Promise<PreparedKey>>();

function keyFor(text: string): Promise<PreparedKey> {
  const hash = createHash('sha256').update(text).digest('hex');
  let key = keys.get(hash);
  if (!key) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return Promise.reject(new VerifierError('the verification key is not JSON'));
    }
    key = prepareKey(json);
    if (keys.size > 64) keys.clear();
    keys.set(hash, key);
    key.catch(() => keys.get(hash) === key && keys.delete(hash));
  }
  return key;
}

async function answer(m: { key: string; publicSignals?: string; proof?: string; segments?: string }): Promise<Record<string, unknown>> {
  try {
    const key = await keyFor(m.key);
    if (m.segments !== undefined) {
      // A continuation bundle: every segment's proof, and their chaining.
      const problem = await checkSegments(key, JSON.parse(m.segments) as Segment[]);
      return { valid: problem === null, reason: problem ?? undefined };
    }
    let signals: unknown, proof: unknown;
    try {
      signals = JSON.parse(m.publicSignals!);
      proof = JSON.parse(m.proof!);
    } catch {
      return { valid: false, reason: 'the proof or public signals are not JSON' };
    }
    return { ...(await verifyGroth16(key, signals, proof)) };
  } catch (err) {
    return { verifierError: (err as Error).message };
  }
}

parentPort!.on('message', (m: { id: number; key: string; publicSignals?: string; proof?: string; segments?: string }) => {
  void answer(m).then((reply) => parentPort!.postMessage({ id: m.id, ...reply }));
});

/** The worker thread computeWitness runs circuits' witness calculators in, so that a runaway circuit can be ended. */
import { parentPort } from 'node:worker_threads';
import { GalacticError } from '../../errors.js';
import { calculateWitness } from './witness.js';

parentPort!.on('message', ({ id, wasm, input }: { id: number; wasm: Uint8Array; input: unknown }) => {
  calculateWitness(wasm, input).then(
    (witness) => parentPort!.postMessage({ id, witness }, [witness.buffer as ArrayBuffer]),
    (err: unknown) => parentPort!.postMessage({ id, code: err instanceof GalacticError ? err.code : 'GAL_ERR_WITNESS', message: (err as Error)?.message ?? String(err) }),
  );
});

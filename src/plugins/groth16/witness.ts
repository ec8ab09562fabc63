/**
 * A circom circuit's witness from the WebAssembly circom writes with --wasm
 * and the circuit's input signals, so that a requester can send inputs
 * rather than a witness. The module's interface is circom 2's: input values
 * go through a shared buffer of 32-bit words, least significant first,
 * signals are named by the 64-bit FNV-1a hash of their name, and the
 * circuit runs as the last input is set, calling back into `runtime` when an
 * assertion or constraint fails. The result is the witness as the prover
 * takes it: 32 bytes a value, little-endian, the values of a .wtns file.
 */
import { Worker } from 'node:worker_threads';
import { GalacticError, isErrorCode } from '../../errors.js';
import { R, readField, writeField } from '../../kernels/encoding.js';
import { compiledWorkerFile } from '../../worker-file.js';

const EXPORTS = [
  'getVersion',
  'getFieldNumLen32',
  'getRawPrime',
  'readSharedRWMemory',
  'writeSharedRWMemory',
  'init',
  'getInputSignalSize',
  'setInputSignal',
  'getInputSize',
  'getWitnessSize',
  'getWitness',
  'getMessageChar',
] as const;
type Exports = Record<(typeof EXPORTS)[number], (...args: number[]) => number>;

// What circom's runtime reports through exceptionHandler(code).
const FAILURES: Record<number, string> = {
  1: 'an input signal is not in the circuit',
  2: 'too many input values',
  3: 'an input signal was set twice',
  4: 'an assertion or constraint fails for these inputs',
  5: 'the circuit ran out of memory',
  6: 'an input array index is out of range',
};

const fail = (message: string) => new GalacticError('GAL_ERR_WITNESS', message);

/** FNV-1a, 64 bits, over the name's UTF-16 code units: how circom names a signal. */
function signalHash(name: string): [number, number] {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < name.length; i++) h = BigInt.asUintN(64, (h ^ BigInt(name.charCodeAt(i))) * 0x100000001b3n);
  return [Number(h >> 32n), Number(h & 0xffffffffn)];
}

/** The values of one input signal, arrays flattened row by row, each reduced mod r. */
function signalValues(name: string, value: unknown): bigint[] {
  const out: bigint[] = [];
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}[${i}]`));
    let n: bigint;
    try {
      if (typeof v === 'bigint') n = v;
      else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
      else if (typeof v === 'string' && /^(-?\d{1,100}|0x[0-9a-fA-F]{1,100})$/.test(v.trim())) n = BigInt(v.trim());
      else throw new Error();
    } catch {
      throw fail(`Expected an integer (a number, or a decimal or 0x-hex string) for input signal ${at} but received ${JSON.stringify(v)?.slice(0, 40)}`);
    }
    out.push(((n % R) + R) % R);
  };
  walk(value, name);
  return out;
}

export interface WitnessOptions {
  /** Give up after this long (default 60 s): a circuit's code may loop for as long as its inputs say. */
  timeoutMs?: number;
  /** Give up when this aborts (the task was stopped). */
  signal?: AbortSignal;
}


type Reply = { id: number; witness: Uint8Array } | { id: number; code: string; message: string };

/**
 * The worker thread calculations run in, started on first use and kept for
 * the next (it takes about 100 ms to start); ended, and started again next
 * time, when a calculation runs out of time or is stopped.
 */
class CalculatorThread {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, (reply: Reply | Error) => void>();

  run(wasm: Uint8Array, input: unknown): { reply: Promise<Reply | Error>; end(): void } {
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    const reply = new Promise<Reply | Error>((resolve) => this.pending.set(id, resolve));
    try {
      worker.postMessage({ id, wasm, input });
    } catch (err) {
      this.pending.delete(id);
      throw fail(`Expected the input signals as JSON values but they cannot be copied to the calculator: ${(err as Error).message}`);
    }
    return { reply, end: () => this.kill(worker, new Error('ended')) };
  }

  private spawn(): Worker {
    const worker = new Worker(compiledWorkerFile(new URL('./witness-worker.js', import.meta.url)));
    worker.on('message', (m: Reply) => {
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
    });
    worker.on('error', (err) => this.kill(worker, err));
    worker.on('exit', () => this.kill(worker, new Error('the calculator thread exited')));
    worker.unref(); // after the listeners, which would ref it again: an idle calculator keeps no process alive
    return worker;
  }

  private kill(worker: Worker, why: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    void worker.terminate();
    for (const settle of this.pending.values()) settle(why);
    this.pending.clear();
  }
}

const calculator = new CalculatorThread();

/**
 * Runs the circuit's witness calculator on `input` (signal name → value or
 * nested arrays of values) in a worker thread, which is ended when the time
 * runs out or `signal` aborts. Refuses with GAL_ERR_WITNESS a module that is
 * not a circom 2 witness calculator over BN254, inputs that do not match the
 * circuit's, inputs for which an assertion or constraint fails (with the
 * circuit's own message where it gives one), and a calculation that does not
 * finish in time.
 */
export async function computeWitness(wasm: Uint8Array, input: unknown, options: WitnessOptions = {}): Promise<Uint8Array> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (options.signal?.aborted) throw fail('The witness calculation was stopped before it began');
  const run = calculator.run(wasm, input);
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  const cut = new Promise<{ cut: GalacticError }>((resolve) => {
    timer = setTimeout(() => resolve({ cut: fail(`The witness calculation did not finish within ${timeoutMs} ms`) }), timeoutMs);
    onAbort = () => resolve({ cut: fail('The witness calculation was stopped') });
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  const outcome = await Promise.race([run.reply, cut]);
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  if ('cut' in outcome) {
    run.end();
    throw outcome.cut;
  }
  if (outcome instanceof Error) throw fail(`The witness calculation failed: ${outcome.message}`);
  if ('witness' in outcome) return outcome.witness;
  throw isErrorCode(outcome.code) ? new GalacticError(outcome.code, outcome.message) : fail(outcome.message);
}

/** The calculation itself, in the calling thread (the worker's part of computeWitness). */
export async function calculateWitness(wasm: Uint8Array, input: unknown): Promise<Uint8Array> {
  if (!(wasm instanceof Uint8Array)) throw fail('Expected the circuit\'s .wasm as bytes');
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw fail(`Expected the input signals as a JSON object but received ${JSON.stringify(input)?.slice(0, 40)}`);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw fail(`Expected a circom witness calculator (.wasm) but received bytes that are not WebAssembly: ${(err as Error).message}`);
  }
  let messages = '';
  let x: Exports;
  const message = () => {
    let s = '';
    for (let c = x.getMessageChar(); c !== 0; c = x.getMessageChar()) s += String.fromCharCode(c);
    return s;
  };
  const runtime = {
    exceptionHandler: (code: number) => {
      throw fail(`The witness cannot be computed: ${FAILURES[code] ?? `error ${code}`}${messages ? ` (${messages.trim()})` : ''}`);
    },
    printErrorMessage: () => void (messages += `${message()} `),
    writeBufferMessage: () => void message(), // the circuit's log(): not ours to print
    showSharedRWMemory: () => {},
  };
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { runtime });
  } catch (err) {
    throw fail(`Expected a circom witness calculator (.wasm) but the module does not link as one: ${(err as Error).message}`);
  }
  const missing = EXPORTS.find((name) => typeof instance.exports[name] !== 'function');
  if (missing) throw fail(`Expected a circom witness calculator (.wasm) but the module does not export ${missing}`);
  x = instance.exports as unknown as Exports;

  try {
    if (x.getVersion() !== 2) throw fail(`Expected a witness calculator from circom 2 but this one is version ${x.getVersion()}`);
    const words = x.getFieldNumLen32();
    const shared = new Uint8Array(4 * words);
    const view = new DataView(shared.buffer);
    const readShared = () => {
      for (let j = 0; j < words; j++) view.setUint32(4 * j, x.readSharedRWMemory(j) >>> 0, true);
    };
    x.getRawPrime();
    readShared();
    if (words !== 8 || readField(shared) !== R) throw fail('Expected a circuit over BN254 Fr but this one is over another field');

    x.init(1); // with circom's sanity checks
    let set = 0;
    for (const [name, value] of Object.entries(input)) {
      const [hi, lo] = signalHash(name);
      const size = x.getInputSignalSize(hi, lo);
      if (size <= 0) throw fail(`Expected input signals of this circuit but received ${JSON.stringify(name)}, which is not one of them`);
      const values = signalValues(name, value);
      if (values.length !== size) throw fail(`Expected ${size} values for input signal ${name} but received ${values.length}`);
      values.forEach((v, i) => {
        writeField(v, shared, 0, R);
        for (let j = 0; j < words; j++) x.writeSharedRWMemory(j, view.getUint32(4 * j, true));
        x.setInputSignal(hi, lo, i);
        set++;
      });
    }
    const expected = x.getInputSize();
    if (set < expected) throw fail(`Expected ${expected} input values for this circuit but received ${set}`);

    const n = x.getWitnessSize();
    const witness = new Uint8Array(32 * n);
    for (let i = 0; i < n; i++) {
      x.getWitness(i);
      readShared();
      witness.set(shared, 32 * i);
    }
    return witness;
  } catch (err) {
    if (err instanceof GalacticError) throw err;
    throw fail(`The witness cannot be computed: the circuit's code stopped (${(err as Error).message})`);
  }
}

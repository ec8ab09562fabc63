// The reference Groth16 plugin: proves circom circuits from a snarkjs proving
// key (.zkey) and a witness (.wtns), or the circuit's .wasm and its input
// signals, on this package's kernels, and writes snarkjs's proof.json and
// public.json. Init may load the key once (performance mode keeps it); a task
// may also bring its own `zkey` input.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadKernels } from '../../dist/kernels/index.js';
import { BUNDLE_KIND, checkSegments, commitment } from '../../dist/plugins/groth16/bundle.js';
import { readWtns } from '../../dist/plugins/groth16/files.js';
import { prepareKey } from '../../dist/plugins/groth16/verify.js';
import { computeWitness } from '../../dist/plugins/groth16/witness.js';
import { Groth16Prover } from '../../dist/plugins/groth16/prover.js';
import { PluginError, servePlugin } from '../../dist/plugins/sdk/index.js';

const kernels = await loadKernels({ backend: process.env.GALACTIC_BACKEND ?? 'auto' });
/** Provers by the sha256 of their key: the one Init loaded, and any a task brought. */
const provers = new Map();
let initKey = null;

const bytesOf = (input) => (input.path ? readFileSync(input.path) : Buffer.from(input.data));

async function proverFor(input) {
  const bytes = bytesOf(input);
  const key = createHash('sha256').update(bytes).digest('hex');
  if (!provers.has(key)) {
    try {
      provers.set(key, await Groth16Prover.load(bytes, kernels));
    } catch (err) {
      throw new PluginError('GAL_ERR_INVALID_INPUT', `the proving key does not load: ${err.message}`);
    }
  }
  return { key, prover: provers.get(key) };
}

/**
 * zkp-aggregation: verifies every input segment's proof with the segments'
 * key (input `vkey`), checks that they chain, and outputs the bundle with a
 * Poseidon commitment to all of it.
 */
async function aggregate(ctx) {
  const vkeyInput = ctx.inputs.find((i) => i.name === 'vkey');
  if (!vkeyInput) throw new PluginError('GAL_ERR_INVALID_INPUT', 'no input named "vkey" (the segments\' verification key)');
  let key;
  try {
    key = await prepareKey(JSON.parse(bytesOf(vkeyInput).toString('utf8')));
  } catch (err) {
    throw new PluginError('GAL_ERR_INVALID_INPUT', err.message);
  }
  // Inputs arrive as <op>/<output>, in the order of the op's inputs.
  const segments = [];
  for (const input of ctx.inputs) {
    const slash = input.name.lastIndexOf('/');
    if (slash < 0) continue;
    const op = input.name.slice(0, slash), file = input.name.slice(slash + 1);
    let segment = segments.find((s) => s.op === op);
    if (!segment) segments.push((segment = { op }));
    try {
      if (file === 'proof.json') segment.proof = JSON.parse(bytesOf(input).toString('utf8'));
      if (file === 'public.json') segment.publicSignals = JSON.parse(bytesOf(input).toString('utf8'));
    } catch {
      throw new PluginError('GAL_ERR_INVALID_INPUT', `${input.name} is not JSON`);
    }
  }
  const problem = await checkSegments(key, segments);
  if (problem) throw new PluginError('GAL_ERR_INVALID_INPUT', problem);
  ctx.progress(0.8);
  const bundle = {
    kind: BUNDLE_KIND,
    segments,
    start: segments[0].publicSignals[1],
    end: segments.at(-1).publicSignals[0],
    commitment: await commitment(kernels, segments),
  };
  const file = join(ctx.outputDir, 'bundle.json');
  writeFileSync(file, JSON.stringify(bundle));
  return { outputs: [{ name: 'bundle.json', path: file }], metrics: { segments: segments.length } };
}

/**
 * The task's witness: its `witness` input (a .wtns), or computed from the
 * circuit's `wasm` input and its input signals (an `input` JSON file, or the
 * op's `params.input`).
 */
async function witnessOf(ctx, named) {
  const wtns = named('witness');
  if (wtns) {
    try {
      return readWtns(bytesOf(wtns)).values;
    } catch (err) {
      throw new PluginError('GAL_ERR_INVALID_INPUT', err.message);
    }
  }
  const wasm = named('wasm');
  if (!wasm) throw new PluginError('GAL_ERR_INVALID_INPUT', 'no input named "witness" (a .wtns file), nor "wasm" (the circuit\'s witness calculator) to compute it from');
  const file = named('input');
  let signals = ctx.params.input;
  if (file) {
    try {
      signals = JSON.parse(bytesOf(file).toString('utf8'));
    } catch {
      throw new PluginError('GAL_ERR_INVALID_INPUT', 'the input named "input" is not JSON');
    }
  }
  if (signals === undefined) throw new PluginError('GAL_ERR_INVALID_INPUT', 'no input signals: give an input named "input" (JSON) or params.input');
  // The circuit's code runs as long as its inputs make it: half the time left to the deadline, a minute without one.
  const timeoutMs = ctx.deadlineMs ? Math.max(1000, (ctx.deadlineMs - Date.now()) / 2) : 60_000;
  try {
    return await computeWitness(bytesOf(wasm), signals, { timeoutMs, signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted) throw new PluginError('GAL_ERR_CANCELLED', 'stopped');
    throw new PluginError('GAL_ERR_INVALID_INPUT', err.message);
  }
}

await servePlugin({
  info: {
    name: 'groth16',
    version: '1.0.0',
    taskTypes: ['zkp-singleton', 'zkp-continuation', 'zkp-aggregation'],
    modes: ['efficient', 'performance'],
    resources: { minCores: 1, minMemoryMb: 512, gpus: 0 },
  },
  async init(_params, inputs) {
    const zkey = inputs.find((i) => i.name === 'zkey');
    if (!zkey) return;
    const loaded = await proverFor(zkey);
    // Only the key Init loaded stays; keys tasks brought are dropped with it.
    for (const k of provers.keys()) if (k !== loaded.key) provers.delete(k);
    initKey = loaded.key;
  },
  async prove(ctx) {
    if (ctx.taskType === 'zkp-aggregation') return aggregate(ctx);
    const named = (name) => ctx.inputs.find((i) => i.name === name || i.name.endsWith(`/${name}`));
    const zkeyInput = named('zkey');
    const t0 = performance.now();
    // The witness (read, or calculated in its own thread) while the key loads.
    const [witness, prover] = await Promise.all([
      witnessOf(ctx, named),
      zkeyInput ? proverFor(zkeyInput).then((p) => p.prover) : initKey ? provers.get(initKey) : null,
    ]);
    if (!prover) throw new PluginError('GAL_ERR_INVALID_INPUT', 'no proving key: give an input named "zkey", or load one with Init');
    if (witness.length !== prover.zkey.nVars * 32)
      throw new PluginError('GAL_ERR_INVALID_INPUT', `the witness has ${witness.length / 32} values, the proving key's circuit ${prover.zkey.nVars}: they are not of one circuit`);
    const { proof, publicSignals } = await prover.prove(witness, (f) => {
      if (ctx.signal.aborted) throw new PluginError('GAL_ERR_CANCELLED', 'stopped');
      ctx.progress(f);
    });
    // The oracle would count an invalid proof against this prover; a witness that
    // does not satisfy the circuit is the requester's input, and is said to be so.
    let verifies;
    try {
      verifies = await prover.verifies({ proof, publicSignals });
    } catch (err) {
      throw new PluginError('GAL_ERR_INVALID_INPUT', `the proving key holds no usable verification key (${err.message})`);
    }
    if (!verifies) throw new PluginError('GAL_ERR_INVALID_INPUT', 'the witness does not satisfy the circuit: its proof does not verify against the proving key');
    const proofFile = join(ctx.outputDir, 'proof.json'), publicFile = join(ctx.outputDir, 'public.json');
    writeFileSync(proofFile, JSON.stringify(proof));
    writeFileSync(publicFile, JSON.stringify(publicSignals));
    return {
      outputs: [{ name: 'proof.json', path: proofFile }, { name: 'public.json', path: publicFile }],
      metrics: { proveMs: performance.now() - t0, constraints: prover.zkey.domainSize },
    };
  },
});

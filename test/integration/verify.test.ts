/** Results the oracle can trust: real Groth16 proofs, verified before they count. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/kernels/index.js';
import type { Oracle } from '../../src/oracle/index.js';
import { readWtns } from '../../src/plugins/groth16/files.js';
import { Groth16Prover } from '../../src/plugins/groth16/prover.js';
import { bn254 } from '@noble/curves/bn254.js';
import { Q, R } from '../../src/kernels/encoding.js';
import { prepareKey, verifyGroth16 } from '../../src/plugins/groth16/verify.js';
import { groth16Fixture, type Groth16Fixture } from '../helpers/groth16.js';
import { waitUntil, type LinkClient } from '../helpers/link-client.js';
import { getJson, oracleFixture, submitGraph } from '../helpers/oracle.js';

const ox = oracleFixture();
let fx: Groth16Fixture;
let proofs: { proof: any; publicSignals: string[] }[];

beforeAll(async () => {
  fx = await groth16Fixture('chain', { x: 3 });
  const prover = await Groth16Prover.load(readFileSync(fx.zkey), await loadKernels({ backend: 'cpu' }));
  const w = readWtns(readFileSync(fx.wtns)).values;
  proofs = [await prover.prove(w), await prover.prove(w)];
}, 300_000);

/** y of the twist point with x = (x0, 0), as snarkjs writes it; x0 = 1 gives a point outside the order-r subgroup. */
function twistY(x0: bigint): string[] {
  const { Fp2 } = bn254.fields;
  const x = Fp2.fromBigTuple([x0, 0n]);
  const y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), bn254.G2.Point.CURVE().b));
  return [y.c0.toString(), y.c1.toString()];
}

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
async function put(o: Oracle, data: Uint8Array | string): Promise<string> {
  await fetch(`${o.url}/v1/blobs/${sha(data)}`, { method: 'PUT', body: data });
  return sha(data);
}
const files = (p: { proof: unknown; publicSignals: unknown }) => [
  { name: 'proof.json', data: Buffer.from(JSON.stringify(p.proof)) },
  { name: 'public.json', data: Buffer.from(JSON.stringify(p.publicSignals)) },
];
const next = async (c: LinkClient) => (await c.next((m) => m.type === 'assign')) as any;
const ackOf = (c: LinkClient, taskId: string) => c.next((m) => m.type === 'ack' && m.taskId === taskId) as Promise<any>;
const proverNamed = async (o: Oracle, name: string) => ((await getJson(o, '/v1/provers')).body as any[]).find((p) => p.name === name);

describe('Groth16 verification', () => {
  it('the reference verifier agrees with snarkjs on valid and broken proofs', async () => {
    const key = await prepareKey(fx.vkey);
    expect(await verifyGroth16(key, proofs[0]!.publicSignals, proofs[0]!.proof)).toEqual({ valid: true });
    expect((await verifyGroth16(key, ['1', ...proofs[0]!.publicSignals.slice(1)], proofs[0]!.proof)).valid).toBe(false);
    await expect(prepareKey({ protocol: 'plonk' })).rejects.toThrow(/unusable/);
  });

  it('names the point a proof or key gets wrong: off the curve, outside the subgroup, not below q', async () => {
    const key = await prepareKey(fx.vkey);
    const { proof, publicSignals } = proofs[0]!;
    const twistPointOutsideG2 = [['1', '0'], twistY(1n), ['1', '0']]; // on the twist, not of order r
    const cases: [string, unknown, RegExp][] = [
      ['pi_a off the curve', { ...proof, pi_a: [proof.pi_a[0], (BigInt(proof.pi_a[1]) + 1n).toString(), '1'] }, /pi_a is not on the curve/],
      ['pi_b outside G2', { ...proof, pi_b: twistPointOutsideG2 }, /pi_b is not in the order-r subgroup/],
      ['pi_c not below q', { ...proof, pi_c: [Q.toString(), proof.pi_c[1], '1'] }, /is not below q/],
      ['a signal not below r', proof, /is not below r/],
    ];
    for (const [name, p, reason] of cases) {
      const signals = name.includes('signal') ? [R.toString(), ...publicSignals.slice(1)] : publicSignals;
      const v = await verifyGroth16(key, signals, p);
      expect(v.valid, name).toBe(false);
      expect(v.reason, name).toMatch(reason);
    }
    await expect(prepareKey({ ...fx.vkey, vk_gamma_2: twistPointOutsideG2 })).rejects.toThrow(/unusable: vk_gamma_2 is not in the order-r subgroup/);
    const ic = structuredClone(fx.vkey.IC) as string[][];
    ic[1]![0] = (BigInt(ic[1]![0]!) + 1n).toString();
    await expect(prepareKey({ ...fx.vkey, IC: ic })).rejects.toThrow(/unusable: IC\[1\] is not on the curve/);
  });

  it('accepts a valid proof; rejects a changed coordinate, other public signals and random bytes, each counted; the op completes', async () => {
    // Each cheat is excluded after its failure, so the op moves on to the next prover.
    const o = await ox.oracle();
    const vkey = await put(o, JSON.stringify(fx.vkey));
    const cheats = ['bent', 'other-signals', 'noise'].map((name) => ox.client(o, { name, behaviour: 'manual', power: { gasPerSecond: 1e12 } }));
    for (const c of cheats) await c.connect();
    const { body } = await submitGraph(o, { ops: [{ id: 'p', name: 'zkp-singleton', params: { vkey: { blob: vkey } } }] });
    const bent = structuredClone(proofs[0]!);
    bent.proof.pi_a[0] = (BigInt(bent.proof.pi_a[0]) + 1n).toString();
    const other = { proof: proofs[0]!.proof, publicSignals: ['7', ...proofs[0]!.publicSignals.slice(1)] };
    const forged = [files(bent), files(other), [{ name: 'proof.json', data: Buffer.from([1, 2, 3, 4]) }, { name: 'public.json', data: Buffer.from('[]') }]];
    for (const [i, c] of cheats.entries()) {
      const task = await next(c);
      await c.resultWith(task, forged[i]!);
      const ack = await ackOf(c, task.taskId);
      expect(ack.accepted).toBe(false);
      expect(ack.reason).toMatch(/does not verify/);
      expect((await proverNamed(o, c.options.name)).penalty.consecutiveFailures).toBe(1);
    }
    const honest = ox.client(o, { name: 'honest', behaviour: 'manual' });
    await honest.connect();
    const task = await next(honest);
    await honest.resultWith(task, files(proofs[1]!));
    expect(await ackOf(honest, task.taskId)).toMatchObject({ accepted: true });
    const g = (await getJson(o, `/v1/graphs/${body.id}`)).body;
    expect(g.status).toBe('done');
    expect(g.ops[0].verification).toBe('verified');
    expect(g.ops[0].attempts.map((a: any) => [a.proverName, a.outcome, a.verified])).toEqual([
      ['bent', 'invalid', false],
      ['other-signals', 'invalid', false],
      ['noise', 'invalid', false],
      ['honest', 'done', true],
    ]);
    expect(g.ops[0].attempts[3].signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
  });

  it('in performance mode a fast invalid result loses to a slower valid one', async () => {
    const o = await ox.oracle({ redundancy: 2 });
    const vkey = await put(o, JSON.stringify(fx.vkey));
    const fast = ox.client(o, { name: 'fast-liar', behaviour: 'manual' });
    const slow = ox.client(o, { name: 'slow-honest', behaviour: 'manual' });
    await fast.connect();
    await slow.connect();
    const { body } = await submitGraph(o, { mode: 'performance', ops: [{ id: 'p', name: 'zkp-singleton', params: { vkey: { blob: vkey } } }] });
    const [tf, ts] = [await next(fast), await next(slow)];
    await fast.resultWith(tf, files({ proof: proofs[0]!.proof, publicSignals: ['5', ...proofs[0]!.publicSignals.slice(1)] }));
    expect((await ackOf(fast, tf.taskId)).accepted).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect((await getJson(o, `/v1/graphs/${body.id}`)).body.status).toBe('running');
    await slow.resultWith(ts, files(proofs[0]!));
    expect(await ackOf(slow, ts.taskId)).toMatchObject({ accepted: true });
    const g = await waitUntil(async () => {
      const doc = (await getJson(o, `/v1/graphs/${body.id}`)).body;
      return doc.status === 'done' ? doc : undefined;
    });
    expect(g.ops[0].deviceIds).toEqual([slow.proverId]);
    expect((await proverNamed(o, 'slow-honest')).penalty.consecutiveFailures).toBe(0);
    expect((await proverNamed(o, 'fast-liar')).penalty.consecutiveFailures).toBe(1);
  });

  it("a verification key that is not the proving key's fails the graph as the requester's mistake; with the matching key a bad proof still counts", async () => {
    const o = await ox.oracle();
    const zkey = await put(o, readFileSync(fx.zkey));
    // A well-formed key of other points: every proof fails it, whoever proves.
    const other = { ...fx.vkey, vk_alpha_1: fx.vkey.IC[0], IC: [fx.vkey.vk_alpha_1, ...fx.vkey.IC.slice(1)] };
    const [wrong, right] = [await put(o, JSON.stringify(other)), await put(o, JSON.stringify(fx.vkey))];
    const c = ox.client(o, { name: 'innocent', behaviour: 'manual' });
    await c.connect();
    const bad = await submitGraph(o, { ops: [{ id: 'p', name: 'zkp-singleton', params: { zkey: { blob: zkey }, vkey: { blob: wrong } } }] });
    const task = await next(c);
    await c.resultWith(task, files(proofs[0]!));
    expect((await ackOf(c, task.taskId)).reason).toMatch(/params\.vkey\) is not the proving key's/);
    const g = (await getJson(o, `/v1/graphs/${bad.body.id}`)).body;
    expect(g.status).toBe('failed');
    expect((await proverNamed(o, 'innocent')).penalty.consecutiveFailures).toBe(0);

    await submitGraph(o, { ops: [{ id: 'p', name: 'zkp-singleton', params: { zkey: { blob: zkey }, vkey: { blob: right } } }] });
    const t2 = await next(c);
    await c.resultWith(t2, files({ proof: proofs[0]!.proof, publicSignals: ['5', ...proofs[0]!.publicSignals.slice(1)] }));
    expect((await ackOf(c, t2.taskId)).reason).toMatch(/does not verify/);
    expect((await proverNamed(o, 'innocent')).penalty.consecutiveFailures).toBe(1);
  });

  it('an unusable key fails the graph with a clear error and blames no prover; an op without a key is accepted unverified', async () => {
    const o = await ox.oracle();
    const junk = await put(o, '{"protocol": "groth16", "curve": "bn128", "nPublic": 1, "IC": []}');
    const c = ox.client(o, { name: 'innocent', behaviour: 'manual' });
    await c.connect();
    const bad = await submitGraph(o, { ops: [{ id: 'p', name: 'zkp-singleton', params: { vkey: { blob: junk } } }] });
    const task = await next(c);
    await c.resultWith(task, files(proofs[0]!));
    expect((await ackOf(c, task.taskId)).reason).toMatch(/could not verify/);
    const g = (await getJson(o, `/v1/graphs/${bad.body.id}`)).body;
    expect(g.status).toBe('failed');
    expect(g.error).toMatch(/could not verify results: the verification key is unusable/);
    expect((await proverNamed(o, 'innocent')).penalty.consecutiveFailures).toBe(0);

    const plain = await submitGraph(o, { ops: [{ id: 'q', name: 'zkp-singleton' }] });
    const t2 = await next(c);
    await c.resultWith(t2, files(proofs[0]!));
    expect(await ackOf(c, t2.taskId)).toMatchObject({ accepted: true });
    expect((await getJson(o, `/v1/graphs/${plain.body.id}`)).body.ops[0].verification).toBe('unverified');
  });
});

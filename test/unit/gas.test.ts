/** The gas table and estimators, on cases worked out by hand. */
import { describe, expect, it } from 'vitest';
import { GalacticError } from '../../src/errors.js';
import {
  EC_FORMULAS, GAS_TABLE_VERSION, ecGas, estimateGraph, estimateGroth16, estimateWorkload, gasOf, msmPlan, nttGas,
  poseidonGas, price, primitives, readR1csHeader,
} from '../../src/gas/index.js';

describe('gas table', () => {
  it('prices primitives by limb count', () => {
    expect(GAS_TABLE_VERSION).toBe('galactic-gas/1');
    expect(primitives(64)).toEqual({ add: 1, sub: 1, mul: 1, square: 1, inverse: 96 });
    expect(primitives(254)).toEqual({ add: 4, sub: 4, mul: 16, square: 16, inverse: 381 * 16 });
    expect(primitives(256).mul).toBe(16);
    expect(primitives(257).mul).toBe(25);
  });

  it('prices EC formulas from their operation counts', () => {
    expect(ecGas('xyzzMixedAdd')).toBe(8 * 16 + 2 * 16 + 6 * 4);      // 184
    expect(ecGas('jacobianDouble')).toBe(2 * 16 + 5 * 16 + 10 * 4);   // 152
    expect(gasOf(EC_FORMULAS.affineAdd)).toBe(3 * 16 + 6 * 4 + 381 * 16);
  });

  it('NTT: n/2 log n butterflies of a mul, an add and a sub', () => {
    expect(nttGas(1)).toBe(0);
    expect(nttGas(2)).toBe(24);
    expect(nttGas(1024)).toBe(512 * 10 * 24);
  });

  it('Poseidon t=3: 8 full rounds of 9+9, 57 partial of 3+5, a 2×2 mix', () => {
    const muls = 8 * 18 + 57 * 8 + 4, adds = 8 * 9 + 57 * 5 + 2;
    expect(poseidonGas(2)).toBe(muls * 16 + adds * 4);
  });

  it('MSM: Pippenger at its best window, monotone in n', () => {
    const one = msmPlan(1);
    // n = 1: madd 184, add 252, double 172. c = 1: 255·(184 + 1·436 + 172) = 201 960;
    // c = 2: 128 windows of one madd, 2 buckets of madd + add, 2 doublings = 179 200.
    expect(ecGas('xyzzAdd')).toBe(252);
    expect(ecGas('xyzzDouble')).toBe(172);
    expect(one).toEqual({ gas: 128 * (184 + 2 * (184 + 252) + 2 * 172), window: 2 });
    const sizes = [2 ** 10, 2 ** 16, 2 ** 20].map((n) => msmPlan(n));
    expect(sizes[0]!.gas).toBeLessThan(sizes[1]!.gas);
    expect(sizes[1]!.window).toBeGreaterThan(sizes[0]!.window);
    expect(msmPlan(1024, 'g2').gas).toBeGreaterThan(msmPlan(1024).gas);
  });

  it('prices P = P_gas × Gas and rejects nonsense', () => {
    expect(price(1000, 0.25)).toBe(250);
    expect(() => price(-1, 1)).toThrow(GalacticError);
    expect(() => price(1, Number.NaN)).toThrow(expect.objectContaining({ code: 'GAL_ERR_INVALID_ARGUMENT' }));
  });
});

describe('estimators', () => {
  it('sums a workload and checks its sizes', () => {
    const e = estimateWorkload({ msm: [1024], ntt: [1024, 2], poseidon: [[10, 2]] });
    expect(e.total).toBe(msmPlan(1024).gas + nttGas(1024) + nttGas(2) + 10 * poseidonGas(2));
    expect(() => estimateWorkload({ ntt: [3] })).toThrow(expect.objectContaining({ code: 'GAL_ERR_NTT_SIZE' }));
    expect(() => estimateWorkload({ msm: [0] })).toThrow(expect.objectContaining({ code: 'GAL_ERR_SIZE_LIMIT' }));
    expect(() => estimateWorkload({ msm: [2 ** 40] })).toThrow(expect.objectContaining({ code: 'GAL_ERR_SIZE_LIMIT' }));
    expect(() => estimateWorkload({ poseidon: [[1, 17]] })).toThrow(expect.objectContaining({ code: 'GAL_ERR_ARITY' }));
    expect(() => estimateWorkload(null as never)).toThrow(expect.objectContaining({ code: 'GAL_ERR_INVALID_ARGUMENT' }));
    expect(() => estimateWorkload({ msm: 5 as never })).toThrow(expect.objectContaining({ code: 'GAL_ERR_INVALID_ARGUMENT' }));
    expect(() => estimateWorkload({ poseidon: [3 as never] })).toThrow(expect.objectContaining({ code: 'GAL_ERR_INVALID_ARGUMENT' }));
  });

  it('sums a graph op by op and names every problem with its path', () => {
    const g = { name: 'x', ops: [{ id: 'a', workload: { msm: [256] } }, { id: 'b', inputs: ['a'] }, { id: 'c', workload: { ntt: [64] } }] };
    const e = estimateGraph(g);
    expect(e.perOp).toEqual([{ id: 'a', gas: msmPlan(256).gas }, { id: 'b', gas: 0 }, { id: 'c', gas: nttGas(64) }]);
    let err: GalacticError | undefined;
    try {
      estimateGraph({ ops: [{ id: 'a', workload: { msm: [-1], bogus: 1 } }, { workload: {} }] });
    } catch (e) {
      err = e as GalacticError;
    }
    expect(err?.code).toBe('GAL_ERR_GRAPH_INVALID');
    const paths = (err?.details?.problems as { path: string }[]).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['/ops/0/workload/msm/0', '/ops/0/workload', '/ops/1/id']));
    expect(() => estimateGraph({ ops: [] })).toThrow(expect.objectContaining({ code: 'GAL_ERR_GRAPH_INVALID' }));
    expect(() => estimateGraph('nope')).toThrow(expect.objectContaining({ code: 'GAL_ERR_GRAPH_INVALID' }));
  });

  it('Groth16 from an r1cs header: domain, NTTs and MSMs', () => {
    const e = estimateGroth16({ primeBytes: 32, prime: 1n, nWires: 1000, nPubOut: 1, nPubIn: 2, nPrvIn: 5, nLabels: 0n, nConstraints: 1020 });
    expect(e.domain).toBe(1024);  // 1020 + 3 public + 1 ≤ 1024
    expect(e.items.map((i) => [i.what, i.size, i.count])).toEqual([
      ['ntt (3 inverse, 3 coset)', 1024, 6],
      ['msm-g1 A, B1', 1000, 2],
      ['msm-g1 C', 996, 1],
      ['msm-g1 H', 1024, 1],
      ['msm-g2 B2', 1000, 1],
    ]);
    expect(estimateGroth16({ primeBytes: 32, prime: 1n, nWires: 10, nPubOut: 1, nPubIn: 0, nPrvIn: 1, nLabels: 0n, nConstraints: 1022 }).domain).toBe(1024);
    expect(estimateGroth16({ primeBytes: 32, prime: 1n, nWires: 10, nPubOut: 1, nPubIn: 0, nPrvIn: 1, nLabels: 0n, nConstraints: 1023 }).domain).toBe(2048);
  });

  it('rejects files that are not r1cs: wrong magic, version, truncated, no header', () => {
    const header = (magic: string, version: number, sections: number) => {
      const b = new Uint8Array(12);
      b.set([...magic].map((c) => c.charCodeAt(0)));
      new DataView(b.buffer).setUint32(4, version, true);
      new DataView(b.buffer).setUint32(8, sections, true);
      return b;
    };
    expect(() => readR1csHeader('r1cs' as never)).toThrow(expect.objectContaining({ code: 'GAL_ERR_INVALID_ARGUMENT' }));
    expect(() => estimateGroth16({} as never)).toThrow(expect.objectContaining({ code: 'GAL_ERR_R1CS' }));
    for (const bytes of [new Uint8Array(3), header('zkey', 1, 0), header('r1cs', 2, 0), header('r1cs', 1, 1), header('r1cs', 1, 0)]) {
      expect(() => readR1csHeader(bytes)).toThrow(expect.objectContaining({ code: 'GAL_ERR_R1CS' }));
    }
  });
});

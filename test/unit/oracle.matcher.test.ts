import { describe, expect, it } from 'vitest';
import { MatchPass, estimateMs, taskKey, type CandidateView, type Need } from '../../src/oracle/matcher.js';

class P implements CandidateView {
  used = 0;
  queue = 0;
  pace = 1;
  constructor(
    readonly id: string,
    readonly seq: number,
    readonly power: { gasPerSecond: number; kernels: { msm?: number; ntt?: number; poseidon?: number } },
    readonly slots = 1,
    readonly ok = true,
    readonly keys = [taskKey('groth16', 'zkp-singleton')],
  ) {}
  available() {
    return this.used < this.slots;
  }
  offers(k: string) {
    return this.keys.includes(k);
  }
  meets() {
    return this.ok;
  }
  queueMs() {
    return this.queue / this.slots;
  }
}

const gas = { msm: 6e9, ntt: 3e9, poseidon: 0, total: 9e9 };
const need = (over: Partial<Need> = {}): Need => ({
  taskKey: taskKey('groth16', 'zkp-singleton'),
  requirements: {},
  requirementsKey: '{}',
  gas,
  exclude: new Set(),
  holders: [],
  count: 1,
  ...over,
});
const take = (p: P) => {
  p.used++;
  p.queue += estimateMs(gas, p.power);
};

describe('matching', () => {
  it('estimates time from each kernel at its own power', () => {
    expect(estimateMs(gas, { gasPerSecond: 1e9, kernels: {} })).toBe(9000);
    expect(estimateMs(gas, { gasPerSecond: 1e9, kernels: { msm: 6e9 } })).toBe(1000 + 3000);
  });

  it('picks the earliest finish, breaks ties by registration order, and skips the ineligible', () => {
    const provers = [
      new P('slow', 1, { gasPerSecond: 1e9, kernels: {} }),
      new P('tie-b', 3, { gasPerSecond: 3e9, kernels: {} }),
      new P('tie-a', 2, { gasPerSecond: 3e9, kernels: {} }),
      new P('no-req', 0, { gasPerSecond: 9e12, kernels: {} }, 1, false),
      new P('other-type', 0, { gasPerSecond: 9e12, kernels: {} }, 1, true, [taskKey('x', 'y')]),
      new P('msm-card', 4, { gasPerSecond: 1e9, kernels: { msm: 60e9, ntt: 30e9 } }),
    ];
    const pass = new MatchPass(0, provers);
    const order = [1, 2, 3, 4, 5].map(() => pass.choose(need(), take).map((p) => p.id)[0] ?? null);
    expect(order).toEqual(['msm-card', 'tie-a', 'tie-b', 'slow', null]);
  });

  it('gives redundant ops k distinct provers and honours exclusions', () => {
    const provers = ['a', 'b', 'c'].map((id, i) => new P(id, i, { gasPerSecond: 1e9 * (3 - i), kernels: {} }, 4));
    const pass = new MatchPass(0, provers);
    expect(pass.choose(need({ count: 2 }), take).map((p) => p.id)).toEqual(['a', 'b']);
    expect(pass.choose(need({ count: 2, exclude: new Set(['a']) }), take).map((p) => p.id)).toEqual(['b', 'c']);
    expect(pass.choose(need({ count: 5 }), take)).toHaveLength(3);
  });

  it('sees queues grow within a round: a busy fast prover yields to an idle slower one', () => {
    const fast = new P('fast', 0, { gasPerSecond: 2e9, kernels: {} }, 4);
    const slow = new P('slow', 1, { gasPerSecond: 1.5e9, kernels: {} }, 4);
    const pass = new MatchPass(0, [fast, slow]);
    // fast alone: 4500 ms; with one task queued over 4 slots, 4500 + 1125; with two, 4500 + 2250 > slow's 6000.
    const picks = [1, 2, 3].map(() => pass.choose(need(), take)[0]!.id);
    expect(picks).toEqual(['fast', 'fast', 'slow']);
  });

  it("scales each finish by the prover's pace", () => {
    const claims = new P('claims', 0, { gasPerSecond: 3e9, kernels: {} }), keeps = new P('keeps', 1, { gasPerSecond: 2e9, kernels: {} });
    claims.pace = 1.6; // 3 s claimed, 4.8 s observed, against 4.5 s
    expect(new MatchPass(0, [claims, keeps]).choose(need(), take).map((p) => p.id)).toEqual(['keeps']);
    claims.pace = 1.4; // 4.2 s
    expect(new MatchPass(0, [claims, keeps]).choose(need(), take).map((p) => p.id)).toEqual(['claims']);
  });

  it('prefers a prover holding an input when its finish is within 10% of the best', () => {
    const best = new P('best', 0, { gasPerSecond: 1e9, kernels: {} });
    const holder = new P('holder', 1, { gasPerSecond: 0.95e9, kernels: {} });
    const far = new P('far', 2, { gasPerSecond: 0.5e9, kernels: {} });
    expect(new MatchPass(0, [best, holder, far]).choose(need({ holders: ['holder'] }), take)[0]!.id).toBe('holder');
    expect(new MatchPass(0, [best, holder, far]).choose(need({ holders: ['far'] }), take)[0]!.id).toBe('best');
  });
});

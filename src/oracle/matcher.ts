/**
 * Choosing provers for ready ops (DESIGN §7). Candidates offer the op's task
 * type, meet its requirements, are live, have a free slot and are neither
 * excluded nor banned; the best is the one with the earliest estimated
 * finish (its queue plus gas / power, scaled by its observed pace), ties
 * broken by registration order.
 *
 * One pass serves a whole dispatch round. Ops that need the same thing
 * (task type, requirements, gas) share a heap of their candidates ordered by
 * finish time. Assigning only ever makes a prover's finish time later within
 * a round, so a popped entry whose score went stale is pushed back with its
 * new score and the heap's top is always the true best: a round costs
 * O(P log P) per kind of op instead of O(P) per op.
 */
import type { Power, Requirements } from '../protocol/index.js';
import type { OpGas } from './graph.js';
import { MinHeap } from './heap.js';

/** Within this share of the best finish time, a prover already holding an input is preferred. */
export const HOLDER_PREFERENCE = 0.1;

export interface CandidateView {
  readonly id: string;
  /** Registration order: the deterministic tie-break. */
  readonly seq: number;
  readonly power: Power;
  /** Free slot, live, not draining, not excluded or banned, at `now`. */
  available(now: number): boolean;
  offers(taskKey: string): boolean;
  meets(requirementsKey: string, requirements: Requirements): boolean;
  /** Work already queued on this prover, per slot, in ms. */
  queueMs(now: number): number;
  /** How long its tasks have taken against their forecasts (1: as its power claims). */
  readonly pace: number;
}

export interface Need {
  taskKey: string;
  requirements: Requirements;
  requirementsKey: string;
  gas: OpGas;
  /** Provers this op must not go to (already running it, or refused it). */
  exclude: ReadonlySet<string>;
  /** Provers that produced one of the op's inputs. */
  holders: readonly string[];
  count: number;
}

export const taskKey = (plugin: string, op: string) => `${plugin}\u0000${op}`;

/** Estimated ms for `gas` on a prover: each kernel's gas at that kernel's power. */
export function estimateMs(gas: OpGas, power: Power): number {
  const p = power.gasPerSecond, k = power.kernels;
  return ((gas.msm / (k.msm ?? p)) + (gas.ntt / (k.ntt ?? p)) + (gas.poseidon / (k.poseidon ?? p))) * 1000;
}

interface Entry<P> {
  prover: P;
  score: number;
}

const before = <P extends CandidateView>(a: Entry<P>, b: Entry<P>) => a.score < b.score || (a.score === b.score && a.prover.seq < b.prover.seq);

export class MatchPass<P extends CandidateView> {
  private readonly heaps = new Map<string, MinHeap<Entry<P>>>();
  private readonly byId = new Map<string, P>();

  constructor(
    private readonly now: number,
    /** Provers with a free slot at the start of the round. */
    private readonly free: readonly P[],
  ) {
    for (const p of free) this.byId.set(p.id, p);
  }

  private score(p: P, need: Need): number {
    return (p.queueMs(this.now) + estimateMs(need.gas, p.power)) * p.pace;
  }

  private candidate(p: P, need: Need): boolean {
    return p.offers(need.taskKey) && p.meets(need.requirementsKey, need.requirements) && !need.exclude.has(p.id) && p.available(this.now);
  }

  private heapFor(need: Need): MinHeap<Entry<P>> {
    const key = `${need.taskKey}\u0001${need.requirementsKey}\u0001${need.gas.msm},${need.gas.ntt},${need.gas.poseidon}`;
    let heap = this.heaps.get(key);
    if (!heap) {
      heap = new MinHeap<Entry<P>>(before);
      for (const p of this.free)
        if (p.offers(need.taskKey) && p.meets(need.requirementsKey, need.requirements)) heap.push({ prover: p, score: this.score(p, need) });
      this.heaps.set(key, heap);
    }
    return heap;
  }

  /**
   * Picks up to `need.count` distinct provers, best first, calling `take` on
   * each at once (taking changes its queue, which later picks must see).
   */
  choose(need: Need, take: (p: P) => void): P[] {
    const heap = this.heapFor(need);
    const chosen: P[] = [];
    const skipped: Entry<P>[] = [];
    const exclude = new Set(need.exclude);
    while (chosen.length < need.count) {
      const top = heap.pop();
      if (!top) break;
      const p = top.prover;
      if (!p.available(this.now)) continue; // full or gone: it will not come back this round
      const score = this.score(p, need);
      if (score > top.score) {
        heap.push({ prover: p, score });
        continue;
      }
      if (exclude.has(p.id)) {
        skipped.push(top);
        continue;
      }
      let pick = p;
      if (chosen.length === 0 && need.holders.length) {
        const holder = this.closeHolder(need, score, exclude);
        if (holder && holder !== p) {
          skipped.push(top);
          pick = holder;
        }
      }
      take(pick);
      chosen.push(pick);
      exclude.add(pick.id);
      skipped.push({ prover: pick, score: this.score(pick, need) });
    }
    for (const e of skipped) heap.push(e);
    return chosen;
  }

  private closeHolder(need: Need, best: number, exclude: ReadonlySet<string>): P | null {
    let pick: P | null = null, pickScore = Infinity;
    for (const id of need.holders) {
      const p = this.byId.get(id);
      if (!p || exclude.has(id) || !this.candidate(p, need)) continue;
      const s = this.score(p, need);
      if (s <= best * (1 + HOLDER_PREFERENCE) + 1 && s < pickScore) (pick = p), (pickScore = s);
    }
    return pick;
  }
}

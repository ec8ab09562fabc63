import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '../../src/oracle/config.js';
import { validateGraph } from '../../src/oracle/graph.js';

const ctx = { catalog: DEFAULT_CATALOG };
const op = (id: string, extra: Record<string, unknown> = {}) => ({ id, name: 'zkp-singleton', ...extra });

/** [what, graph, expected problems as "code path"] */
const CORPUS: [string, unknown, string[]][] = [
  ['not an object', 42, ['schema /']],
  ['no ops', { ops: [] }, ['schema /ops']],
  ['ops not an array', { ops: {} }, ['schema /ops']],
  ['op without id', { ops: [{ name: 'zkp-singleton' }] }, ['schema /ops/0/id']],
  ['bad id characters', { ops: [op('a b')] }, ['schema /ops/0/id']],
  ['duplicate ids', { ops: [op('a'), op('a')] }, ['duplicate-id /ops/1/id']],
  ['dangling input', { ops: [op('a', { inputs: ['zz'] })] }, ['unknown-op /ops/0/inputs/0']],
  ['dangling output', { ops: [op('a', { outputs: ['zz'] })] }, ['unknown-op /ops/0/outputs/0']],
  ['self edge', { ops: [op('a', { inputs: ['a'], outputs: ['a'] })] }, ['self-edge /ops/0/inputs/0', 'self-edge /ops/0/outputs/0']],
  ['duplicate edge', { ops: [op('a', { outputs: ['b', 'b'] }), op('b', { inputs: ['a'] })] }, ['duplicate-edge /ops/0/outputs/1']],
  ['one-sided edge', { ops: [op('a'), op('b', { inputs: ['a'] })] }, ['edge-mismatch /ops/1/inputs/0']],
  [
    'three-cycle',
    { ops: [op('a', { inputs: ['c'], outputs: ['b'] }), op('b', { inputs: ['a'], outputs: ['c'] }), op('c', { inputs: ['b'], outputs: ['a'] })] },
    ['cycle /ops/0'],
  ],
  ['unknown field in op', { ops: [op('a', { colour: 1 })] }, ['unknown-field /ops/0/colour']],
  ['unknown field in graph', { ops: [op('a')], owner: 'me' }, ['unknown-field /owner']],
  ['misspelt requirement', { ops: [op('a', { requirements: { gpu: { vram: 8 } } })] }, ['unknown-field /ops/0/requirements/gpu/vram']],
  ['bad mode', { mode: 'fast', ops: [op('a')] }, ['schema /mode']],
  ['negative penalty', { penalty: -1, ops: [op('a')] }, ['schema /penalty']],
  ['deviceIds set by requester', { ops: [op('a', { deviceIds: ['p_1'] })] }, ['schema /ops/0/deviceIds']],
  ['unknown plugin', { ops: [op('a', { plugin: 'plonk' })] }, ['unknown-plugin /ops/0/plugin']],
  ['custom op without plugin', { ops: [{ id: 'a', name: 'my-custom-op' }] }, ['no-plugin /ops/0/name']],
  ['NTT size not a power of two', { ops: [op('a', { workload: { ntt: [1000] } })] }, ['schema /ops/0/workload/ntt/0']],
  ['timeout too short', { ops: [op('a', { timeoutMs: 5 })] }, ['schema /ops/0/timeoutMs']],
  ['too many ops', { ops: Array.from({ length: 11 }, (_, i) => op(`o${i}`)) }, ['too-large /ops']],
  ['params 33 levels deep', { ops: [op('a', { params: { x: JSON.parse('['.repeat(32) + ']'.repeat(32)) } })] }, ['schema /ops/0/params']],
];

describe('graph validation', () => {
  it.each(CORPUS)('%s', (_what, graph, expected) => {
    const result = validateGraph(graph, { ...ctx, limits: { maxOps: 10 } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const found = result.problems.map((p) => `${p.code} ${p.path}`);
    for (const e of expected) expect(found).toContain(e);
    for (const p of result.problems) expect(p.message.length).toBeGreaterThan(5);
  });

  it('names the cycle in the direction data flows', () => {
    const r = validateGraph(CORPUS[11]![1], ctx);
    expect(!r.ok && r.problems.find((p) => p.code === 'cycle')!.message).toBe('The ops form a cycle: a → b → c → a');
  });

  it('accepts a valid graph, fills defaults and plugins, and computes gas and critical paths', () => {
    const r = validateGraph(
      {
        ops: [
          op('s0', { outputs: ['s1'], workload: { msm: [1024] } }),
          op('s1', { name: 'zkp-continuation', inputs: ['s0'], outputs: ['agg'], workload: { ntt: [1024] } }),
          op('side', { outputs: ['agg'] }),
          op('agg', { name: 'zkp-aggregation', inputs: ['s1', 'side'] }),
        ],
      },
      { ...ctx, couldEverMatch: () => false },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.graph.graph.mode).toBe('cost');
    expect(r.graph.ops.every((a) => a.op.plugin === 'groth16')).toBe(true);
    const [s0, s1, side, agg] = r.graph.ops;
    expect(agg!.criticalPath).toBe(1);
    expect(s1!.criticalPath).toBe(s1!.gas.total + 1);
    expect(s0!.criticalPath).toBe(s0!.gas.total + s1!.gas.total + 1);
    expect(side!.criticalPath).toBe(2);
    expect(r.graph.gas).toBe(s0!.gas.msm + s1!.gas.ntt);
    expect(r.warnings.map((w) => w.code)).toEqual(['no-matching-prover', 'no-matching-prover', 'no-matching-prover', 'no-matching-prover']);
  });

  it('refuses params nested past the limit without overflowing the stack, and accepts them at the limit', () => {
    const nested = (depth: number) => JSON.parse('{"a":'.repeat(depth - 1) + '{"blob":"x"}' + '}'.repeat(depth - 1));
    expect(validateGraph({ ops: [op('a', { params: nested(32) })] }, ctx).ok).toBe(true);
    for (const depth of [33, 200_000]) {
      const r = validateGraph({ ops: [op('a', { params: nested(depth) })] }, { ...ctx, blobExists: () => false });
      expect(!r.ok && r.problems.map((p) => `${p.code} ${p.path}`)).toEqual(['schema /ops/0/params']);
    }
  });

  it('handles a chain as long as the op limit without recursion', () => {
    const n = 20_000;
    const ops = Array.from({ length: n }, (_, i) => op(`o${i}`, { inputs: i ? [`o${i - 1}`] : [], outputs: i < n - 1 ? [`o${i + 1}`] : [] }));
    const r = validateGraph({ ops }, ctx);
    expect(r.ok && r.graph.ops[0]!.criticalPath).toBe(n);
    ops[0]!.inputs = [`o${n - 1}`];
    ops[n - 1]!.outputs = ['o0'];
    const cyclic = validateGraph({ ops }, ctx);
    expect(!cyclic.ok && cyclic.problems.map((p) => p.code)).toEqual(['cycle']);
  });
});

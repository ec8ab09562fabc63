/**
 * mulSubFr against BigInt arithmetic mod r on random values and the edges,
 * across the threads' split, and its refusals of malformed input.
 */
import { describe, expect, it } from 'vitest';
import { Q, R, decodeFields, encodeFields, fieldToBytes, mulSubFr } from '../../src/kernels/index.js';
import { rng } from '../helpers/references.js';

const mod = (x: bigint) => ((x % R) + R) % R;

describe('mulSubFr', () => {
  it('a·b − c and a·b match BigInt arithmetic, edges 0, 1 and r−1 included', async () => {
    const r = rng(5);
    const edges = [0n, 1n, R - 1n];
    const n = 40_000;  // more than one thread's share
    const a = Array.from({ length: n }, (_, i) => (i < 9 ? edges[i % 3]! : r.field()));
    const b = Array.from({ length: n }, (_, i) => (i < 9 ? edges[Math.floor(i / 3)]! : r.field()));
    const c = Array.from({ length: n }, (_, i) => (i < 9 ? edges[(i + 1) % 3]! : r.field()));
    const product = decodeFields(await mulSubFr(encodeFields(a), encodeFields(b)));
    const difference = decodeFields(await mulSubFr(encodeFields(a), encodeFields(b), encodeFields(c)));
    expect(product).toEqual(a.map((x, i) => mod(x * b[i]!)));
    expect(difference).toEqual(a.map((x, i) => mod(x * b[i]! - c[i]!)));
  });

  it('an empty input gives an empty output', async () => {
    expect((await mulSubFr(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0))).length).toBe(0);
  });

  it('refuses values not below r, naming the first, and buffers that do not match', async () => {
    const ok = encodeFields([1n, 2n, 3n]);
    const bad = new Uint8Array(ok);
    bad.set(fieldToBytes(R, Q), 32);  // r itself, encoded under the larger modulus
    await expect(mulSubFr(ok, bad)).rejects.toMatchObject({ code: 'GAL_ERR_FIELD_RANGE', message: expect.stringMatching(/^Expected element 1 /) });
    await expect(mulSubFr(ok, ok, bad)).rejects.toMatchObject({ code: 'GAL_ERR_FIELD_RANGE' });
    await expect(mulSubFr(ok, ok.subarray(32))).rejects.toMatchObject({ code: 'GAL_ERR_BUFFER_LENGTH' });
    await expect(mulSubFr(ok, ok, ok.subarray(1))).rejects.toMatchObject({ code: 'GAL_ERR_BUFFER_LENGTH' });
    await expect(mulSubFr(ok.subarray(1), ok.subarray(1))).rejects.toMatchObject({ code: 'GAL_ERR_BUFFER_LENGTH' });
    await expect(mulSubFr([1, 2] as unknown as Uint8Array, ok)).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT' });
    expect(decodeFields(await mulSubFr(ok, ok, ok))).toEqual([0n, 2n, 6n]);  // still answers after refusals
  });
});

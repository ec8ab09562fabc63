/**
 * mulSubFr and sparseMulFr against BigInt arithmetic mod r on random values
 * and the edges, and their refusals of malformed input.
 */
import { describe, expect, it } from 'vitest';
import { Q, R, SPARSE_RECORD_BYTES, decodeFields, encodeFields, fieldToBytes, mulSubFr, sparseMulFr } from '../../src/kernels/index.js';
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

interface SparseRecord {
  matrix: number;
  row: number;
  column: number;
  value: bigint;
}

function encodeRecords(records: SparseRecord[], valueModulus = R): Uint8Array {
  const out = new Uint8Array(records.length * SPARSE_RECORD_BYTES);
  const view = new DataView(out.buffer);
  records.forEach((r, i) => {
    view.setUint32(i * SPARSE_RECORD_BYTES, r.matrix, true);
    view.setUint32(i * SPARSE_RECORD_BYTES + 4, r.row, true);
    view.setUint32(i * SPARSE_RECORD_BYTES + 8, r.column, true);
    out.set(fieldToBytes(r.value, valueModulus), i * SPARSE_RECORD_BYTES + 12);
  });
  return out;
}

describe('sparseMulFr', () => {
  it('matches BigInt sums over random records: repeated entries, empty rows, edge values', async () => {
    const r = rng(9);
    const rows = 300, length = 120, matrices = 2;
    const edges = [0n, 1n, R - 1n];
    const vector = Array.from({ length }, (_, i) => (i < 3 ? edges[i]! : r.field()));
    const records: SparseRecord[] = Array.from({ length: 2000 }, (_, i) => ({
      matrix: i % matrices,
      row: Number(r.field() % 250n),  // rows 250… stay empty
      column: i < 30 ? i % 3 : Number(r.field() % BigInt(length)),
      value: i < 30 ? edges[Math.floor(i / 3) % 3]! : r.field(),
    }));
    records.push({ ...records[40]! }, { ...records[40]! });  // the same entry three times
    const expected = Array<bigint>(matrices * rows).fill(0n);
    for (const rec of records) expected[rec.matrix * rows + rec.row] = mod(expected[rec.matrix * rows + rec.row]! + rec.value * vector[rec.column]!);
    expect(decodeFields(await sparseMulFr(encodeRecords(records), encodeFields(vector), rows, matrices))).toEqual(expected);
  });

  it('no records give zero rows; no rows give an empty result', async () => {
    expect(decodeFields(await sparseMulFr(new Uint8Array(0), encodeFields([5n]), 3, 2))).toEqual(Array(6).fill(0n));
    expect((await sparseMulFr(new Uint8Array(0), encodeFields([5n]), 0)).length).toBe(0);
  });

  it('refuses records outside the matrices, values not below r, and malformed arguments', async () => {
    const vector = encodeFields([1n, 2n]);
    const ok = { matrix: 0, row: 1, column: 1, value: 3n };
    expect(decodeFields(await sparseMulFr(encodeRecords([ok]), vector, 2))).toEqual([0n, 6n]);
    for (const bad of [{ ...ok, matrix: 1 }, { ...ok, row: 2 }, { ...ok, column: 2 }])
      await expect(sparseMulFr(encodeRecords([ok, bad]), vector, 2)).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT', message: expect.stringMatching(/^Expected record 1 inside/) });
    await expect(sparseMulFr(encodeRecords([{ ...ok, value: R }], Q), vector, 2)).rejects.toMatchObject({ code: 'GAL_ERR_FIELD_RANGE' });
    const bigVector = new Uint8Array(vector);
    bigVector.set(fieldToBytes(R, Q), 32);
    await expect(sparseMulFr(encodeRecords([ok]), bigVector, 2)).rejects.toMatchObject({ code: 'GAL_ERR_FIELD_RANGE', message: expect.stringMatching(/^Expected vector element 1 /) });
    await expect(sparseMulFr(encodeRecords([ok]).subarray(1), vector, 2)).rejects.toMatchObject({ code: 'GAL_ERR_BUFFER_LENGTH' });
    await expect(sparseMulFr(encodeRecords([ok]), vector.subarray(1), 2)).rejects.toMatchObject({ code: 'GAL_ERR_BUFFER_LENGTH' });
    for (const [rows, matrices] of [[-1, 1], [1.5, 1], [2 ** 29, 1], [2, 0], [2, 5]])
      await expect(sparseMulFr(encodeRecords([ok]), vector, rows!, matrices)).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT' });
  });
});

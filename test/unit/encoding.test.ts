import { describe, expect, it } from 'vitest';
import { GalacticError } from '../../src/errors.js';
import {
  Q, R, decodeFields, decodePoint, encodeFields, encodePoints, fieldToBytes, fromMontgomery, readField, toMontgomery,
} from '../../src/kernels/index.js';
import { rng } from '../helpers/references.js';

describe('canonical encodings', () => {
  it('round-trips field elements little-endian', () => {
    expect([...fieldToBytes(1n)]).toEqual([1, ...Array(31).fill(0)]);
    expect(readField(fieldToBytes(R - 1n))).toBe(R - 1n);
    const r = rng(3);
    const xs = Array.from({ length: 50 }, () => r.field());
    expect(decodeFields(encodeFields(xs))).toEqual(xs);
  });

  it('rejects values outside the field', () => {
    expect(() => fieldToBytes(R)).toThrow(GalacticError);
    expect(() => fieldToBytes(-1n)).toThrow(expect.objectContaining({ code: 'GAL_ERR_FIELD_RANGE' }));
    expect(() => fieldToBytes(5 as unknown as bigint)).toThrow(expect.objectContaining({ code: 'GAL_ERR_INVALID_ARGUMENT' }));
    expect(fieldToBytes(Q - 1n, Q).length).toBe(32);
    expect(() => decodeFields(new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'GAL_ERR_BUFFER_LENGTH' }));
  });

  it('encodes infinity as 64 zero bytes', () => {
    const bytes = encodePoints([null, { x: 1n, y: 2n }]);
    expect(bytes.subarray(0, 64).every((b) => b === 0)).toBe(true);
    expect(decodePoint(bytes, 0)).toBeNull();
    expect(decodePoint(bytes, 64)).toEqual({ x: 1n, y: 2n });
  });
});

describe('Montgomery form (the snarkjs/ffjavascript layout)', () => {
  const R256 = 1n << 256n;
  it.each([['r', R], ['q', Q]] as const)('converts both ways in F%s', async (field, modulus) => {
    const r = rng(11);
    const xs = [0n, 1n, modulus - 1n, ...Array.from({ length: 20 }, () => r.field(modulus))];
    const mont = await toMontgomery(encodeFields(xs, modulus), field);
    expect(decodeFields(mont)).toEqual(xs.map((x) => (x * R256) % modulus));
    expect(await fromMontgomery(mont, field)).toEqual(encodeFields(xs, modulus));
  });

  it('rejects bad arguments', async () => {
    await expect(toMontgomery(new Uint8Array(32), 'x' as 'q')).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT' });
    await expect(fromMontgomery(new Uint8Array(31), 'q')).rejects.toMatchObject({ code: 'GAL_ERR_BUFFER_LENGTH' });
    await expect(fromMontgomery(new Uint8Array(32).fill(0xff), 'r')).rejects.toMatchObject({ code: 'GAL_ERR_FIELD_RANGE' });
  });
});

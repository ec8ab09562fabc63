import { expect } from 'vitest';

/**
 * Byte-for-byte equality of two kernel outputs. `toEqual` walks a typed
 * array element by element (36 s for 8 MiB), so a transform of 2^21 values
 * would take minutes to compare; on a mismatch this names the lengths and
 * the first differing 32-byte element.
 */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  const view = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (view(actual).equals(view(expected))) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const from = i - (i % 32);
  const element = (b: Uint8Array) => view(b.subarray(from, from + 32)).toString('hex');
  expect({ bytes: actual.length, [`element at byte ${from}`]: element(actual) }).toEqual({ bytes: expected.length, [`element at byte ${from}`]: element(expected) });
}

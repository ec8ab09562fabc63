/** Which devices a CUDA module built for a list of architectures runs on. */
import { describe, expect, it } from 'vitest';
import { unsupportedReason } from '../../src/kernels/cuda.js';

const device = (computeCapability: string) => ({ index: 0, name: 'card', computeCapability });

describe('unsupportedReason', () => {
  it('runs where machine code or PTX reaches', () => {
    for (const cc of ['8.0', '8.6', '8.9', '9.0', '10.0', '12.0']) expect(unsupportedReason(device(cc), '80,86,89,90')).toBeNull();
    expect(unsupportedReason(device('8.9'), '80-real')).toBeNull();     // same major, newer minor
    expect(unsupportedReason(device('9.0'), '80-virtual')).toBeNull();  // PTX, compiled by the driver
  });

  it('says what to rebuild with where neither reaches', () => {
    expect(unsupportedReason(device('7.5'), '80,86,89,90')).toMatch(/sm 7\.5 .*GALACTIC_CUDA_ARCH=75 npm run build:cuda/);
    expect(unsupportedReason(device('9.0'), '80-real,86-real')).toMatch(/GALACTIC_CUDA_ARCH=90/);
    expect(unsupportedReason(device('8.0'), '90')).toMatch(/built for 90/);
  });
});

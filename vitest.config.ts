import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Kernel suites already use every core natively; running files one
    // after another keeps their timings and memory predictable.
    fileParallelism: false,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // one file at a time: several files run real-time probes, ffmpeg and worker processes whose deadlines
    // assume the machine is not shared with another heavy file
    fileParallelism: false,
    env: { NODE_ENV: 'test' },
  },
});

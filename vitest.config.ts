import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure logic and CDK assertions, no servers), `integration` (real emulators
// started by the tests on 127.0.0.1) and `browser` (the web monitor in Chromium, test/browser/).
// Each integration and browser file uses its own resource prefix, so files run in parallel.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        // The web monitor in Debian's Chromium (puppeteer-core) against an embedded runtime.
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});

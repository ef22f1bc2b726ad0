import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The function's JSON log lines stay out of the results (tests capture those they check).
    setupFiles: ['test/support/quiet-logs.ts'],
    // Tests talk to local servers only: a stray real AWS profile must never be used, and the SDK
    // must never look for credentials at the EC2 metadata address.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_PROFILE: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      // The DCV pre-check's DNS stays on loopback too: nothing listens there, so lookups fail at
      // once (and never block). Tests of the pre-check start their own DNS server.
      DNS_SERVERS: '127.0.0.1:9',
    },
  },
});

// Types for the undici module the DigiCert and Secrets Manager clients import directly. Importing it
// instead of the package root keeps unused undici (fetch, WebSocket, cache, mocks) out of the
// bundle. It is the public API's own `Pool`, hence the public types;
// test/digicert/undici-deep-imports.int.test.ts fails when an undici upgrade breaks that.
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';

  const PoolClass: typeof Pool;
  export default PoolClass;
}

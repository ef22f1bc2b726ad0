// Types for the two undici modules the DigiCert client imports directly. Importing them instead of
// the package root keeps ~250 KB of unused undici (fetch, WebSocket, cache, mocks) out of the bundle.
// They are the public API's own `Pool` and `Dispatcher.prototype.request`, hence the public types;
// test/integration/undici-deep-imports.test.ts fails when an undici upgrade breaks that.
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';

  const PoolClass: typeof Pool;
  export default PoolClass;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';

  function request(
    this: Dispatcher,
    options: Dispatcher.RequestOptions<unknown>,
  ): Promise<Dispatcher.ResponseData<unknown>>;
  export default request;
}

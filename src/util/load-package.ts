/**
 * A dependency loaded when it is first needed rather than at start: ajv (a configuration compiled
 * at run time, a hook library's parameter schema), pg (a PostgreSQL database), prom-client (a
 * metrics scrape). A server that needs none of them starts without their time and memory. The
 * packages are CommonJS, so they load synchronously; Node caches them after the first call.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export function loadPackage<T>(name: string): T {
  return require(name) as T;
}

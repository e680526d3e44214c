/**
 * `nestor/testing`: a hook library's tests, without sockets or root. TestServer4/TestServer6 run
 * the real nestor-dhcp4/nestor-dhcp6 query processing in memory with a configuration and the
 * library under test loaded; the query builders make DISCOVERs, REQUESTs, SOLICITs (relayed or
 * not) from a few fields; ManualClock ages leases without waiting. Read the reply, the leases
 * stored, the statistics, the log lines and the library's command answers.
 * Guide: docs/hooks/testing.md.
 */
export { ManualClock } from "./clock.ts";
export { TestServer4, type Arrival4, type Sent4, type TestServer4Options } from "./server4.ts";
export { TestServer6, TEST_SERVER_DUID, type Arrival6, type Sent6 } from "./server6.ts";
export { TestServerBase, type TestServerOptions } from "./test-server.ts";
export { iasOf, leasesIn, statusOf } from "./inspect6.ts";
export {
  decline,
  discover,
  inform,
  query4,
  release,
  request,
  type Query4Fields,
} from "./queries4.ts";
export {
  confirm,
  decline6,
  DEFAULT_DUID,
  informationRequest,
  query6,
  rebind,
  release6,
  renew,
  request6,
  solicit,
  type Ia6,
  type Query6Fields,
} from "./queries6.ts";

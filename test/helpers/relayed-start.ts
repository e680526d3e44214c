/**
 * Integration tests open their relay (a loopback socket) before the server, whose client port is
 * the relay's. A server that refuses its configuration must fail the test at once with its own
 * error: the relay is closed first, or its open socket would keep the test file's process alive
 * (a hang instead of a failure).
 */

/** Starts a server for an open relay; a refused start closes the relay and rethrows the error. */
export async function startForRelay<S>(
  relay: { close(): void },
  start: () => Promise<S>,
): Promise<S> {
  try {
    return await start();
  } catch (e) {
    relay.close();
    throw e;
  }
}

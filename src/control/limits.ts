/** Bounds every control connection lives within, whatever its transport. */
export interface ChannelLimits {
  /** A command larger than this is refused (result 1 on unix, HTTP 413) and the connection closed. */
  maxRequestBytes: number;
  /** A connection that sends nothing for this long is answered (unix) or closed. Kea: 10 s. */
  idleTimeoutMs: number;
  /**
   * Connections accepted at once per listener; more are refused by closing them. Kea sets no such
   * bound: this one only keeps a flood of clients from taking every file descriptor, and is far
   * above what operators' tools open (Kea answers 200 clients connecting at once; so does Nestor).
   */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ChannelLimits = {
  maxRequestBytes: 16 * 1024 * 1024,
  idleTimeoutMs: 10_000,
  maxConnections: 1024,
};

/** On close, how long a connection in progress may take to get its answer before it is cut. */
export const CLOSE_GRACE_MS = 2000;

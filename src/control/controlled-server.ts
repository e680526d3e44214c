/**
 * What the control channel needs of a DHCP server: the small interface both nestor-dhcp4 and
 * (later) nestor-dhcp6 implement. The servers do not import the control channel (the layers go
 * the other way); they match this interface by shape.
 */
import type { HooksManager } from "../hooks/hooks-manager.ts";
import type { JsonObject } from "../hooks/types.ts";
import type { LogManager } from "../log/logger.ts";
import type { Histogram } from "../stats/histogram.ts";
import type { StatsManager } from "../stats/stats-manager.ts";

export interface ControlledServer {
  /** "dhcp4" or "dhcp6": the `service` name a command may name. */
  readonly serviceName: string;
  /** "Dhcp4" or "Dhcp6": the configuration's top-level key. */
  readonly configKey: string;
  readonly version: string;
  readonly hooks: HooksManager;
  readonly stats: StatsManager;
  readonly logs: LogManager;
  /** The file the server was started with (-c). */
  readonly configFile: string;
  /** Date.now() when the server started, and when its configuration was last (re)loaded. */
  readonly startedAt: number;
  readonly configuredAt: number;
  /** The running configuration (the body under configKey), with Kea's defaults filled in. */
  readonly configuration: object;
  /** Checks a whole document `{ "Dhcp4": {...} }`, hook libraries included; throws why not. */
  testConfig(document: JsonObject): Promise<void>;
  /** Checks, then applies a document; on any failure the running configuration stays. */
  setConfig(document: JsonObject): Promise<void>;
  /** The same from the -c file again. */
  reload(): Promise<void>;
  /**
   * Imports the configured hook libraries afresh (all or nothing); with `library`, only that one,
   * the others untouched.
   */
  reloadLibraries(library?: string): Promise<void>;
  /** Reclaims the expired leases now; resolves to how many. */
  reclaimNow(remove?: boolean): Promise<number>;
  /** status-get's threading keys (multi-threading-enabled, and with it the pool and queue). */
  status?(): JsonObject;
  /** Stops (false) or resumes (true) answering clients. */
  setServiceEnabled(enabled: boolean): void;
  /** `GET /ready`: ready to serve, or why not (a server without it is ready once running). */
  readiness?(): { ready: boolean; reason: string };
  /** `GET /metrics` beyond the statistics: the packet path's gauges and histograms. */
  readonly runtimeMetrics?: {
    inFlight: number;
    parked: number;
    leaseWriteLatency: Histogram;
    leaseWriteBatch: Histogram;
  };
}

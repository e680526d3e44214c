/**
 * perfdhcp (Kea's load generator) run from a namespace, -4 or -6, and its final report read back.
 *
 * perfdhcp -4 acts as a relay: it sends from port 67 of its own address with giaddr set to that
 * address, and the server answers giaddr:67 by unicast. So the server needs only UDP sockets
 * (`dhcp-socket-type` "udp") and the subnet is chosen by giaddr.
 *
 * perfdhcp -6 acts as directly connected clients: it sends from the link-local address of its
 * interface, port 546, to ff02::1:2 port 547 on that link, and the server answers the link-local
 * address; the subnet is chosen by the arrival interface (`interface` in the subnet).
 *
 * Both run the 4-way exchange: DISCOVER-OFFER then REQUEST-ACK (v4), SOLICIT-ADVERTISE then
 * REQUEST-REPLY (v6).
 */
import type { TestBed } from "./netns.ts";
import { niced, type Processes } from "./processes.ts";

export type Family = 4 | 6;

export interface PerfdhcpRun {
  rate: number;
  seconds: number;
  /** Distinct simulated clients (-R): large, so that nearly every exchange is a new client. */
  clients: number;
  seed: number;
  /** Scheduling priority (processes.ts `niced`); 0 or absent: as it is. */
  nice?: number;
  /** The one CPU perfdhcp runs on (processes.ts `niced`); absent: any. */
  cpu?: number | undefined;
}

export interface PerfdhcpResult {
  /** DISCOVERs (v4) or SOLICITs (v6) sent: exchanges started. */
  started: number;
  /** OFFERs or ADVERTISEs received. */
  firstReplies: number;
  /** REQUESTs sent. */
  requestsSent: number;
  /** ACKs or REPLYs received: exchanges completed. */
  completed: number;
  /** perfdhcp's own "Rate:" line (completed 4-way exchanges per second). */
  reportedRate: number;
  exitCode: number;
  output: string;
}

/** The names of the messages of each family's 4-way exchange, for reports. */
export const MESSAGES: Record<Family, { start: string; done: string }> = {
  4: { start: "DISCOVER", done: "ACK" },
  6: { start: "SOLICIT", done: "REPLY" },
};

/** Fraction of started exchanges that did not complete. */
export function lossOf(r: PerfdhcpResult): number {
  return r.started === 0 ? 1 : 1 - r.completed / r.started;
}

export async function runPerfdhcp(
  bed: TestBed,
  procs: Processes,
  family: Family,
  job: PerfdhcpRun,
): Promise<PerfdhcpResult> {
  const args = [
    `-${family}`,
    "-l",
    bed.clientIface,
    "-r",
    String(job.rate),
    "-p",
    String(job.seconds),
    "-R",
    String(job.clients),
    "-s",
    String(job.seed),
    // v6: no server argument, so perfdhcp sends to ff02::1:2 on the -l interface.
    ...(family === 4 ? [bed.serverAddress] : []),
  ];
  const [cmd, argv] = bed.exec(bed.clientNs, ...niced(job.nice ?? 0, "perfdhcp", args, job.cpu));
  const p = procs.start(cmd, argv);
  const timer = setTimeout(() => void procs.stop(p, 2000), (job.seconds + 20) * 1000);
  const exitCode = await p.exited;
  clearTimeout(timer);
  return parseReport(p.output(), exitCode, family);
}

export function parseReport(output: string, exitCode: number, family: Family = 4): PerfdhcpResult {
  const section = (name: string): { sent: number; received: number } => {
    const start = output.indexOf(`***Statistics for: ${name}***`);
    if (start < 0) return { sent: 0, received: 0 };
    const text = output.slice(start, start + 2000);
    return {
      sent: Number(/sent packets: (\d+)/.exec(text)?.[1] ?? 0),
      received: Number(/received packets: (\d+)/.exec(text)?.[1] ?? 0),
    };
  };
  const first = section(family === 4 ? "DISCOVER-OFFER" : "SOLICIT-ADVERTISE");
  const second = section(family === 4 ? "REQUEST-ACK" : "REQUEST-REPLY");
  if (first.sent === 0 && exitCode !== 0 && exitCode !== 3) {
    throw new Error(`perfdhcp failed (exit ${exitCode}):\n${output.slice(-600)}`);
  }
  return {
    started: first.sent,
    firstReplies: first.received,
    requestsSent: second.sent,
    completed: second.received,
    reportedRate: Number(/Rate: ([\d.]+)/.exec(output)?.[1] ?? 0),
    exitCode,
    output,
  };
}

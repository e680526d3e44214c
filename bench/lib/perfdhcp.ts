/**
 * perfdhcp -4 (Kea's load generator) run from a namespace, and its final report read back.
 *
 * perfdhcp -4 acts as a relay: it sends from port 67 of its own address with giaddr set to that
 * address, and the server answers giaddr:67 by unicast. So the server needs only UDP sockets
 * (`dhcp-socket-type` "udp") and the subnet is chosen by giaddr.
 */
import type { TestBed } from "./netns.ts";
import type { Processes } from "./processes.ts";

export interface PerfdhcpRun {
  rate: number;
  seconds: number;
  /** Distinct simulated clients (-R): large, so that nearly every exchange is a new client. */
  clients: number;
  seed: number;
}

export interface PerfdhcpResult {
  discoversSent: number;
  offersReceived: number;
  requestsSent: number;
  acksReceived: number;
  /** perfdhcp's own "Rate:" line (completed 4-way exchanges per second). */
  reportedRate: number;
  exitCode: number;
  output: string;
}

/** Fraction of started exchanges that did not end with an ACK. */
export function lossOf(r: PerfdhcpResult): number {
  return r.discoversSent === 0 ? 1 : 1 - r.acksReceived / r.discoversSent;
}

export async function runPerfdhcp(
  bed: TestBed,
  procs: Processes,
  job: PerfdhcpRun,
): Promise<PerfdhcpResult> {
  const args = [
    "-4",
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
    bed.serverAddress,
  ];
  const [cmd, argv] = bed.exec(bed.clientNs, "perfdhcp", args);
  const p = procs.start(cmd, argv);
  const timer = setTimeout(() => void procs.stop(p, 2000), (job.seconds + 20) * 1000);
  const exitCode = await p.exited;
  clearTimeout(timer);
  return parseReport(p.output(), exitCode);
}

export function parseReport(output: string, exitCode: number): PerfdhcpResult {
  const section = (name: string): { sent: number; received: number } => {
    const start = output.indexOf(`***Statistics for: ${name}***`);
    if (start < 0) return { sent: 0, received: 0 };
    const text = output.slice(start, start + 2000);
    return {
      sent: Number(/sent packets: (\d+)/.exec(text)?.[1] ?? 0),
      received: Number(/received packets: (\d+)/.exec(text)?.[1] ?? 0),
    };
  };
  const dora = section("DISCOVER-OFFER");
  const rack = section("REQUEST-ACK");
  if (dora.sent === 0 && exitCode !== 0 && exitCode !== 3) {
    throw new Error(`perfdhcp failed (exit ${exitCode}):\n${output.slice(-600)}`);
  }
  return {
    discoversSent: dora.sent,
    offersReceived: dora.received,
    requestsSent: rack.sent,
    acksReceived: rack.received,
    reportedRate: Number(/Rate: ([\d.]+)/.exec(output)?.[1] ?? 0),
    exitCode,
    output,
  };
}

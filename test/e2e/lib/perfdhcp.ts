/** perfdhcp's end-of-run statistics, as the end-to-end suites read them. */

export interface PerfdhcpStats {
  /** "SOLICIT-ADVERTISE", "REQUEST-REPLY", "DISCOVER-OFFER", "REQUEST-ACK"... */
  exchange: string;
  sent: number;
  received: number;
  drops: number;
}

/** The per-exchange statistics perfdhcp prints at the end ("***Statistics for: ...***"). */
export function perfdhcpStats(output: string): PerfdhcpStats[] {
  const stats: PerfdhcpStats[] = [];
  for (const block of output.split("***Statistics for: ").slice(1)) {
    const num = (label: string): number => {
      const m = block.match(new RegExp(`^${label}: (\\d+)$`, "m"));
      if (m === null) throw new Error(`perfdhcp printed no "${label}":\n${output}`);
      return Number(m[1]);
    };
    stats.push({
      exchange: block.slice(0, block.indexOf("***")),
      sent: num("sent packets"),
      received: num("received packets"),
      drops: num("drops"),
    });
  }
  if (stats.length === 0) throw new Error(`perfdhcp printed no statistics:\n${output}`);
  return stats;
}

/**
 * The statistics of one exchange; throws when perfdhcp printed none for it (with `output`, what
 * perfdhcp printed, when given).
 */
export function exchangeStats(
  stats: readonly PerfdhcpStats[],
  exchange: string,
  output?: string,
): PerfdhcpStats {
  const s = stats.find((x) => x.exchange.startsWith(exchange));
  if (s === undefined) {
    const printed = output === undefined ? "" : `:\n${output}`;
    throw new Error(
      `no ${exchange} statistics in ${stats.map((x) => x.exchange).join(", ")}${printed}`,
    );
  }
  return s;
}

/**
 * perfdhcp -4's arguments for DORA at `rate`/s for `seconds` s from up to `clients` new clients
 * (-R, -s for a repeatable choice of MAC addresses), acting as a relay from `ifname`'s address
 * (giaddr), -W waiting 1 s after the last DISCOVER for late answers.
 */
export function perfdhcp4Args(
  ifname: string,
  o: { rate: number; seconds: number; clients: number; seed: number },
): string[] {
  return [
    "-4",
    "-l",
    ifname,
    "-r",
    String(o.rate),
    "-p",
    String(o.seconds),
    "-R",
    String(o.clients),
    "-s",
    String(o.seed),
    "-W",
    "1000000",
    "all",
  ];
}

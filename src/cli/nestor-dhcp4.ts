#!/usr/bin/env node
/** nestor-dhcp4: the DHCPv4 server, with Kea's flags (see server-main.ts). */
import { buildDhcp4Model } from "../dhcpsrv/model/cfg4.ts";
import { Dhcp4Server, VERSION } from "../dhcp4/server.ts";
import { runServerCli } from "./server-main.ts";

await runServerCli({
  name: "nestor-dhcp4",
  family: 4,
  version: VERSION,
  defaultPorts: { server: 67, client: 68 },
  buildModel: ({ config, source }, file) => void buildDhcp4Model(config, file, source),
  start: (options) => Dhcp4Server.start(options),
  hint: (server, clientPort, file) => {
    const ifaces = server.iface.interfaces();
    if (ifaces.length === 0 || !ifaces.every((i) => i.name === "lo")) return "";
    return (
      `loopback only: from this project, try it with a relay on 127.0.0.1 asking for a lease:\n` +
      `  npm run try:dhcp4 -- --server-port ${server.port} --client-port ${clientPort}\n` +
      `stop with Ctrl-C (SIGINT) or SIGTERM; SIGHUP reloads ${file}\n`
    );
  },
});

#!/usr/bin/env node
/** nestor-dhcp6: the DHCPv6 server, with Kea's flags (see server-main.ts). */
import { buildDhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import { Dhcp6Server, VERSION } from "../dhcp6/server.ts";
import { runServerCli } from "./server-main.ts";

await runServerCli({
  name: "nestor-dhcp6",
  family: 6,
  version: VERSION,
  defaultPorts: { server: 547, client: 546 },
  buildModel: ({ config, source }, file) => void buildDhcp6Model(config, file, source),
  start: (options) => Dhcp6Server.start(options),
});

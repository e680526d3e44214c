/** nestor-dhcp6, the DHCPv6 server, with Kea's flags (server-main.ts); nestor-dhcp6.ts runs it. */
import { Dhcp6Server } from "../dhcp6/server.ts";
import { buildDhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import { runServerCli } from "./server-main.ts";

await runServerCli({
  family: 6,
  server: Dhcp6Server,
  buildModel: buildDhcp6Model,
  tryScript: "try:dhcp6",
});

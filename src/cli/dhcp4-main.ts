/** nestor-dhcp4, the DHCPv4 server, with Kea's flags (server-main.ts); nestor-dhcp4.ts runs it. */
import { Dhcp4Server } from "../dhcp4/server.ts";
import { buildDhcp4Model } from "../dhcpsrv/model/cfg4.ts";
import { runServerCli } from "./server-main.ts";

await runServerCli({
  family: 4,
  server: Dhcp4Server,
  buildModel: buildDhcp4Model,
  tryScript: "try:dhcp4",
});

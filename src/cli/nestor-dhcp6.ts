#!/usr/bin/env node
/** nestor-dhcp6: the DHCPv6 server, with Kea's flags (see server-main.ts). */
import { Dhcp6Server } from "../dhcp6/server.ts";
import { buildDhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import { runServerCli } from "./server-main.ts";

await runServerCli({ family: 6, server: Dhcp6Server, buildModel: buildDhcp6Model });

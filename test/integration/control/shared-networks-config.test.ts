// Shared networks through the control channel of a running nestor-dhcp4: a config-set naming two
// networks alike is refused with the key and the reason and changes nothing; one that puts the
// subnet in a network (its relay at network level) and adds a second subnet applies at once, the
// next client served from the second subnet when the first is full; config-get shows the
// networks as written, their subnets inside them, and the subnets' statistics are there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DHCPMessageType as T } from "../../../src/dhcp/constants.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { body4, dora, mac, startBed, unixCommand } from "./helpers.ts";

function networks(names: [string, string]): JsonObject {
  return body4({
    subnet4: [],
    "shared-networks": [
      {
        name: names[0],
        relay: { "ip-addresses": ["127.0.0.1"] },
        subnet4: [
          { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.11" }] },
          { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.10 - 203.0.113.20" }] },
        ],
      },
      { name: names[1], subnet4: [] },
    ],
  });
}

test("config-set with shared networks: a name used twice is refused; a network applies at once; config-get shows it", async () => {
  const bed = await startBed();
  try {
    const before = await unixCommand(bed.socketPath, { command: "config-hash-get" });
    const refused = await unixCommand(bed.socketPath, {
      command: "config-set",
      arguments: { Dhcp4: networks(["lab", "lab"]) },
    });
    assert.equal(refused.result, 1);
    assert.match(
      refused.text!,
      /Dhcp4\.shared-networks\[1\]\.name: a shared network with the name 'lab' already exists \(shared-networks\[0\]\)/,
    );
    assert.deepEqual(await unixCommand(bed.socketPath, { command: "config-hash-get" }), before);

    const set = await unixCommand(bed.socketPath, {
      command: "config-set",
      arguments: { Dhcp4: networks(["lab", "spare"]) },
    });
    assert.equal(set.result, 0, set.text);
    const got: string[] = [];
    for (let i = 1; i <= 3; i++) got.push((await dora(bed, mac(i)))!.yiaddr);
    assert.deepEqual(got, ["198.51.100.10", "198.51.100.11", "203.0.113.10"]);
    const ack = await dora(bed, mac(3));
    assert.equal(ack?.getType(), T.DHCPACK);

    const answer = await unixCommand(bed.socketPath, { command: "config-get" });
    const dhcp4 = (answer.arguments as JsonObject)["Dhcp4"] as JsonObject;
    assert.deepEqual(dhcp4["subnet4"], []);
    const nets = dhcp4["shared-networks"] as JsonObject[];
    assert.deepEqual(
      nets.map((n) => n["name"]),
      ["lab", "spare"],
    );
    assert.deepEqual(nets[0]!["relay"], { "ip-addresses": ["127.0.0.1"] });
    const subnets = nets[0]!["subnet4"] as JsonObject[];
    assert.deepEqual(
      subnets.map((s) => [s["id"], s["subnet"]]),
      [
        [1, "198.51.100.0/24"],
        [2, "203.0.113.0/24"],
      ],
    );
    // As written: the subnet does not show the network's relay.
    assert.equal(subnets[1]!["relay"], undefined);

    const stat = await unixCommand(bed.socketPath, {
      command: "statistic-get",
      arguments: { name: "subnet[2].assigned-addresses" },
    });
    const samples = (stat.arguments as Record<string, [number, string][]>)[
      "subnet[2].assigned-addresses"
    ];
    assert.equal(samples?.[0]?.[0], 1);
  } finally {
    await bed.close();
  }
});

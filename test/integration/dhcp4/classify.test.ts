// Client classification in the DHCPv4 server, query to reply through the in-process server: pools
// and subnets guarded by classes (from tests, from hook libraries, built in), the options, boot
// fields and lifetimes classes give, and Kea's own BOOTP/DHCP pool split from its ARM.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DHO } from "../../../src/dhcp/constants.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Pkt4 } from "../../../src/dhcp/pkt4.ts";
import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";
import { buildDhcp4Model } from "../../../src/dhcpsrv/model/cfg4.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import {
  SERVER_ADDR,
  T,
  config4,
  exchange,
  query4,
  server4,
  type QueryOptions,
} from "../../helpers/dhcp4.ts";

const ADD_CLASS = fileURLToPath(
  new URL("../../fixtures/classify-hooks/add-class.ts", import.meta.url),
);

const AASTRA = "02:00:00:00:00:0a";
const OTHER = "02:00:00:00:00:0b";

/** A query with extra options (option 60 and the like) after the helper's own. */
function query(type: number, o: QueryOptions & { extra?: [number, string | Buffer][] } = {}) {
  const p = Pkt4.parse(query4(type, o));
  for (const [code, data] of o.extra ?? []) {
    p.addOption(new Option(4, code, typeof data === "string" ? Buffer.from(data) : data));
  }
  return p.pack();
}

const vendor = (text: string): [number, string] => [DHO.VENDOR_CLASS_IDENTIFIER, text];

function addClass(hook: string, cls: string, mac?: string): JsonObject {
  const parameters: JsonObject = { hook, class: cls };
  if (mac !== undefined) parameters["mac"] = mac;
  return { library: ADD_CLASS, parameters };
}

const TWO_POOLS = (guard: JsonObject) => ({
  pools: [
    { pool: "198.51.100.10 - 198.51.100.12", ...guard },
    { pool: "198.51.100.20 - 198.51.100.22" },
  ],
});

describe("pools guarded by a class", () => {
  const phones = {
    "client-classes": [{ name: "phones", test: "substring(option[60].hex,0,6) == 'Aastra'" }],
  };

  test("members get addresses from the guarded pool, the others from the open one", async () => {
    const bed = await server4(config4(phones, TWO_POOLS({ "client-class": "phones" })));
    const member = await exchange(
      bed,
      query(T.DHCPDISCOVER, { mac: AASTRA, extra: [vendor("Aastra 6757i")] }),
    );
    assert.equal(member!.pkt.yiaddr, "198.51.100.10");
    const other = await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER }));
    assert.equal(other!.pkt.yiaddr, "198.51.100.20");
  });

  test("a client in no class of the only pool gets nothing; a member does", async () => {
    const bed = await server4(
      config4(phones, {
        pools: [{ pool: "198.51.100.10 - 198.51.100.12", "client-classes": ["phones"] }],
      }),
    );
    assert.equal(await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER })), null);
    assert.equal(bed.stats.get("pkt4-offer-sent")?.value ?? 0, 0);
    // Nor can it take a guarded address by asking for it.
    const req = await exchange(
      bed,
      query(T.DHCPREQUEST, { mac: OTHER, requested: "198.51.100.10", serverId: SERVER_ADDR }),
    );
    assert.equal(req!.pkt.getType(), T.DHCPNAK);
    const member = await exchange(
      bed,
      query(T.DHCPREQUEST, {
        mac: AASTRA,
        requested: "198.51.100.11",
        serverId: SERVER_ADDR,
        extra: [vendor("Aastra 6757i")],
      }),
    );
    assert.equal(member!.pkt.getType(), T.DHCPACK);
    assert.equal(member!.pkt.yiaddr, "198.51.100.11");
  });

  test("a client that left the class cannot renew in the pool (NAK, as Kea), and moves on DISCOVER", async () => {
    const bed = await server4(config4(phones, TWO_POOLS({ "client-class": "phones" })));
    const ack = await exchange(
      bed,
      query(T.DHCPREQUEST, {
        mac: AASTRA,
        requested: "198.51.100.10",
        serverId: SERVER_ADDR,
        extra: [vendor("Aastra 6757i")],
      }),
    );
    assert.equal(ack!.pkt.getType(), T.DHCPACK);
    // Same client, no longer sending the vendor class: its lease is in a pool it may not use.
    const renew = await exchange(
      bed,
      query(T.DHCPREQUEST, { mac: AASTRA, ciaddr: "198.51.100.10" }),
      "198.51.100.10",
      SERVER_ADDR,
    );
    assert.equal(renew!.pkt.getType(), T.DHCPNAK);
    const offer = await exchange(bed, query(T.DHCPDISCOVER, { mac: AASTRA }));
    assert.equal(offer!.pkt.yiaddr, "198.51.100.20");
  });

  test("a reserved address is given to its client whatever the pool's guard", async () => {
    const bed = await server4(
      config4(phones, {
        pools: [{ pool: "198.51.100.10 - 198.51.100.12", "client-class": "phones" }],
        reservations: [{ "hw-address": OTHER, "ip-address": "198.51.100.11" }],
      }),
    );
    const r = await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER }));
    assert.equal(r!.pkt.yiaddr, "198.51.100.11");
  });
});

describe("classes added by hook libraries", () => {
  test("a class added in pkt4_receive guards a pool", async () => {
    const bed = await server4(config4({}, TWO_POOLS({ "client-class": "lab" })), [
      addClass("pkt4_receive", "lab", AASTRA),
    ]);
    const member = await exchange(bed, query(T.DHCPDISCOVER, { mac: AASTRA }));
    assert.equal(member!.pkt.yiaddr, "198.51.100.10");
    const other = await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER }));
    assert.equal(other!.pkt.yiaddr, "198.51.100.20");
  });

  test("a class added in buffer4_receive guards a subnet", async () => {
    const cfg = config4(
      {},
      { "client-classes": ["lab"], relay: { "ip-addresses": ["198.51.100.254"] } },
    );
    const bed = await server4(cfg, [addClass("buffer4_receive", "lab", AASTRA)]);
    const relayed = (mac: string) => query(T.DHCPDISCOVER, { mac, giaddr: "198.51.100.254" });
    const member = await exchange(bed, relayed(AASTRA), "198.51.100.254", SERVER_ADDR);
    assert.equal(member!.pkt.yiaddr, "198.51.100.10");
    assert.equal(await exchange(bed, relayed(OTHER), "198.51.100.254", SERVER_ADDR), null);
  });

  test("a class added in pkt4_receive is visible to the tests of KNOWN-dependent classes", async () => {
    const cfg = config4(
      {
        // A class a hook library adds is defined without a test, so that tests may name it.
        "client-classes": [
          { name: "lab" },
          { name: "known-lab", test: "member('lab') and member('UNKNOWN')" },
        ],
      },
      TWO_POOLS({ "client-class": "known-lab" }),
    );
    const bed = await server4(cfg, [addClass("pkt4_receive", "lab", AASTRA)]);
    const r = await exchange(bed, query(T.DHCPDISCOVER, { mac: AASTRA }));
    assert.equal(r!.pkt.yiaddr, "198.51.100.10");
  });

  test("a test that fails on a packet leaves the class out, is logged, and the client is served", async () => {
    const cfg = config4(
      { "client-classes": [{ name: "odd", test: "uint16totext(pkt4.mac) == '1'" }] },
      TWO_POOLS({ "client-class": "odd" }),
    );
    const bed = await server4(cfg);
    const r = await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER }));
    assert.equal(r!.pkt.yiaddr, "198.51.100.20");
    assert.ok(
      bed.lines.some(
        (l) =>
          l.includes("ERROR") &&
          l.includes("DHCP4_CLASS_EVAL_ERROR") &&
          l.includes("class odd: Can not convert to valid uint16."),
      ),
      bed.lines.join(""),
    );
  });

  test("the DROP class drops the query", async () => {
    const bed = await server4(config4(), [addClass("pkt4_receive", "DROP", OTHER)]);
    assert.equal(await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER })), null);
    assert.equal(bed.stats.get("pkt4-receive-drop")!.value, 1);
    assert.ok(await exchange(bed, query(T.DHCPDISCOVER, { mac: AASTRA })));
  });
});

describe("Kea's ARM example: BOOTP and DHCP pools", () => {
  // kea-arm hooks-bootp: "client-classes": [ { "name": "DHCP", "test": "not member('BOOTP')" } ]
  // with one pool per class; the bootp library puts BOOTP queries in class BOOTP. A stand-in
  // library adds the class to one client's queries in buffer4_receive, where the bootp library
  // does.
  const arm = config4(
    { "client-classes": [{ name: "DHCP", test: "not member('BOOTP')" }] },
    {
      pools: [
        { pool: "198.51.100.10 - 198.51.100.12", "client-class": "BOOTP" },
        { pool: "198.51.100.20 - 198.51.100.22", "client-classes": ["DHCP"] },
      ],
    },
  );

  test("the configuration is Kea 2.2's and is accepted as written", () => {
    assert.doesNotThrow(() => parseConfigText(arm, 4, "arm.json"));
  });

  test("BOOTP clients get the BOOTP pool, DHCP clients the DHCP pool", async () => {
    const bed = await server4(arm, [addClass("buffer4_receive", "BOOTP", AASTRA)]);
    const bootp = await exchange(
      bed,
      query(T.DHCPREQUEST, { mac: AASTRA, requested: "198.51.100.11", serverId: SERVER_ADDR }),
    );
    assert.equal(bootp!.pkt.getType(), T.DHCPACK);
    assert.equal(bootp!.pkt.yiaddr, "198.51.100.11");
    const dhcp = await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER }));
    assert.equal(dhcp!.pkt.yiaddr, "198.51.100.20");
    // A DHCP client asking for a BOOTP address is refused.
    const steal = await exchange(
      bed,
      query(T.DHCPREQUEST, { mac: OTHER, requested: "198.51.100.12", serverId: SERVER_ADDR }),
    );
    assert.equal(steal!.pkt.getType(), T.DHCPNAK);
  });
});

describe("what classes give", () => {
  test("a class's option-data is sent to members, below the subnet's, above the global ones", async () => {
    const cfg = config4({
      "client-classes": [
        {
          name: "phones",
          test: "option[60].text == 'Aastra'",
          "option-data": [
            { name: "domain-name-servers", data: "203.0.113.53" },
            { name: "routers", data: "203.0.113.1" },
          ],
        },
      ],
      "option-data": [{ name: "domain-name-servers", data: "198.18.0.53" }],
    });
    const bed = await server4(cfg);
    const member = await exchange(
      bed,
      query(T.DHCPDISCOVER, { mac: AASTRA, extra: [vendor("Aastra")] }),
    );
    const dns = member!.pkt.getOption(DHO.DOMAIN_NAME_SERVERS)!.getData();
    assert.deepEqual([...dns], [203, 0, 113, 53]);
    // The subnet's routers option wins over the class's.
    assert.deepEqual([...member!.pkt.getOption(DHO.ROUTERS)!.getData()], [198, 51, 100, 1]);
    const other = await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER }));
    assert.deepEqual(
      [...other!.pkt.getOption(DHO.DOMAIN_NAME_SERVERS)!.getData()],
      [198, 18, 0, 53],
    );
  });

  test("VENDOR_CLASS_ classes are built in: option 60 names them, guards and options use them", async () => {
    const cfg = config4(
      {
        "client-classes": [
          {
            name: "VENDOR_CLASS_docsis3.0",
            "option-data": [{ name: "domain-name", data: "cable.example" }],
          },
        ],
      },
      TWO_POOLS({ "client-class": "VENDOR_CLASS_docsis3.0" }),
    );
    const bed = await server4(cfg);
    const modem = await exchange(
      bed,
      query(T.DHCPDISCOVER, { mac: AASTRA, extra: [vendor("docsis3.0"), [15, "x"]], prl: [15] }),
    );
    assert.equal(modem!.pkt.yiaddr, "198.51.100.10");
    assert.equal(modem!.pkt.getOption(DHO.DOMAIN_NAME)!.getData().toString(), "cable.example");
    // Logged at debug level 40 as Kea does, after each classification pass.
    assert.ok(
      bed.lines.some(
        (l) =>
          l.includes("DHCP4_CLASS_ASSIGNED") &&
          l.includes("class(es): ALL, VENDOR_CLASS_docsis3.0\n"),
      ),
    );
    const pc = await exchange(
      bed,
      query(T.DHCPDISCOVER, { mac: OTHER, extra: [vendor("MSFT 5.0")] }),
    );
    assert.equal(pc!.pkt.yiaddr, "198.51.100.20");
  });

  test("KNOWN and UNKNOWN: clients with a reservation and the others get different pools", async () => {
    const cfg = config4(
      {},
      {
        pools: [
          { pool: "198.51.100.10 - 198.51.100.12", "client-class": "KNOWN" },
          { pool: "198.51.100.20 - 198.51.100.22", "client-class": "UNKNOWN" },
        ],
        reservations: [{ "hw-address": AASTRA, hostname: "phone" }],
      },
    );
    const bed = await server4(cfg);
    assert.equal(
      (await exchange(bed, query(T.DHCPDISCOVER, { mac: AASTRA })))!.pkt.yiaddr,
      "198.51.100.10",
    );
    assert.equal(
      (await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER })))!.pkt.yiaddr,
      "198.51.100.20",
    );
  });

  test("a reservation's client-classes put its client in them", async () => {
    const cfg = config4(
      {
        "client-classes": [
          { name: "vip", "option-data": [{ name: "domain-name", data: "vip.example" }] },
        ],
      },
      {
        ...TWO_POOLS({ "client-class": "vip" }),
        reservations: [{ "hw-address": AASTRA, "client-classes": ["vip"] }],
      },
    );
    const bed = await server4(cfg);
    const r = await exchange(bed, query(T.DHCPDISCOVER, { mac: AASTRA, prl: [15] }));
    assert.equal(r!.pkt.yiaddr, "198.51.100.10");
    assert.equal(r!.pkt.getOption(DHO.DOMAIN_NAME)!.getData().toString(), "vip.example");
  });

  test("boot fields and the valid lifetime of a class; a reservation's boot fields win", async () => {
    const cfg = config4(
      {
        "client-classes": [
          {
            name: "pxe",
            test: "substring(option[60].hex,0,9) == 'PXEClient'",
            "next-server": "198.51.100.5",
            "server-hostname": "boot.example",
            "boot-file-name": "pxelinux.0",
            "valid-lifetime": 600,
            "min-valid-lifetime": 300,
            "max-valid-lifetime": 900,
          },
        ],
      },
      { reservations: [{ "hw-address": OTHER, "boot-file-name": "special.efi" }] },
    );
    const bed = await server4(cfg);
    const pxe = vendor("PXEClient:Arch:00007");
    const r = await exchange(bed, query(T.DHCPDISCOVER, { mac: AASTRA, extra: [pxe] }));
    assert.equal(r!.pkt.siaddr, "198.51.100.5");
    assert.equal(r!.pkt.sname, "boot.example");
    assert.equal(r!.pkt.file, "pxelinux.0");
    assert.equal(r!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 600);
    // A requested lifetime is bounded by the class's min and max.
    const long = await exchange(
      bed,
      query(T.DHCPDISCOVER, {
        mac: AASTRA,
        extra: [pxe, [DHO.DHCP_LEASE_TIME, Buffer.from([0, 0, 0x27, 0x10])]],
      }),
    );
    assert.equal(long!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 900);
    const special = await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER, extra: [pxe] }));
    assert.equal(special!.pkt.file, "special.efi");
    assert.equal(special!.pkt.sname, "boot.example");
    const plain = await exchange(bed, query(T.DHCPDISCOVER, { mac: "02:00:00:00:00:0c" }));
    assert.equal(plain!.pkt.file, "");
    assert.equal(plain!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 4000);
  });

  test("an only-if-required class counts only where a pool requires it", async () => {
    const late = {
      name: "late",
      test: "member('ALL')",
      "only-if-required": true,
      "option-data": [{ name: "domain-name", data: "late.example" }],
    };
    const cfg = config4(
      { "client-classes": [late] },
      {
        pools: [
          { pool: "198.51.100.10 - 198.51.100.10", "require-client-classes": ["late"] },
          { pool: "198.51.100.20 - 198.51.100.22" },
        ],
      },
    );
    const bed = await server4(cfg);
    const first = await exchange(
      bed,
      query(T.DHCPREQUEST, {
        mac: AASTRA,
        requested: "198.51.100.10",
        serverId: SERVER_ADDR,
        prl: [15],
      }),
    );
    assert.equal(first!.pkt.getOption(DHO.DOMAIN_NAME)!.getData().toString(), "late.example");
    const second = await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER, prl: [15] }));
    assert.equal(second!.pkt.yiaddr, "198.51.100.20");
    assert.equal(second!.pkt.getOption(DHO.DOMAIN_NAME), undefined);
  });
});

describe("additional classes (later Kea's evaluate-additional-classes)", () => {
  test("a listed class without a test joins; a Kea 2.2 required one without a test does not", async () => {
    const cfg = config4(
      {
        "client-classes": [
          {
            name: "extra",
            "only-in-additional-list": true,
            "option-data": [{ name: "domain-name", data: "extra.example" }],
          },
        ],
      },
      {
        pools: [
          { pool: "198.51.100.10 - 198.51.100.10", "evaluate-additional-classes": ["extra"] },
          { pool: "198.51.100.20 - 198.51.100.22", "require-client-classes": ["extra"] },
        ],
      },
    );
    const bed = await server4(cfg);
    const first = await exchange(
      bed,
      query(T.DHCPREQUEST, {
        mac: AASTRA,
        requested: "198.51.100.10",
        serverId: SERVER_ADDR,
        prl: [15],
      }),
    );
    assert.equal(first!.pkt.getOption(DHO.DOMAIN_NAME)!.getData().toString(), "extra.example");
    const second = await exchange(bed, query(T.DHCPDISCOVER, { mac: OTHER, prl: [15] }));
    assert.equal(second!.pkt.yiaddr, "198.51.100.20");
    assert.equal(second!.pkt.getOption(DHO.DOMAIN_NAME), undefined);
  });
});

describe("configuration", () => {
  const build = (extra: JsonObject, subnet: JsonObject = {}) => {
    const { config, source } = parseConfigText(config4(extra, subnet), 4, "kea.conf");
    return buildDhcp4Model(config, "kea.conf", source);
  };
  const refusal = (extra: JsonObject, subnet: JsonObject = {}): string => {
    try {
      build(extra, subnet);
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail("accepted");
  };

  test("a guard may name a class nobody defines (a hook library may add it), as Kea 2.2", () => {
    assert.doesNotThrow(() => build({}, { "client-class": "from-a-hook" }));
  });

  test("a test that does not parse is refused with its key, position and reason", () => {
    assert.match(
      refusal({ "client-classes": [{ name: "a", test: "option[60].hex == 'x' or" }] }),
      /^kea\.conf:1:\d+: Dhcp4\.client-classes\[0\]\.test: expression \[option\[60\]\.hex == 'x' or\] error at character 25: syntax error, unexpected end of expression, expecting a string expression$/,
    );
  });

  test("member() of a class not defined before is refused, as Kea", () => {
    assert.match(
      refusal({
        "client-classes": [
          { name: "a", test: "member('b')" },
          { name: "b", test: "member('ALL')" },
        ],
      }),
      /Dhcp4\.client-classes\[0\]\.test: .*Not defined client class 'b'/,
    );
  });

  test("a function Kea does not have is named in the refusal", () => {
    assert.match(
      refusal({ "client-classes": [{ name: "a", test: "lower(option[60].hex) == 'x'" }] }),
      /client-classes\[0\]\.test: .* error at character 1: unknown name "lower"/,
    );
  });

  test("two classes with one name, and both guard spellings at once, are refused", () => {
    assert.match(
      refusal({ "client-classes": [{ name: "a" }, { name: "a" }] }),
      /client-classes\[1\]\.name: Client Class: a has already been defined/,
    );
    assert.match(
      refusal({}, { "client-class": "a", "client-classes": ["b"] }),
      /subnet4\[0\]\.client-class: cannot specify both/,
    );
  });
});

describe("option 43 read after the first classification (Kea's deferred unpacking)", () => {
  const classes: JsonObject = {
    "client-classes": [
      {
        name: "apc",
        test: "option[60].text == 'APC'",
        "option-def": [{ name: "vendor-encapsulated-options", code: 43, type: "string" }],
      },
      { name: "early", test: "option[43].option[1].exists" },
      {
        name: "late",
        test: "option[43].option[1].hex == 'abc'",
        "only-if-required": true,
        "option-data": [{ name: "domain-name", data: "late.example" }],
      },
    ],
  };
  const sub1 = Buffer.from("0103616263", "hex");

  test("the first tests see 43 as bytes, later ones its sub-options; a class may define it", async () => {
    const bed = await server4(config4(classes, { "require-client-classes": ["late"] }));
    const plain = await exchange(
      bed,
      query(T.DHCPDISCOVER, { mac: OTHER, prl: [15], extra: [[43, sub1]] }),
    );
    assert.equal(plain!.pkt.getOption(15)?.getData().toString(), "late.example");
    const apc = await exchange(
      bed,
      query(T.DHCPDISCOVER, { mac: AASTRA, prl: [15], extra: [vendor("APC"), [43, sub1]] }),
    );
    assert.equal(apc!.pkt.getType(), T.DHCPOFFER);
    assert.equal(apc!.pkt.getOption(15), undefined, "the APC class reads 43 as a string");
  });

  test("a malformed option 43 is kept as it came, and the query answered", async () => {
    const bed = await server4(config4(classes, { "require-client-classes": ["late"] }));
    const bad = await exchange(
      bed,
      query(T.DHCPDISCOVER, { mac: OTHER, prl: [15], extra: [[43, Buffer.from("0105ab", "hex")]] }),
    );
    assert.equal(bad!.pkt.getType(), T.DHCPOFFER);
    assert.equal(bad!.pkt.getOption(15), undefined);
  });
});

/**
 * run_script in the in-process servers (nestor/testing): load errors, the environment of every
 * hook point, DROP/SKIP on entry, sync exit statuses and their effect on the packet, the sync
 * timeout, and the asynchronous mode's failures logged without delaying the packet.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DHO, HWAddr, Option, Pkt4 } from "nestor/dhcp";
import { Lease4, LeaseState } from "nestor/dhcp4";
import { Lease6 } from "nestor/dhcp6";
import {
  HooksManager,
  LogManager,
  ServerHooks,
  parseHooksLibraries,
  type JsonObject,
} from "nestor/hooks";
import { DHCPMessageType as T, DHCPv6MessageType as M, type Pkt6 } from "nestor/dhcp";
import {
  TestServer4,
  TestServer6,
  iasOf,
  leasesIn,
  query4 as kitQuery4,
  query6 as kitQuery6,
  type Query4Fields,
  type Query6Fields,
} from "nestor/testing";

const LIB = fileURLToPath(new URL("../index.ts", import.meta.url));

// The servers of nestor/testing, with this file's configurations and the queries' fixed
// transaction id and client DUID (which the scripts' environments show).
const SERVER_ADDR = "198.51.100.1";
const CLIENT_DUID = "00010001aabbccdd020000000001";

function config4(extra: JsonObject = {}, subnet: JsonObject = {}): JsonObject {
  return {
    "valid-lifetime": 4000,
    "renew-timer": 1000,
    "rebind-timer": 2000,
    subnet4: [
      {
        id: 1,
        subnet: "198.51.100.0/24",
        pools: [{ pool: "198.51.100.10 - 198.51.100.12" }],
        "option-data": [{ name: "routers", data: "198.51.100.1" }],
        ...subnet,
      },
    ],
    ...extra,
  };
}

function config6(): JsonObject {
  return {
    "preferred-lifetime": 3000,
    "valid-lifetime": 4000,
    "renew-timer": 1000,
    "rebind-timer": 2000,
    subnet6: [
      {
        id: 1,
        subnet: "2001:db8:1::/64",
        interface: "eth0",
        pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::12" }],
        "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 56, "delegated-len": 60 }],
        "option-data": [{ name: "dns-servers", data: "2001:db8:1::53" }],
      },
    ],
  };
}

const server4 = (config: JsonObject, libraries: JsonObject[]) =>
  TestServer4.start({ config, libraries: libraries as { library: string }[] });
const server6 = (config: JsonObject, libraries: JsonObject[]) =>
  TestServer6.start({ config, libraries: libraries as { library: string }[] });

const query4 = (type: number, f: Query4Fields & { giaddr?: string }): Pkt4 =>
  kitQuery4(type, { xid: 0x1234, ...f, ...(f.giaddr === undefined ? {} : { relay: f.giaddr }) });

/** A v6 query from CLIENT_DUID (REQUEST, RENEW, RELEASE, DECLINE name the server). */
const query6 = (type: number, f: Query6Fields): Pkt6 =>
  kitQuery6(type, { xid: 0x1234, duid: CLIENT_DUID, ...f });

const arrival = (from?: string, to?: string) => ({
  ...(from === undefined ? {} : { from }),
  ...(to === undefined ? {} : { to }),
});
const exchange = (bed: TestServer4, q: Pkt4, from?: string, to?: string) =>
  bed.exchange(q, arrival(from, to));
const exchange6 = (bed: TestServer6, q: Pkt6) => bed.exchange(q);
const SET_STATUS4 = fileURLToPath(
  new URL("../../../test/fixtures/dhcp4-hooks/set-status.ts", import.meta.url),
);

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "run-script-"));
  dirs.push(d);
  return d;
}

function script(dir: string, name: string, body: string, mode = 0o755): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

/**
 * A script that records its arguments and its environment exactly as it got them
 * (/proc/$$/environ of the shell, before the shell adds anything) in OUT/<time>.<hook>.
 */
function dumpScript(dir: string, extra = ""): string {
  return script(
    dir,
    "dump.sh",
    // Written aside then renamed into out/: a run is never read half written.
    `/bin/cat /proc/$$/environ > "${dir}/run.$$" && /bin/mv "${dir}/run.$$" "${dir}/out/$(/bin/date +%s%N).$1.$#"\n${extra}`,
  );
}

interface Run {
  hook: string;
  argc: number;
  env: Record<string, string>;
}

function runs(dir: string): Run[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, "out")).sort();
  } catch {
    return [];
  }
  return names.map((n) => {
    const [, hook, argc] = n.split(".");
    const env: Record<string, string> = {};
    for (const kv of readFileSync(join(dir, "out", n), "utf8").split("\0")) {
      if (kv === "") continue;
      const eq = kv.indexOf("=");
      env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    return { hook: hook!, argc: Number(argc), env };
  });
}

/** Empties the directory the dump script writes to. */
function freshOut(dir: string): void {
  rmSync(join(dir, "out"), { recursive: true, force: true });
  mkdirSync(join(dir, "out"));
}

/** Waits (bounded) until `n` script runs were recorded. */
async function waitRuns(dir: string, n: number, ms = 5000): Promise<Run[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = runs(dir);
    if (r.length >= n) return r;
    if (Date.now() > deadline) throw new Error(`expected ${n} script runs, got ${r.length}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function waitLog(lines: string[], re: RegExp, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const l = lines.find((x) => re.test(x));
    if (l !== undefined) return l;
    if (Date.now() > deadline) throw new Error(`no log line matching ${re}:\n${lines.join("\n")}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

function lib(parameters: JsonObject): JsonObject {
  return { library: LIB, parameters };
}

const MAC = "02:00:00:00:00:01";

/** DISCOVER, REQUEST; returns the address obtained. */
async function dora(bed: Awaited<ReturnType<typeof server4>>, mac = MAC): Promise<string> {
  const offer = await exchange(bed, query4(T.DHCPDISCOVER, { mac }));
  assert.ok(offer !== null, "an OFFER");
  const addr = offer.pkt.yiaddr;
  const ack = await exchange(
    bed,
    query4(T.DHCPREQUEST, { mac, requested: addr, serverId: SERVER_ADDR }),
  );
  assert.ok(ack !== null, "an ACK");
  assert.equal(ack.pkt.getType(), T.DHCPACK);
  return addr;
}

// --- load errors ----------------------------------------------------------------------------

/** load() alone, as the framework calls it (without the parameters' schema check before it). */
async function loadOnly(parameters: JsonObject): Promise<void> {
  const logs = new LogManager("nestor-test");
  logs.configure([{ name: "nestor-test", severity: "NONE" }]);
  const hooks = new HooksManager({ serverHooks: new ServerHooks(), logManager: logs });
  await hooks.loadLibraries(parseHooksLibraries([lib(parameters)]));
  await hooks.unloadLibraries();
}

test("load refuses a missing, a non-executable or a non-file script, and bad parameters", async () => {
  const dir = tempDir();
  const ok = script(dir, "ok.sh", "exit 0");
  const noexec = script(dir, "noexec.sh", "exit 0", 0o644);
  const cases: [JsonObject, RegExp][] = [
    [{}, /The 'name' parameter is mandatory/],
    [{ name: 42 }, /The 'name' parameter must be a string/],
    [{ name: join(dir, "missing.sh") }, /File not found: .*missing\.sh/],
    [{ name: noexec }, /File not executable: .*noexec\.sh/],
    [{ name: dir }, /not a regular file/],
    [{ name: ok, sync: "yes" }, /The 'sync' parameter must be a boolean/],
    [{ name: ok, timeout: "5" }, /'timeout' parameter must be an integer/],
    [{ name: ok, timeout: 0 }, /'timeout' parameter must be an integer/],
    [{ name: ok, timeout: 60_000 }, /'timeout' parameter must be an integer/],
    [{ name: ok, synch: true }, /unknown parameter 'synch'/],
  ];
  for (const [parameters, re] of cases) {
    await assert.rejects(loadOnly(parameters), re, JSON.stringify(parameters));
  }
  // A server checks the parameters' schema first: the same mistakes refused by -t already.
  await assert.rejects(
    server4(config4(), [lib({})]),
    /parameters: missing mandatory parameter "name"/,
  );
  await assert.rejects(
    server4(config4(), [lib({ name: ok, sync: "yes" })]),
    /parameters\.sync: must be a boolean/,
  );
  // And the good ones load.
  const bed = await server4(config4(), [lib({ name: ok, sync: true, timeout: 1000 })]);
  assert.ok(bed.logLines.some((l) => /RUN_SCRIPT_LOAD /.test(l)));
});

// --- the environment, DHCPv4 ----------------------------------------------------------------

test("v4: committed, renew, release, decline: the hook name as only argument and only Kea's variables", async () => {
  const dir = tempDir();
  freshOut(dir);
  const bed = await server4(config4(), [lib({ name: dumpScript(dir), sync: true })]);
  const addr = await dora(bed);
  const [committed] = await waitRuns(dir, 1);
  assert.equal(committed!.hook, "leases4_committed");
  assert.equal(committed!.argc, 1);
  const e = committed!.env;
  assert.equal(e.PATH, undefined, "no PATH: only the generated variables");
  assert.equal(e.QUERY4_TYPE, "DHCPREQUEST");
  assert.equal(e.QUERY4_TXID, String(0x1234));
  assert.equal(e.QUERY4_IFACE_NAME, "eth0");
  assert.equal(e.QUERY4_HWADDR, MAC);
  assert.equal(e.QUERY4_HWADDR_TYPE, "1");
  assert.equal(e.QUERY4_RELAYED, "false");
  assert.equal(e.QUERY4_CIADDR, "0.0.0.0");
  assert.equal(e.LEASES4_SIZE, "1");
  assert.equal(e.DELETED_LEASES4_SIZE, "0");
  assert.equal(e.LEASES4_AT0_ADDRESS, addr);
  assert.equal(e.LEASES4_AT0_HWADDR, MAC);
  assert.equal(e.LEASES4_AT0_STATE, "default");
  assert.equal(e.LEASES4_AT0_SUBNET_ID, "1");
  assert.equal(e.LEASES4_AT0_VALID_LIFETIME, "4000");
  assert.equal(e.LEASES4_AT0_CLIENT_ID, "");
  assert.ok(Math.abs(Number(e.LEASES4_AT0_CLTT) - Date.now() / 1000) < 10);
  assert.equal(e.QUERY4_OPTION_82, undefined, "no option 82: no variable");
  assert.deepEqual(
    Object.keys(e).sort(),
    [...QUERY4_KEYS, ...atKeys("LEASES4_AT0"), "DELETED_LEASES4_SIZE", "LEASES4_SIZE"].sort(),
  );

  // Renew: a REQUEST from the bound client (ciaddr, no requested address).
  freshOut(dir);
  await exchange(bed, query4(T.DHCPREQUEST, { mac: MAC, ciaddr: addr }), addr, SERVER_ADDR);
  const renew = (await waitRuns(dir, 2)).map((r) => r.hook);
  assert.deepEqual(renew, ["lease4_renew", "leases4_committed"]);
  const r = runs(dir)[0]!.env;
  assert.equal(r.SUBNET4_ID, "1");
  assert.equal(r.SUBNET4_NAME, "198.51.100.0/24");
  assert.equal(r.SUBNET4_PREFIX, "198.51.100.0");
  assert.equal(r.SUBNET4_PREFIX_LEN, "24");
  assert.equal(r.PKT4_HWADDR, MAC);
  assert.equal(r.PKT4_CLIENT_ID, "");
  assert.equal(r.LEASE4_ADDRESS, addr);
  assert.equal(r.QUERY4_CIADDR, addr);
  assert.equal(r.QUERY4_REMOTE_ADDR, addr);

  // Release.
  freshOut(dir);
  const rel = Pkt4.create(T.DHCPRELEASE, 0x77);
  rel.setHWAddr(HWAddr.fromText(MAC));
  rel.ciaddr = addr;
  rel.addOption(new Option(4, DHO.DHCP_SERVER_IDENTIFIER, Buffer.from([198, 51, 100, 1])));
  await exchange(bed, rel, addr, SERVER_ADDR);
  const released = await waitRuns(dir, 2);
  assert.deepEqual(
    released.map((x) => x.hook),
    ["lease4_release", "leases4_committed"],
  );
  assert.equal(released[0]!.env.QUERY4_TYPE, "DHCPRELEASE");
  assert.equal(released[0]!.env.LEASE4_ADDRESS, addr);
  assert.equal(released[1]!.env.LEASES4_SIZE, "0");
  assert.equal(released[1]!.env.DELETED_LEASES4_SIZE, "1");
  assert.equal(released[1]!.env.DELETED_LEASES4_AT0_ADDRESS, addr);

  // Decline of a new lease.
  const addr2 = await dora(bed, "02:00:00:00:00:02");
  freshOut(dir);
  const dec = Pkt4.create(T.DHCPDECLINE, 0x78);
  dec.setHWAddr(HWAddr.fromText("02:00:00:00:00:02"));
  dec.addOption(
    new Option(4, DHO.DHCP_REQUESTED_ADDRESS, Buffer.from(addr2.split(".").map(Number))),
  );
  dec.addOption(new Option(4, DHO.DHCP_SERVER_IDENTIFIER, Buffer.from([198, 51, 100, 1])));
  await exchange(bed, dec);
  const declined = await waitRuns(dir, 2);
  assert.deepEqual(
    declined.map((x) => x.hook),
    ["lease4_decline", "leases4_committed"],
  );
  assert.equal(declined[0]!.env.QUERY4_TYPE, "DHCPDECLINE");
  assert.equal(declined[0]!.env.LEASE4_ADDRESS, addr2);
  assert.equal(declined[0]!.env.LEASE4_HWADDR, "02:00:00:00:00:02", "still the client's identity");
});

const QUERY4_KEYS = [
  "TYPE",
  "TXID",
  "LOCAL_ADDR",
  "LOCAL_PORT",
  "REMOTE_ADDR",
  "REMOTE_PORT",
  "IFACE_INDEX",
  "IFACE_NAME",
  "HOPS",
  "SECS",
  "FLAGS",
  "CIADDR",
  "SIADDR",
  "YIADDR",
  "GIADDR",
  "RELAYED",
  "HWADDR",
  "HWADDR_TYPE",
  "LOCAL_HWADDR",
  "LOCAL_HWADDR_TYPE",
  "REMOTE_HWADDR",
  "REMOTE_HWADDR_TYPE",
].map((k) => `QUERY4_${k}`);

function atKeys(prefix: string): string[] {
  return [
    "ADDRESS",
    "CLTT",
    "HOSTNAME",
    "HWADDR",
    "HWADDR_TYPE",
    "STATE",
    "SUBNET_ID",
    "VALID_LIFETIME",
    "CLIENT_ID",
  ].map((k) => `${prefix}_${k}`);
}

test("v4: option 82 of a relayed query: the whole option and sub-options 1 and 2 in hex", async () => {
  const dir = tempDir();
  freshOut(dir);
  const bed = await server4(config4({}, { relay: { "ip-addresses": ["198.51.100.254"] } }), [
    lib({ name: dumpScript(dir) }),
  ]);
  const rai = new Option(4, DHO.DHCP_AGENT_OPTIONS);
  rai.addOption(new Option(4, 1, Buffer.from("eth7")));
  rai.addOption(new Option(4, 2, Buffer.from([0xab, 0xcd])));
  const q = query4(T.DHCPREQUEST, {
    mac: MAC,
    requested: "198.51.100.10",
    serverId: SERVER_ADDR,
    giaddr: "198.51.100.254",
  });
  q.addOption(rai);
  await exchange(bed, q, "198.51.100.254", SERVER_ADDR);
  const [c] = await waitRuns(dir, 1);
  assert.equal(c!.env.QUERY4_RELAYED, "true");
  assert.equal(c!.env.QUERY4_GIADDR, "198.51.100.254");
  assert.equal(c!.env.QUERY4_HOPS, "1");
  assert.equal(c!.env.QUERY4_OPTION_82, "0x010465746837" + "0202ABCD");
  assert.equal(c!.env.QUERY4_OPTION_82_SUB_OPTION_1, "0x65746837");
  assert.equal(c!.env.QUERY4_OPTION_82_SUB_OPTION_2, "0xABCD");
});

/**
 * The reclamation hook points called as a server calls them (the real reclaimer runs them in the
 * end-to-end test): a HooksManager with the library loaded, one handle, the hook's arguments.
 */
async function callReclaimHook(
  parameters: JsonObject,
  hook: string,
  args: Record<string, unknown>,
): Promise<number> {
  const serverHooks = new ServerHooks();
  for (const h of ["lease4_expire", "lease4_recover", "lease6_expire", "lease6_recover"]) {
    serverHooks.registerHook(h);
  }
  const logs = new LogManager("nestor-test");
  logs.configure([{ name: "nestor-test", severity: "NONE" }]);
  const hooks = new HooksManager({ serverHooks, logManager: logs });
  await hooks.loadLibraries(parseHooksLibraries([lib(parameters)]));
  const handle = hooks.createCalloutHandle();
  handle.prepare();
  for (const [k, v] of Object.entries(args)) handle.setArgument(k, v);
  await hooks.callCallouts(serverHooks.getIndex(hook), handle);
  const status = handle.getStatus();
  await handle.release();
  await hooks.unloadLibraries();
  return status;
}

test("v4 and v6 reclamation: lease4_expire, lease4_recover, lease6_expire, lease6_recover", async () => {
  const dir = tempDir();
  const name = dumpScript(dir);
  const lease4 = new Lease4({
    address: "198.51.100.11",
    hwaddr: HWAddr.fromText("02:00:00:00:00:09"),
    clientId: Buffer.from([1, 2, 3]),
    validLifetime: 100,
    cltt: 1_700_000_000,
    subnetId: 1,
    hostname: "old.example.org",
  });
  freshOut(dir);
  await callReclaimHook({ name, sync: true }, "lease4_expire", { lease4, remove_lease: false });
  const [exp] = await waitRuns(dir, 1);
  assert.equal(exp!.hook, "lease4_expire");
  assert.deepEqual(exp!.env, {
    LEASE4_ADDRESS: "198.51.100.11",
    LEASE4_CLTT: "1700000000",
    LEASE4_HOSTNAME: "old.example.org",
    LEASE4_HWADDR: "02:00:00:00:00:09",
    LEASE4_HWADDR_TYPE: "1",
    LEASE4_STATE: "default",
    LEASE4_SUBNET_ID: "1",
    LEASE4_VALID_LIFETIME: "100",
    LEASE4_CLIENT_ID: "01:02:03",
    REMOVE_LEASE: "false",
  });

  const declined4 = lease4.clone();
  declined4.decline(3600, 1_700_000_100);
  freshOut(dir);
  await callReclaimHook({ name, sync: true }, "lease4_recover", { lease4: declined4 });
  const [rec] = await waitRuns(dir, 1);
  assert.equal(rec!.hook, "lease4_recover");
  assert.equal(rec!.env.LEASE4_STATE, "declined");
  assert.equal(rec!.env.LEASE4_CLTT, "1700000100");
  assert.equal(rec!.env.LEASE4_CLIENT_ID, "");
  assert.equal(rec!.env.LEASE4_HWADDR, "");
  assert.equal(rec!.env.LEASE4_HWADDR_TYPE, "1", "Kea's empty hardware address is of type 1");
  assert.equal(rec!.env.REMOVE_LEASE, undefined);

  const lease6 = new Lease6({
    address: "2001:db8:8::",
    type: 2,
    prefixLen: 60,
    duid: Buffer.from("000300010200000000aa", "hex"),
    iaid: 9,
    preferredLifetime: 50,
    validLifetime: 100,
    cltt: 1_700_000_000,
    subnetId: 4,
  });
  freshOut(dir);
  await callReclaimHook({ name, sync: true }, "lease6_expire", { lease6, remove_lease: true });
  const [exp6] = await waitRuns(dir, 1);
  assert.deepEqual(exp6!.env, {
    LEASE6_ADDRESS: "2001:db8:8::",
    LEASE6_CLTT: "1700000000",
    LEASE6_HOSTNAME: "",
    LEASE6_HWADDR: "",
    LEASE6_HWADDR_TYPE: "",
    LEASE6_STATE: "default",
    LEASE6_SUBNET_ID: "4",
    LEASE6_VALID_LIFETIME: "100",
    LEASE6_DUID: "00:03:00:01:02:00:00:00:00:aa",
    LEASE6_IAID: "9",
    LEASE6_PREFERRED_LIFETIME: "50",
    LEASE6_PREFIX_LEN: "60",
    LEASE6_TYPE: "IA_PD",
    REMOVE_LEASE: "true",
  });
  const declined6 = new Lease6({ ...lease6, type: 0, address: "2001:db8:1::10", prefixLen: 128 });
  declined6.decline(3600, 1_700_000_100);
  freshOut(dir);
  await callReclaimHook({ name, sync: true }, "lease6_recover", { lease6: declined6 });
  const [rec6] = await waitRuns(dir, 1);
  assert.equal(rec6!.hook, "lease6_recover");
  assert.equal(rec6!.env.LEASE6_STATE, "declined");
  assert.equal(rec6!.env.LEASE6_DUID, "00", "Kea's empty DUID");
  assert.equal(rec6!.env.LEASE6_TYPE, "IA_NA");

  // A sync exit status reaches the reclaimer too: 1 is SKIP ("the callout reclaimed it").
  const skip = script(dir, "skip.sh", "exit 1");
  assert.equal(
    await callReclaimHook({ name: skip, sync: true }, "lease4_expire", {
      lease4,
      remove_lease: false,
    }),
    1,
  );
});

// --- status on entry, sync statuses --------------------------------------------------------

test("DROP or SKIP on entry: the script does not run (CONTINUE: it does)", async () => {
  for (const status of [0, 1, 2]) {
    const dir = tempDir();
    freshOut(dir);
    // sync: a run, had there been one, is finished when the exchange is.
    const bed = await server4(config4(), [
      { library: SET_STATUS4, parameters: { hook: "leases4_committed", status } },
      lib({ name: dumpScript(dir), sync: true }),
    ]);
    await dora(bed).catch(() => undefined); // DROP: no ACK
    assert.deepEqual(
      runs(dir).map((r) => r.hook),
      status === 0 ? ["leases4_committed"] : [],
      `status ${status}`,
    );
  }
});

test("sync: exit 0 CONTINUE, 1 SKIP, 2 DROP act on the packet; 7 is logged and changes nothing", async () => {
  const dir = tempDir();
  // The exit status comes from a file the test writes before each exchange.
  const status = join(dir, "status");
  const name = script(dir, "status.sh", `exit $(/bin/cat ${status})`);
  const bed = await server4(config4(), [lib({ name, sync: true })]);
  const release = async (addr: string) => {
    const rel = Pkt4.create(T.DHCPRELEASE, 0x77);
    rel.setHWAddr(HWAddr.fromText(MAC));
    rel.ciaddr = addr;
    rel.addOption(new Option(4, DHO.DHCP_SERVER_IDENTIFIER, Buffer.from([198, 51, 100, 1])));
    await exchange(bed, rel, addr, SERVER_ADDR);
  };
  writeFileSync(status, "0");
  const addr = await dora(bed);
  // 1 on lease4_release: SKIP, the lease is kept.
  writeFileSync(status, "1");
  await release(addr);
  assert.equal(bed.leases.getLease4(addr)?.state, LeaseState.DEFAULT, "SKIP keeps the lease");
  // 7: logged, status unchanged (CONTINUE): released.
  writeFileSync(status, "7");
  await release(addr);
  assert.equal(bed.leases.getLease4(addr), null, "7 leaves CONTINUE: released");
  assert.ok(
    bed.logLines.some((l) => /RUN_SCRIPT_BAD_STATUS .*lease4_release exited with 7/.test(l)),
  );
  // 2 on leases4_committed of a REQUEST: DROP, no ACK.
  writeFileSync(status, "2");
  const offer = await exchange(bed, query4(T.DHCPDISCOVER, { mac: MAC }));
  const ack = await exchange(
    bed,
    query4(T.DHCPREQUEST, { mac: MAC, requested: offer!.pkt.yiaddr, serverId: SERVER_ADDR }),
  );
  assert.equal(ack, null, "DROP: no response");
});

test("sync: while one request waits for its script, another is served", async () => {
  const dir = tempDir();
  // Slow for one client only: the script sees the query's hardware address.
  const name = script(
    dir,
    "slow-for-one.sh",
    'case "$QUERY4_HWADDR" in 02:00:00:00:00:01) /bin/sleep 1 ;; esac\nexit 0',
  );
  const bed = await server4(config4(), [lib({ name, sync: true })]);
  const order: string[] = [];
  const slow = dora(bed, "02:00:00:00:00:01").then(() => order.push("slow"));
  await new Promise((r) => setTimeout(r, 100)); // the slow one is waiting for its script
  const t0 = Date.now();
  await dora(bed, "02:00:00:00:00:02").then(() => order.push("fast"));
  assert.ok(Date.now() - t0 < 700, "the second client did not wait for the first one's script");
  await slow;
  assert.deepEqual(order, ["fast", "slow"]);
});

test("sync: a script past its timeout is killed, logged, and the packet goes on", async () => {
  const dir = tempDir();
  // The script starts a program of its own and waits for it: both must be gone after the kill.
  const pidFile = join(dir, "child.pid");
  const name = script(dir, "slow.sh", `/bin/sleep 10 &\necho $! > ${pidFile}\nwait`);
  const bed = await server4(config4(), [lib({ name, sync: true, timeout: 300 })]);
  const t0 = Date.now();
  const addr = await dora(bed);
  const took = Date.now() - t0;
  assert.ok(addr.startsWith("198.51.100."));
  assert.ok(took >= 290 && took < 3000, `took ${took} ms`);
  assert.ok(
    bed.logLines.some((l) =>
      /RUN_SCRIPT_TIMEOUT .*leases4_committed did not finish within 300 ms/.test(l),
    ),
  );
  const child = Number(readFileSync(pidFile, "utf8"));
  // Alive = the process exists and is not a zombie waiting for its (new) parent to reap it.
  const alive = (): boolean => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${child}/stat`, "utf8"));
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(), false, "the script's own child was killed with it");
});

test("async: the packet does not wait for the script; failures are logged when it ends", async () => {
  const dir = tempDir();
  const name = script(dir, "slowfail.sh", "/bin/sleep 1\nexit 3");
  const bed = await server4(config4(), [lib({ name })]);
  const t0 = Date.now();
  await dora(bed);
  assert.ok(Date.now() - t0 < 800, "the ACK came before the script ended");
  assert.ok(!bed.logLines.some((l) => /RUN_SCRIPT_FAILED/.test(l)));
  await waitLog(bed.logLines, /RUN_SCRIPT_FAILED .*leases4_committed exited with status 3/);
  // A signal is reported as such.
  const dir2 = tempDir();
  const killed = script(dir2, "killed.sh", "kill -TERM $$");
  const bed2 = await server4(config4(), [lib({ name: killed })]);
  await dora(bed2);
  await waitLog(bed2.logLines, /RUN_SCRIPT_FAILED .*was killed by SIGTERM/);
});

test("a script removed after load: the spawn error is logged, the packet goes on", async () => {
  const dir = tempDir();
  const name = script(dir, "gone.sh", "exit 0");
  const bed = await server4(config4(), [lib({ name, sync: true })]);
  rmSync(name);
  const addr = await dora(bed);
  assert.ok(addr.startsWith("198.51.100."));
  assert.ok(
    bed.logLines.some((l) => /RUN_SCRIPT_SPAWN_FAILED .*gone\.sh for leases4_committed/.test(l)),
  );
});

// --- DHCPv6 ------------------------------------------------------------------------------

test("v6: committed, renew, rebind, release, decline with Kea's variables; PKT6_IA from ia_na or ia_pd", async () => {
  const dir = tempDir();
  freshOut(dir);
  const bed = await server6(config6(), [lib({ name: dumpScript(dir), sync: true })]);
  const ias = [{ iaid: 7 }, { pd: true, iaid: 8 }];
  const rep = await exchange6(bed, query6(M.DHCPV6_REQUEST, { ias }));
  const got = iasOf(rep!.pkt).map((o) => leasesIn(o)[0]!);
  const [c] = await waitRuns(dir, 1);
  assert.equal(c!.hook, "leases6_committed");
  const e = c!.env;
  assert.equal(e.PATH, undefined);
  assert.equal(e.QUERY6_TYPE, "REQUEST");
  assert.equal(e.QUERY6_TXID, String(0x1234));
  assert.equal(e.QUERY6_PROTO, "UDP");
  assert.equal(e.QUERY6_CLIENT_ID, "00:01:00:01:aa:bb:cc:dd:02:00:00:00:00:01");
  assert.equal(e.QUERY6_REMOTE_HWADDR, "");
  assert.equal(e.LEASES6_SIZE, "2");
  assert.equal(e.LEASES6_AT0_ADDRESS, got[0]);
  assert.equal(e.LEASES6_AT0_TYPE, "IA_NA");
  assert.equal(e.LEASES6_AT0_PREFIX_LEN, "128");
  assert.equal(e.LEASES6_AT0_IAID, "7");
  assert.equal(e.LEASES6_AT0_PREFERRED_LIFETIME, "3000");
  assert.equal(e.LEASES6_AT0_DUID, e.QUERY6_CLIENT_ID);
  assert.equal(`${e.LEASES6_AT1_ADDRESS}/${e.LEASES6_AT1_PREFIX_LEN}`, got[1]);
  assert.equal(e.LEASES6_AT1_TYPE, "IA_PD");
  assert.equal(e.DELETED_LEASES6_SIZE, "0");

  for (const [type, hook] of [
    [M.DHCPV6_RENEW, "lease6_renew"],
    [M.DHCPV6_REBIND, "lease6_rebind"],
  ] as const) {
    freshOut(dir);
    const hints = [
      { iaid: 7, hints: [got[0]!] },
      { pd: true, iaid: 8, hints: [got[1]!] },
    ];
    await exchange6(
      bed,
      query6(type, { ias: hints, serverId: type === M.DHCPV6_REBIND ? null : undefined }),
    );
    const rs = await waitRuns(dir, 3);
    assert.deepEqual(
      rs.map((x) => x.hook),
      [hook, hook, "leases6_committed"],
    );
    assert.equal(rs[0]!.env.LEASE6_TYPE, "IA_NA");
    assert.equal(rs[0]!.env.PKT6_IA_IAID, "7");
    assert.equal(rs[0]!.env.PKT6_IA_IA_TYPE, "3");
    assert.equal(rs[1]!.env.LEASE6_TYPE, "IA_PD");
    assert.equal(rs[1]!.env.PKT6_IA_IAID, "8");
    assert.equal(rs[1]!.env.PKT6_IA_IA_TYPE, "25");
    assert.ok(rs[0]!.env.PKT6_IA_IA_T1 !== undefined && rs[0]!.env.PKT6_IA_IA_T2 !== undefined);
  }

  freshOut(dir);
  await exchange6(bed, query6(M.DHCPV6_DECLINE, { ias: [{ iaid: 7, hints: [got[0]!] }] }));
  const dec = await waitRuns(dir, 2);
  assert.deepEqual(
    dec.map((x) => x.hook),
    ["lease6_decline", "leases6_committed"],
  );
  assert.equal(dec[0]!.env.LEASE6_ADDRESS, got[0]);
  assert.equal(dec[0]!.env.QUERY6_TYPE, "DECLINE");

  freshOut(dir);
  await exchange6(
    bed,
    query6(M.DHCPV6_RELEASE, { ias: [{ pd: true, iaid: 8, hints: [got[1]!] }] }),
  );
  const rel = await waitRuns(dir, 2);
  assert.deepEqual(
    rel.map((x) => x.hook),
    ["lease6_release", "leases6_committed"],
  );
  assert.equal(`${rel[0]!.env.LEASE6_ADDRESS}/${rel[0]!.env.LEASE6_PREFIX_LEN}`, got[1]);
  assert.equal(rel[1]!.env.DELETED_LEASES6_SIZE, "1");
});

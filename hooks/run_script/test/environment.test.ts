/** run_script's QUERY4_ variables for the frame's hardware addresses (Kea 2.2's formats). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { HWAddr, Pkt4 } from "nestor/dhcp";
import { addPkt4, type Env } from "../environment.ts";

function query(link: Buffer | null): Pkt4 {
  const q = Pkt4.create(3, 0x1234);
  q.setHWAddr(HWAddr.fromText("02:00:00:00:0a:0b"));
  q.link = link;
  return q;
}

test("QUERY4_LOCAL_HWADDR and QUERY4_REMOTE_HWADDR are the frame's destination and source", () => {
  const env: Env = {};
  addPkt4(env, "QUERY4", query(Buffer.from("0a0b0c0d0e0f" + "020000000a0b", "hex")));
  assert.equal(env.QUERY4_LOCAL_HWADDR, "0a:0b:0c:0d:0e:0f");
  assert.equal(env.QUERY4_LOCAL_HWADDR_TYPE, "1");
  assert.equal(env.QUERY4_REMOTE_HWADDR, "02:00:00:00:0a:0b");
  assert.equal(env.QUERY4_REMOTE_HWADDR_TYPE, "1");
});

test("a query that came through a UDP socket leaves them empty, type included, as Kea does", () => {
  const env: Env = {};
  addPkt4(env, "QUERY4", query(null));
  assert.equal(env.QUERY4_LOCAL_HWADDR, "");
  assert.equal(env.QUERY4_LOCAL_HWADDR_TYPE, "");
  assert.equal(env.QUERY4_REMOTE_HWADDR, "");
  assert.equal(env.QUERY4_REMOTE_HWADDR_TYPE, "");
});

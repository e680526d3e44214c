// Bounded, seeded fuzzing of Pkt4/Pkt6 for CI (the long run is `npm run fuzz:wire`). A packet
// off the network either parses, or is refused with PacketParseError pointing inside it; nothing
// else may escape unpack(), and nothing may hang. On failure the seed, the case and the packet's
// hex are printed, and `npm run fuzz:wire -- --seed S --case I` replays one case.
// NESTOR_FUZZ_SEED=<n> runs the same cases under another seed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PacketParseError, Pkt4, Pkt6 } from "../../../src/dhcp/index.ts";
import { allVectors, bytes } from "../../fixtures/wire/vectors.ts";
import { check } from "../../fuzz/check.ts";
import { DEFAULT_SEED, describeFailure, runFuzz } from "../../fuzz/harness.ts";
import { optionSpans } from "../../fuzz/mutate.ts";

const VECTORS = allVectors();
const SEED = Number(process.env.NESTOR_FUZZ_SEED ?? DEFAULT_SEED) >>> 0;
const PER_VECTOR = 52; // 86 vectors x 52 = 4472 mutated packets

test(`${PER_VECTOR} random mutations of every captured packet parse or are refused with PacketParseError (seed ${SEED})`, async (t) => {
  const iterations = VECTORS.length * PER_VECTOR;
  const r = await runFuzz({ seed: SEED, iterations, hangMs: 5000 });
  t.diagnostic(
    `seed ${SEED}: ${r.parsed} parsed, ${r.rejected} refused, ${r.failures.length} failures, ` +
      `${Math.round(r.ms)} ms`,
  );
  assert.equal(
    r.failures.length,
    0,
    `\n${r.failures.map((f) => describeFailure(SEED, f)).join("\n")}`,
  );
  assert.equal(r.ran, iterations);
  assert.equal(r.parsed + r.rejected, iterations);
});

test("every truncation of every captured packet parses or is refused with PacketParseError", () => {
  const failures: string[] = [];
  let cases = 0;
  for (const v of VECTORS) {
    const wire = bytes(v);
    for (let n = 0; n < wire.length; n++) {
      const cut = wire.subarray(0, n);
      const verdict = check(cut, v.family);
      cases++;
      if (verdict.kind === "bug") failures.push(`${v.name} cut to ${n}: ${verdict.error}`);
    }
  }
  assert.ok(cases > 15_000);
  assert.deepEqual(failures, []);
});

test("an option whose length runs past its packet or parent option is refused at that option", () => {
  // For each option at any depth (DHCPv4 options; DHCPv6 options, IA sub-options, relayed
  // messages): set its length so it ends one byte past what encloses it, and expect
  // PacketParseError at the option's first byte, counted from the start of the packet.
  let cases = 0;
  for (const v of VECTORS) {
    const wire = bytes(v);
    for (const s of optionSpans(wire, v.family)) {
      const len = s.limit - (s.lenAt + s.lenSize) + 1;
      if (len > (s.lenSize === 1 ? 255 : 65535)) continue;
      const bad = Buffer.from(wire);
      if (s.lenSize === 1) bad[s.lenAt] = len;
      else bad.writeUInt16BE(len, s.lenAt);
      const parseIt = (): unknown => (v.family === 4 ? Pkt4.parse(bad) : Pkt6.parse(bad));
      assert.throws(
        parseIt,
        (e: unknown) => e instanceof PacketParseError && e.offset === s.start,
        `${v.name}: option at ${s.start} with length ${len}`,
      );
      cases++;
    }
  }
  assert.ok(cases > 500, `${cases} options tried`);
});

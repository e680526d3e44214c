/**
 * Compares Nestor's configuration reader with Kea's own (`kea-dhcp4 -t`, `kea-dhcp6 -t`) on
 * small configurations that probe one rule each, and prints where they disagree on accepting.
 * Not a test (it needs Kea 2.2 installed: Debian's kea-dhcp4-server and kea-dhcp6-server): run it
 * after changing a rule, and compare its output with the differences docs/configuration.md lists.
 *
 *   node test/unit/dhcpsrv/config/kea-compare.ts
 *
 * Kea's `-t` also checks the machine (interfaces, hook libraries), so cases here use none.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfigText } from "../../../../src/dhcpsrv/config/validate.ts";
import { checkKeaConfig } from "../../../e2e/lib/kea.ts";

const dir = mkdtempSync(join(tmpdir(), "nestor-kea-compare-"));

const DHCP4 = [
  '{"Dhcp4":{"server-hostname":"a\\tb"}}',
  '{"Dhcp4":{"server-hostname":"a\\u0041"}}',
  '{"Dhcp4":{"server-hostname":"a\\x41"}}',
  '{"Dhcp4":{"server-hostname":"a\\/b"}}',
  '{"Dhcp4":{"server-hostname":"a\tb"}}',
  "Dhcp4",
  '{"Dhcp4":{"valid-lifetime":1}}//x',
  '{"Dhcp4":{"valid-lifetime":1}}/*x',
  '{"Dhcp4":{"valid-lifetime":1}}/',
  '{"Dhcp4":{"authoritative":TRUE}}',
  '{"Dhcp4":{"authoritative":True}}',
  '{"Dhcp4":{"user-context":{"a":null}}}',
  '{"Dhcp4":{"valid-lifetime":null}}',
  '{"Dhcp4":{"user-context":{"a":NaN}}}',
  '{"Dhcp4":{"user-context":{"a":-0}}}',
  '{"Dhcp4":{"user-context":{"a":1.5e400}}}',
  '{"Dhcp4":{"user-context":{"":1}}}',
  '{"Dhcp4":{"user-context":{"a":"\\u00e9"}}}',
  '{"Dhcp4":{}} ',
  '\n\n{"Dhcp4":{}}\n# end',
  '{"Dhcp4":{"valid-lifetime":1 # c\n}}',
  '{"Dhcp4":{"valid-lifetime"  :  1}}',
  '{"Dhcp4":{"user-context":{"a":[]}}}',
  '{"Dhcp4":{"user-context":[]}}',
  '{"Dhcp4":{"interfaces-config":{"interfaces":[]}}}',
  '{"Dhcp4":{"interfaces-config":{}}}',
  '{"Dhcp4":{"subnet4":[{}]}}',
  '{"Dhcp4":{"option-data":[{}]}}',
  '{"Dhcp4":{"option-data":[{"name":"routers"}]}}',
  '{"Dhcp4":{"loggers":[{"name":"kea-dhcp4","severity":"warn"}]}}',
  '{"Dhcp4":{"loggers":[{"name":"kea-dhcp4","severity":"WARNING"}]}}',
  '{"Dhcp4":{"hooks-libraries":[{"library":""}]}}',
  '{"Dhcp4":{"hooks-libraries":[{"library":"/x.so","parameters":[]}]}}',
  '{"Dhcp4":{"next-server":""}}',
  '{"Dhcp4":{"subnet4":[{"subnet":"10.0.0.0/8","id":0}]}}',
  '{"Dhcp4":{"subnet4":[{"subnet":"10.0.0.0/8","pools":[{"pool":"10.0.0.1"}]}]}}',
  '{"Dhcp4":{"subnet4":[{"subnet":"10.0.0.0/8","pools":[{"pool":"10.0.0.1-10.0.0.1"}]}]}}',
  '{"Dhcp4":{"subnet4":[{"subnet":"10.0.0.0/8","pools":[{"pool":"10.0.0.0/8"}]}]}}',
  '{"Dhcp4":{"subnet4":[{"subnet":"10.0.0.0/8","pools":[{"pool":"10.0.0.0/7"}]}]}}',
  '{"Dhcp4":{"subnet4":[{"subnet":"10.0.0.0/0"}]}}',
  '{"Dhcp4":{"subnet4":[{"subnet":"10.0.0.0 /8"}]}}',
  '{"Dhcp4":{"subnet4":[{"subnet":" 10.0.0.0/8"}]}}',
  '{"Dhcp4":{"subnet4":[{"subnet":"010.0.0.0/8"}]}}',
  '{"Dhcp4":{"reservations":[{"hw-address":"aabbccddeeff"}]}}',
  '{"Dhcp4":{"reservations":[{"hw-address":"aa-bb-cc-dd-ee-ff"}]}}',
  '{"Dhcp4":{"reservations":[{"hw-address":"aa bb cc"}]}}',
  '{"Dhcp4":{"reservations":[{"hw-address":"0xaabb"}]}}',
  '{"Dhcp4":{"reservations":[{"client-id":"\'abc\'"}]}}',
  '{"Dhcp4":{"reservations":[{"hw-address":"\'abc\'"}]}}',
  '{"Dhcp4":{"reservations":[{"duid":"a"}]}}',
  '{"Dhcp4":{"reservations":[{"duid":"abc"}]}}',
  '{"Dhcp4":{"reservations":[{"hw-address":"01:02","ip-address":""}]}}',
  '{"Dhcp4":{"option-def":[{"name":"a","code":0,"type":"uint8"}]}}',
  '{"Dhcp4":{"option-def":[{"name":"a","code":1,"type":"uint8"}]}}',
  '{"Dhcp4":{"option-data":[{"code":0,"data":""}]}}',
  '{"Dhcp4":{"option-data":[{"code":254,"data":"01","csv-format":false}]}}',
  '{"Dhcp4":{"option-data":[{"name":"foo bar"}]}}',
  '{"Dhcp4":{"interfaces-config":{"interfaces":["*","*"]}}}',
  '{"Dhcp4":{"interfaces-config":{"interfaces":[""]}}}',
  '{"Dhcp4":{"interfaces-config":{"interfaces":["lo/127.0.0.1"]}}}',
  '{"Dhcp4":{"control-socket":{"socket-type":"unix","socket-name":""}}}',
  '{"Dhcp4":{"control-socket":{"socket-type":"http","socket-name":"x"}}}',
  '{"Dhcp4":{"multi-threading":{"enable-multi-threading":true}}}',
  '{"Dhcp4":{"sanity-checks":{"lease-checks":"FIX"}}}',
  '{"Dhcp4":{"lease-database":{"type":"memfile","name":""}}}',
  '{"Dhcp4":{"lease-database":{"type":"memfile","lfc-interval":-1}}}',
  '{"Dhcp4":{"expired-leases-processing":{"max-reclaim-time":-5}}}',
  '{"Dhcp4":{"t1-percent":0.0}}',
  '{"Dhcp4":{"t2-percent":1.0}}',
  '{"Dhcp4":{"min-valid-lifetime":10,"max-valid-lifetime":20}}',
  '{"Dhcp4":{"subnet4":[{"subnet":"10.0.0.0/8","min-valid-lifetime":10}]}}',
  '{"Dhcp4":{"renew-timer":10,"rebind-timer":10}}',
  '{"Dhcp4":{"subnet4":[{"subnet":"10.0.0.0/8","renew-timer":10,"rebind-timer":10}]}}',
  '{"Dhcp4":{"host-reservation-identifiers":[]}}',
  '{"Dhcp4":{"decline-probation-period":0}}',
];

const DHCP6 = [
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","pd-pools":[{"prefix":"3000::","prefix-len":48,"delegated-len":48}]}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","pd-pools":[{"prefix":"3000::","prefix-len":0,"delegated-len":48}]}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","pd-pools":[{"prefix":"3000::","prefix-len":48,"delegated-len":129}]}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","pd-pools":[{"prefix":"3000::","prefix-len":48,"delegated-len":64,"excluded-prefix":"3000::","excluded-prefix-len":72}]}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","pd-pools":[{"prefix":"3000::","prefix-len":48,"delegated-len":64,"excluded-prefix":"4000::","excluded-prefix-len":72}]}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","pd-pools":[{"prefix":"2001:db8::","prefix-len":64,"delegated-len":80}]}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","pools":[{"pool":"2001:db8::/64"}],"pd-pools":[{"prefix":"2001:db8::","prefix-len":64,"delegated-len":80}]}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","reservations":[{"duid":"01:02","prefixes":["3000::/64"]}]}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","reservations":[{"duid":"01:02","prefixes":["3000::1/64"]}]}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","reservations":[{"duid":"01:02","ip-addresses":["2001:db8::1","2001:db8::1"]}]}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","reservations":[{"hw-address":"01:02","ip-addresses":["2001:db8::1"]}]}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","interface-id":""}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::1/64"}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"::/0"}]}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","pools":[{"pool":"2001:db8::1 - 2001:db8::ffff"}]}]}}',
  '{"Dhcp6":{"server-id":{"type":"LL","htype":1}}}',
  '{"Dhcp6":{"server-id":{"type":"EN"}}}',
  '{"Dhcp6":{"server-id":{"type":"LLT","identifier":"zz"}}}',
  '{"Dhcp6":{"mac-sources":[]}}',
  '{"Dhcp6":{"mac-sources":["any","any"]}}',
  '{"Dhcp6":{"relay-supplied-options":["foo"]}}',
  '{"Dhcp6":{"relay-supplied-options":["65","1"]}}',
  '{"Dhcp6":{"data-directory":""}}',
  '{"Dhcp6":{"preferred-lifetime":4000,"valid-lifetime":3000}}',
  '{"Dhcp6":{"subnet6":[{"subnet":"2001:db8::/64","preferred-lifetime":5000,"valid-lifetime":3000}]}}',
  '{"Dhcp6":{"option-data":[{"name":"dns-servers","data":"2001:db8::1"}]}}',
  '{"Dhcp6":{"option-data":[{"code":0,"data":"01","csv-format":false}]}}',
];

function kea(family: 4 | 6, file: string): string | undefined {
  const { ok, output } = checkKeaConfig(family, file, dir);
  if (ok) return undefined;
  const syntax = /Syntax check failed with: (.*)/.exec(output)?.[1];
  const error = output
    .split("\n")
    .filter((l) => l.includes("ERROR"))
    .pop();
  return (syntax ?? error ?? output).replace(/^.*\] /, "").replaceAll(`${file}`, "case.json");
}

function nestor(family: 4 | 6, text: string): string | undefined {
  try {
    parseConfigText(text, family, "case.json");
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

let differ = 0;
let total = 0;
try {
  for (const [family, cases] of [
    [4, DHCP4],
    [6, DHCP6],
  ] as const) {
    for (const text of cases) {
      total++;
      const file = join(dir, "case.json");
      writeFileSync(file, text);
      const theirs = kea(family, file);
      const ours = nestor(family, text);
      if ((theirs === undefined) !== (ours === undefined)) {
        differ++;
        console.log(text);
        console.log(`  Kea:    ${theirs === undefined ? "accepted" : theirs.slice(0, 160)}`);
        console.log(`  Nestor: ${ours === undefined ? "accepted" : ours.slice(0, 160)}`);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${differ} of ${total} cases decided differently`);

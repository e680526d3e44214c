/**
 * Reads Prometheus text exposition with the reference parser of the official Python client
 * (Debian: python3-prometheus-client), so that the server's /metrics output is judged by a
 * parser the project did not write. Every sample comes back flat, with its family's name and
 * type: counters' families are named without `_total`, histograms' samples are `_bucket` (with
 * `le`), `_sum` and `_count`.
 */
import { spawnSync } from "node:child_process";

export interface Sample {
  family: string;
  type: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

const PYTHON = "/usr/bin/python3";
const SCRIPT = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        out.append({"family": f.name, "type": f.type, "name": s.name, "labels": s.labels,
                    "value": s.value if s.value == s.value else None})
json.dump(out, sys.stdout)
`;

/** The samples of a /metrics text; throws when the parser refuses it. */
export function parsePrometheus(text: string): Sample[] {
  const r = spawnSync(PYTHON, ["-c", SCRIPT], { input: text, encoding: "utf8", timeout: 20_000 });
  if (r.error !== undefined) {
    throw new Error(
      `${PYTHON}: ${r.error.message} (Debian packages python3 and python3-prometheus-client)`,
    );
  }
  if (r.status !== 0) {
    throw new Error(`the Prometheus parser refused the text: ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as Sample[];
}

/**
 * One measurement for bench/program-scale.ts (run in its own process so that
 * peak memory is this size's alone): the whole program under the mock engine
 * for N towns, each with Nextcloud, Collabora and two association sites.
 * Prints one JSON line: {tenants, resources, ms, peakRssMb}.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks } from "../tests/unit/mocks.js";
import { epciRaw } from "../tests/unit/fixtures/epci.js";
import { parseConfig } from "../stacks/config.js";
import { buildProgram } from "../stacks/program.js";

const towns = Number(process.argv[2]);
if (!Number.isInteger(towns) || towns < 1) {
  console.error("usage: program-scale-run.ts <towns>");
  process.exit(2);
}
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const rec = await installMocks();
// ~20 towns per 128 GiB host, as an EPCI would size it; at least one host.
const raw = epciRaw({ towns, hosts: Math.max(1, Math.ceil(towns / 20)), sites: 2 });
const start = performance.now();
const cfg = parseConfig(raw);
cfg.secrets.proxmoxApiToken = pulumi.secret("socle@pve!bench=00000000-0000-0000-0000-000000000000");
buildProgram(cfg, { readPreviousOutputs: false });
await pulumi.runtime.disconnect(); // waits until every registration has reached the (mock) engine
const ms = performance.now() - start;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(
  JSON.stringify({
    tenants: towns,
    resources: rec.resources.length,
    ms: Math.round(ms),
    peakRssMb: Math.round(peak / 2 ** 20),
  }),
);
process.exit(0);

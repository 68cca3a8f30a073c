/**
 * bench/program-scale: the program's cost as the number of towns grows.
 * Runs the whole program under the mock engine for 1, 10, 50 and 200 towns
 * (each with Nextcloud, Collabora and two association sites), each size in a
 * fresh process, and prints resources declared, wall time, peak memory, the
 * time per resource, and the 200/10 time ratio against the 200/10 resource
 * ratio (linear cost: the two ratios are close).
 *
 *   npx tsx bench/program-scale.ts [sizes…]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const sizes = process.argv.slice(2).map(Number);
const SIZES = sizes.length > 0 ? sizes : [1, 10, 50, 200];
const runner = fileURLToPath(new URL("./program-scale-run.ts", import.meta.url));

interface Row {
  tenants: number;
  resources: number;
  ms: number;
  peakRssMb: number;
}
const rows: Row[] = [];
for (const n of SIZES) {
  const out = execFileSync(process.execPath, ["--import", "tsx", runner, String(n)], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = out.trim().split("\n").at(-1)!;
  const row = JSON.parse(line) as Row;
  rows.push(row);
  console.error(`  ${n} towns: ${row.resources} resources in ${row.ms} ms`);
}

const pad = (s: string | number, w: number) => String(s).padStart(w);
console.log(
  `${pad("towns", 6)} ${pad("resources", 10)} ${pad("wall ms", 9)} ${pad("ms/resource", 12)} ${pad("peak RSS MiB", 13)}`,
);
for (const r of rows) {
  console.log(
    `${pad(r.tenants, 6)} ${pad(r.resources, 10)} ${pad(r.ms, 9)} ${pad((r.ms / r.resources).toFixed(2), 12)} ${pad(r.peakRssMb, 13)}`,
  );
}
const a = rows.find((r) => r.tenants === 10);
const b = rows.find((r) => r.tenants === 200);
if (a && b) {
  const timeRatio = b.ms / a.ms;
  const resourceRatio = b.resources / a.resources;
  console.log(
    `200/10: time ×${timeRatio.toFixed(1)} for resources ×${resourceRatio.toFixed(1)} ` +
      `(time per resource ×${(timeRatio / resourceRatio).toFixed(2)}; ≤ 1 means linear or better)`,
  );
}

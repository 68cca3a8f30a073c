import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { capacityFrom, main, parseArgs } from "../../scripts/report.js";

const dir = mkdtempSync(join(tmpdir(), "socle-report-"));
const outputs = {
  tenants: {},
  capacity: [
    { host: "apps1", capacityMb: 31744, declaredMb: 20000, tenants: ["a", "b"], shared: ["keycloak"] },
    { host: "apps2", capacityMb: 31744, declaredMb: 12000, tenants: ["c"], shared: [] },
  ],
};

describe("socle report", () => {
  it("reads the stack outputs, prints the table and writes the SVG", async () => {
    const file = join(dir, "outputs.json");
    writeFileSync(file, JSON.stringify(outputs));
    const svg = join(dir, "capacity.svg");
    const r = await main(parseArgs(["--outputs", file, "--svg", svg, "--title", "CC du Val"]));
    expect(r.exitCode).toBe(0);
    expect(r.overCapacity).toEqual([]);
    expect(r.hosts.map((h) => h.freeMb)).toEqual([11744, 19744]);
    expect(r.table!.split("\n")[1]).toBe("apps1         20000          31744   63%  [keycloak] a b");
    const picture = readFileSync(svg, "utf8");
    expect(picture).toContain("<title>CC du Val</title>");
    expect(picture).toContain("20000 / 31744 MiB (63%)");
  });

  it("fails with exit code 1 when a host is over capacity", async () => {
    const file = join(dir, "over.json");
    writeFileSync(file, JSON.stringify({ capacity: [{ ...outputs.capacity[0], declaredMb: 40000 }] }));
    const r = await main(parseArgs(["--outputs", file]));
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual(["host apps1 is over capacity"]);
  });

  it("refuses outputs without a capacity list, malformed rows and non-JSON, with exit code 2", async () => {
    expect(() => capacityFrom({})).toThrow('the stack outputs have no "capacity" list');
    expect(() => capacityFrom({ capacity: [{ host: "x" }] })).toThrow(
      "capacity[0]: expected {host, capacityMb, declaredMb, tenants, shared}",
    );
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{not json");
    const r = await main(parseArgs(["--outputs", bad]));
    expect(r.exitCode).toBe(2);
    expect(r.errors).toEqual([`${bad}: not JSON`]);
    expect(() => parseArgs(["--nope"])).toThrow();
  });
});

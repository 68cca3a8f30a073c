import { describe, expect, it } from "vitest";
import { renderCapacitySvg, renderCapacityTable } from "../../templates/capacity-report.js";

const rows = [
  { host: "apps1", capacityMb: 15360, declaredMb: 9140, tenants: ["a", "b"], shared: ["keycloak"] },
  { host: "apps2", capacityMb: 15360, declaredMb: 16000, tenants: ["c<d"], shared: [] },
];

describe("capacity report", () => {
  it("renders an exact table with totals", () => {
    expect(renderCapacityTable(rows)).toBe(
      [
        "host   declared MiB  available MiB  used  tenants",
        "apps1          9140          15360   60%  [keycloak] a b",
        "apps2         16000          15360  104%  c<d",
        "total         25140          30720   82%  3 tenants",
        "",
      ].join("\n"),
    );
  });

  it("renders a well-formed SVG with one bar per host, escaped, red when over capacity", () => {
    const svg = renderCapacitySvg(rows);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("c&lt;d");
    expect(svg).not.toContain("c<d");
    expect(svg).toContain("9140 / 15360 MiB (60%)");
    expect(svg).toContain('fill="#c0392b"');
    // every opened element is closed (self-closing or paired)
    const opens = (svg.match(/<(svg|text|title)\b/g) ?? []).length;
    const closes = (svg.match(/<\/(svg|text|title)>/g) ?? []).length;
    expect(opens).toBe(closes);
  });
});

import { describe, expect, it } from "vitest";
import { renderCapacitySvg, renderCapacityTable, wrapWords } from "../../templates/capacity-report.js";

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

  it("wraps a long list of towns under its bar, and grows the picture to fit", () => {
    expect(wrapWords(["aa", "bb", "cc", "dddddd"], 5)).toEqual(["aa bb", "cc", "dddddd"]);
    const towns = Array.from({ length: 40 }, (_, i) => `commune-${String(i + 1).padStart(3, "0")}`);
    const one = renderCapacitySvg([{ ...rows[0]!, tenants: ["a"] }]);
    const many = renderCapacitySvg([{ ...rows[0]!, tenants: towns }]);
    const heightOf = (svg: string) => Number(/height="(\d+)"/.exec(svg)![1]);
    const lines = wrapWords(["[keycloak]", ...towns], 120);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(many).toContain(`>${line}</text>`);
    expect(heightOf(many) - heightOf(one)).toBe((lines.length - 1) * 14);
  });
});

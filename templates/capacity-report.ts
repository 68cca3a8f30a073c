/**
 * The EPCI capacity report: per host, memory declared vs available and the
 * tenants placed there. Pure renderers (text table and SVG), fed by the
 * `capacity` stack output (see stacks/outputs) or `socle report`.
 */
export interface CapacityRow {
  host: string;
  capacityMb: number;
  declaredMb: number;
  tenants: string[];
  shared: string[];
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const pct = (r: CapacityRow) => (r.capacityMb > 0 ? Math.round((100 * r.declaredMb) / r.capacityMb) : 100);

/** A fixed-width table, one line per host plus a total. */
export function renderCapacityTable(rows: CapacityRow[]): string {
  const header = ["host", "declared MiB", "available MiB", "used", "tenants"];
  const body = rows.map((r) => [
    r.host,
    String(r.declaredMb),
    String(r.capacityMb),
    `${pct(r)}%`,
    [...r.shared.map((s) => `[${s}]`), ...r.tenants].join(" ") || "-",
  ]);
  const total = {
    host: "total",
    capacityMb: rows.reduce((a, r) => a + r.capacityMb, 0),
    declaredMb: rows.reduce((a, r) => a + r.declaredMb, 0),
    tenants: [],
    shared: [],
  };
  body.push([
    "total",
    String(total.declaredMb),
    String(total.capacityMb),
    `${pct(total)}%`,
    `${rows.reduce((a, r) => a + r.tenants.length, 0)} tenants`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ");
  return [line(header), ...body.map(line)].join("\n") + "\n";
}

/** Words joined into lines of at most `width` characters (a word longer than that stands alone). */
export function wrapWords(words: string[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

/** A horizontal bar per host (declared / available), the tenants listed under each bar (wrapped). */
export function renderCapacitySvg(rows: CapacityRow[], title = "Socle capacity"): string {
  const width = 1000;
  const barX = 140;
  const barW = 600;
  const lineH = 14;
  const wrapped = rows.map((r) => {
    const words = [...r.shared.map((s) => `[${s}]`), ...r.tenants];
    return words.length > 0 ? wrapWords(words, 120) : ["no tenant"];
  });
  const rowHeights = wrapped.map((lines) => 36 + lines.length * lineH + 10);
  const height = 60 + rowHeights.reduce((a, b) => a + b, 0) + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="20" y="30" font-size="18" font-weight="bold">${esc(title)}</text>`,
  ];
  let y = 50;
  rows.forEach((r, i) => {
    const ratio = r.capacityMb > 0 ? r.declaredMb / r.capacityMb : 1;
    const fill = ratio > 1 ? "#c0392b" : ratio > 0.85 ? "#e67e22" : "#27ae60";
    const used = Math.round(Math.min(ratio, 1) * barW);
    parts.push(
      `<text x="20" y="${y + 18}" font-weight="bold">${esc(r.host)}</text>`,
      `<rect x="${barX}" y="${y + 4}" width="${barW}" height="20" fill="#ecf0f1" stroke="#7f8c8d"/>`,
      `<rect x="${barX}" y="${y + 4}" width="${used}" height="20" fill="${fill}"/>`,
      `<text x="${barX + barW + 10}" y="${y + 18}">${r.declaredMb} / ${r.capacityMb} MiB (${pct(r)}%)</text>`,
      ...wrapped[i]!.map(
        (line, k) =>
          `<text x="${barX}" y="${y + 42 + k * lineH}" font-size="11" fill="#2c3e50">${esc(line)}</text>`,
      ),
    );
    y += rowHeights[i]!;
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

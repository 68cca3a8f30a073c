/**
 * Minimal ustar writer (pure): the header of one regular file, and the
 * padding after its data. export-site writes its own entries first, then
 * appends the helper's `tar` stream, whose end-of-archive blocks close the
 * archive.
 */
const BLOCK = 512;

function field(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value.slice(0, length), offset, length, "utf8");
}

function octal(n: number, length: number): string {
  return `${n.toString(8).padStart(length - 1, "0")}\0`;
}

export function tarHeader(
  name: string,
  size: number,
  mode = 0o644,
  mtime = Math.floor(Date.now() / 1000),
): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: name too long: ${name}`);
  const h = Buffer.alloc(BLOCK, 0);
  field(h, 0, 100, name);
  field(h, 100, 8, octal(mode, 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(size, 12));
  field(h, 136, 12, octal(mtime, 12));
  field(h, 148, 8, "        ");
  field(h, 156, 1, "0");
  field(h, 257, 6, "ustar\0");
  field(h, 263, 2, "00");
  field(h, 265, 32, "root");
  field(h, 297, 32, "root");
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

/** One complete in-memory entry (header + data + padding). */
export function tarEntry(name: string, data: Buffer, mode = 0o644): Buffer {
  return Buffer.concat([tarHeader(name, data.length, mode), data, tarPadding(data.length)]);
}

/** MariaDB ≥ 10.11.8 starts dumps with a line MySQL refuses; a portable dump drops it. */
export const SANDBOX_LINE = /^\/\*M!999999\\- enable the sandbox mode \*\/[ \t]*\r?\n/;

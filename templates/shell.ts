/**
 * POSIX single-quoting of one shell word, for every rendered script and env file
 * (inputs are validated before rendering; this keeps the output safe anyway).
 */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Pure building blocks of the stack config validation (stacks/config.ts):
 * a `Reader` that collects every problem with its config path, and the format
 * predicates (slug, domain, email, IPv4/CIDR, SSH key, OnCalendar schedule …).
 *
 * Message shapes (every line starts with the config path, `socle:…`):
 * - `<path>: missing, expected <what>`          a required key is absent (or null)
 * - `<path>: <json value> is not <what>`        wrong type, format or range
 * - `<path>: unknown key (did you mean "<k>"?)` a typo; or `(expected one of: a, b)`
 * - `<path>: <json value> is already used by <path>`   a duplicate
 * - `<path>: <json value> needs <what>`         a value that requires another key
 * Values are shown as JSON, cut to 60 characters; secrets are shown as `[secret]`.
 */

/** A validation check: what is expected (used in messages) and a parser (undefined = invalid). */
export interface Check<T> {
  what: string;
  parse: (v: unknown) => T | undefined;
}

export type RawObject = Record<string, unknown>;

/** JSON rendering of a value for a message, cut to 60 characters. */
export function show(v: unknown): string {
  const s = v === undefined ? "undefined" : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** `base.key`, or `base["odd key"]` for keys that are not identifiers. */
export function at(base: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

export function isObject(v: unknown): v is RawObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Levenshtein distance (small strings only: config keys). */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      const cost = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known key closest to a typo, when it is obviously meant (distance ≤ 2, or ≤ 1 for short keys). */
export function suggest(key: string, known: readonly string[]): string | undefined {
  const limit = key.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= limit ? best : undefined;
}

/** Collects every problem found; readers return undefined for a missing or invalid value. */
export class Reader {
  readonly errors: string[] = [];

  add(path: string, message: string): void {
    this.errors.push(`${path}: ${message}`);
  }

  invalid(path: string, v: unknown, what: string): void {
    this.add(path, `${show(v)} is not ${what}`);
  }

  value<T>(path: string, v: unknown, c: Check<T>): T | undefined {
    const r = c.parse(v);
    if (r === undefined) this.invalid(path, v, c.what);
    return r;
  }

  /** A required value: absent or null is `missing`. */
  required<T>(path: string, v: unknown, c: Check<T>): T | undefined {
    if (v === undefined || v === null) {
      this.add(path, `missing, expected ${c.what}`);
      return undefined;
    }
    return this.value(path, v, c);
  }

  /** An optional value: absent or null gives undefined, silently. */
  optional<T>(path: string, v: unknown, c: Check<T>): T | undefined {
    return v === undefined || v === null ? undefined : this.value(path, v, c);
  }

  /** An optional value with a default (also used when invalid: the error is already recorded). */
  withDefault<T>(path: string, v: unknown, c: Check<T>, def: T): T {
    return this.optional(path, v, c) ?? def;
  }

  /** An object whose keys are all known; reports each unknown key (with a suggestion when obvious). */
  object(path: string, v: unknown, what: string, known: readonly string[]): RawObject | undefined {
    if (!isObject(v)) {
      this.invalid(path, v, what);
      return undefined;
    }
    for (const key of Object.keys(v)) {
      if (known.includes(key)) continue;
      const s = suggest(key, known);
      this.add(
        at(path, key),
        s ? `unknown key (did you mean "${s}"?)` : `unknown key (expected one of: ${known.join(", ")})`,
      );
    }
    return v;
  }

  /** A non-empty list; each item read by `item` with its `[i]` path (invalid items stay as undefined). */
  list<T>(
    path: string,
    v: unknown,
    what: string,
    item: (p: string, x: unknown) => T | undefined,
  ): (T | undefined)[] | undefined {
    if (!Array.isArray(v) || v.length === 0) {
      this.invalid(path, v, what);
      return undefined;
    }
    return v.map((x, i) => item(`${path}[${i}]`, x));
  }

  /** Reports each value already seen, naming the path where it was first used. */
  unique(entries: { path: string; value: string | undefined }[]): void {
    const first = new Map<string, string>();
    for (const { path, value } of entries) {
      if (value === undefined) continue;
      const seen = first.get(value);
      if (seen) this.add(path, `${show(value)} is already used by ${seen}`);
      else first.set(value, path);
    }
  }
}

// ---------------------------------------------------------------- checks

/** A string check from a predicate. */
export const pred = (what: string, ok: (s: string) => boolean): Check<string> => ({
  what,
  parse: (v) => (typeof v === "string" && ok(v) ? v : undefined),
});

export const STRING = pred("a non-empty string", (s) => s.trim().length > 0);
export const BOOL: Check<boolean> = {
  what: "true or false",
  parse: (v) => (typeof v === "boolean" ? v : undefined),
};

export function int(min: number, max = Number.MAX_SAFE_INTEGER): Check<number> {
  const what =
    max === Number.MAX_SAFE_INTEGER
      ? `an integer of at least ${min}`
      : `an integer between ${min} and ${max}`;
  return {
    what,
    parse: (v) =>
      Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : undefined,
  };
}

export function oneOf<T extends string>(what: string, values: readonly T[]): Check<T> {
  return { what, parse: (v) => (values.includes(v as T) ? (v as T) : undefined) };
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** One RFC 1123 label: 1 to 63 of a-z, 0-9 and -, not starting or ending with -. */
export function isLabel(s: string): boolean {
  return LABEL.test(s);
}

/** RFC 1123 host name: lowercase labels of a-z, 0-9 and -, at least two, not an all-digit TLD. */
export function isDomain(s: string): boolean {
  const labels = s.split(".");
  return (
    s.length <= 253 &&
    labels.length >= 2 &&
    labels.every((l) => LABEL.test(l)) &&
    !/^\d+$/.test(labels.at(-1)!)
  );
}

/** Dot-separated labels, prefixed to a tenant's domain (`cloud`, `club.assos`). */
export function isSubdomain(s: string): boolean {
  return s.split(".").every((l) => LABEL.test(l));
}

export function isSlug(s: string): boolean {
  return /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/.test(s);
}

export function isEmail(s: string): boolean {
  const m = /^([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64})@(.+)$/.exec(s);
  if (!m) return false;
  const local = m[1]!;
  return (
    !local.startsWith(".") && !local.endsWith(".") && !local.includes("..") && isDomain(m[2]!.toLowerCase())
  );
}

export const SLUG = pred("a slug (1 to 32 characters a-z, 0-9 and -, not starting or ending with -)", isSlug);
export const DOMAIN = pred("a domain name", isDomain);
export const SUBDOMAIN = pred("a subdomain (dot-separated labels of a-z, 0-9 and -)", isSubdomain);
export const EMAIL = pred("an email address", isEmail);
export const VERSION = pred('a version (numbers separated by dots, e.g. "32.0.3")', (s) =>
  /^\d+(?:\.\d+){1,4}$/.test(s),
);

// ---------------------------------------------------------------- IPv4

/** An IPv4 address as an unsigned 32-bit integer, or undefined. */
export function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith("0")))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export function ipv4String(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export interface Cidr {
  text: string;
  network: number;
  prefix: number;
  /** Number of addresses in the block (2^(32-prefix)). */
  size: number;
}

/** `a.b.c.d/n` with n in 8..30 and no host bits set. */
export function parseCidr(s: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const network = ipv4(m[1]!);
  const prefix = Number(m[2]);
  if (network === undefined || prefix < 8 || prefix > 30) return undefined;
  const size = 2 ** (32 - prefix);
  return network % size === 0 ? { text: s, network, prefix, size } : undefined;
}

export const IPV4 = pred("an IPv4 address", (s) => ipv4(s) !== undefined);
export const CIDR: Check<Cidr> = {
  what: 'an IPv4 network in CIDR notation, prefix 8 to 30, no host bits set (e.g. "10.20.0.0/24")',
  parse: (v) => (typeof v === "string" ? parseCidr(v) : undefined),
};

// ---------------------------------------------------------------- formats

/** `host:port`: a host name (one label or more) or an IPv4 address, and a port 1..65535. */
export function isHostPort(s: string): boolean {
  const m = /^([^:]+):(\d{1,5})$/.exec(s);
  if (!m) return false;
  const host = m[1]!;
  const port = Number(m[2]);
  const hostOk = ipv4(host) !== undefined || host.split(".").every((l) => LABEL.test(l));
  return hostOk && port >= 1 && port <= 65535;
}
export const HOST_PORT = pred('host:port (e.g. "imap.mairie.example:993")', isHostPort);

/** The length-prefixed fields of an SSH public key blob, or undefined when it does not parse exactly. */
function sshFields(blob: Buffer): Buffer[] | undefined {
  const fields: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) return undefined;
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) return undefined;
    fields.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return fields;
}

/**
 * An OpenSSH public key line: `<type> <base64> [comment]`, type ssh-ed25519,
 * ssh-rsa or ecdsa-sha2-*, and the base64 blob must decode to a key of that
 * same type with all its fields (catches truncated or mixed-up pastes).
 */
export function isSshKey(s: string): boolean {
  const m = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-([a-z0-9]+)) ([A-Za-z0-9+/]+={0,2})(?: \S.*)?$/.exec(s);
  if (!m) return false;
  const fields = sshFields(Buffer.from(m[3]!, "base64"));
  if (!fields || fields[0]?.toString("latin1") !== m[1]) return false;
  if (m[1] === "ssh-ed25519") return fields.length === 2 && fields[1]!.length === 32;
  if (m[1] === "ssh-rsa") return fields.length === 3 && fields[2]!.length >= 128;
  return fields.length === 3 && fields[1]!.toString("latin1") === m[2] && fields[2]!.length > 0;
}
export const SSH_KEY = pred(
  "an SSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-* with its base64 key)",
  isSshKey,
);

export function isHttpsUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "https:" && u.hostname.length > 0 && !/\s/.test(s);
  } catch {
    return false;
  }
}
export const HTTPS_URL = pred('an https URL (e.g. "https://pve1.mairie.example:8006/")', isHttpsUrl);

export const DOCKER_HOST = pred("a Docker engine address (unix://, tcp:// or ssh://)", (s) =>
  /^(unix:\/\/\/\S+|tcp:\/\/\S+:\d+|ssh:\/\/\S+)$/.test(s),
);

/** restic repository: an absolute path, or a backend prefix restic knows. */
export const REPOSITORY = pred(
  "a restic repository (an absolute path, or sftp:, rest:, s3:, b2:, azure:, gs:, swift: or rclone:)",
  (s) => /^(\/\S*|(sftp|rest|s3|b2|azure|gs|swift|rclone):\S+)$/.test(s),
);

const WEEKDAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const WEEKDAYS = `${WEEKDAY}(?:\\.\\.${WEEKDAY})?(?:,${WEEKDAY}(?:\\.\\.${WEEKDAY})?)*`;
const ITEM = "(?:\\*|\\d{1,4}(?:\\.\\.\\d{1,4})?)(?:/\\d{1,4})?";
const LIST = `${ITEM}(?:,${ITEM})*`;
const DATE = `${LIST}-${LIST}(?:-${LIST})?`;
const TIME = `(${LIST}):(${LIST})(?::(${LIST}))?`;
const CALENDAR = new RegExp(`^(?:${WEEKDAYS} )?(?:(${DATE})(?: ${TIME})?|${TIME})$`);
const SHORTHANDS = [
  "minutely",
  "hourly",
  "daily",
  "weekly",
  "monthly",
  "yearly",
  "annually",
  "quarterly",
  "semiannually",
];

/** Every number of a field list (`a`, `a..b`, `a,b`, `x/n`: the step n excepted) is at most `max`. */
function withinMax(list: string | undefined, max: number): boolean {
  if (list === undefined) return true;
  return list
    .split(",")
    .every((item) => (item.split("/")[0]!.match(/\d+/g) ?? []).every((n) => Number(n) <= max));
}

/**
 * A systemd OnCalendar expression, checked by a reasoned regex rather than a
 * full parser: the shorthands (`daily`, `weekly` …), or
 * `[weekdays ]date[ time]` / `[weekdays ]time`, where date is `Y-M-D` or
 * `M-D`, time is `h:m[:s]`, and each field is `*`, a number, a range `a..b`,
 * a list `a,b` or a repetition `x/n`. Months must be ≤ 12, days ≤ 31, hours ≤ 23,
 * minutes and seconds ≤ 59 (repetition steps excepted). Time zones are not accepted.
 */
export function isSchedule(s: string): boolean {
  if (SHORTHANDS.includes(s)) return true;
  const m = CALENDAR.exec(s);
  if (!m) return false;
  const [hours, minutes, seconds] = m[2] !== undefined ? [m[2], m[3], m[4]] : [m[5], m[6], m[7]];
  const date = m[1]?.split("-") ?? [];
  const [month, day] = date.length === 3 ? [date[1], date[2]] : [date[0], date[1]];
  return (
    withinMax(month, 12) &&
    withinMax(day, 31) &&
    withinMax(hours, 23) &&
    withinMax(minutes, 59) &&
    withinMax(seconds, 59)
  );
}
export const SCHEDULE = pred('a systemd OnCalendar schedule (e.g. "daily" or "*-*-* 02:30:00")', isSchedule);

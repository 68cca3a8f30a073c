/**
 * Pure building blocks of the stack config validation (stacks/config.ts):
 * a `Reader` that collects every problem with its config path, and the checks
 * (a message and a predicate). The predicates the components share are in
 * templates/checks.ts (one definition for both); the schedule's grammar and
 * next elapse in stacks/config-calendar.ts.
 *
 * Message shapes (every line starts with the config path, `socle:…`):
 * - `<path>: missing, expected <what>`          a required key is absent (or null)
 * - `<path>: <json value> is not <what>`        wrong type, format or range
 * - `<path>: unknown key (did you mean "<k>"?)` a typo; or `(expected one of: a, b)`
 * - `<path>: <json value> is already used by <path>`   a duplicate
 * - `<path>: <json value> needs <what>`         a value that requires another key
 * Values are shown as JSON, cut to 60 characters; secrets are shown as `[secret]`.
 */

import {
  MAX_DISPLAY_TEXT,
  SLUG_RE,
  isDisplayText,
  isDomain,
  isEmail,
  isHostPort,
  isLabel,
  isSshKey,
  ipv4,
  ipv4String,
  sshKeyProblem,
} from "../templates/checks.js";
import { isSchedule } from "./config-calendar.js";

export { ipv4, ipv4String, isDomain, isEmail, isHostPort, isLabel, isSchedule, isSshKey };

/** A validation check: what is expected (used in messages) and a parser (undefined = invalid). */
export interface Check<T> {
  what: string;
  parse: (v: unknown) => T | undefined;
}

export type RawObject = Record<string, unknown>;

/** Characters JSON leaves as they are but a terminal would obey (bidi controls, line separators). */
const INVISIBLE = /[\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/** JSON rendering of a value for a message, cut to 60 characters; bidi controls shown as `\uXXXX`. */
export function show(v: unknown): string {
  const s = (v === undefined ? "undefined" : JSON.stringify(v)).replace(
    INVISIBLE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
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

/** A config slug: `SLUG_RE`, 1 to 32 characters (slugs name containers, realms and databases). */
export function isSlug(s: string): boolean {
  return s.length <= 32 && SLUG_RE.test(s);
}

/** Dot-separated labels, prefixed to a tenant's domain (`cloud`, `club.assos`). */
export function isSubdomain(s: string): boolean {
  return s.split(".").every(isLabel);
}

export const SLUG = pred("a slug (1 to 32 characters a-z, 0-9 and -, not starting or ending with -)", isSlug);
export const DOMAIN = pred("a domain name", isDomain);
export const SUBDOMAIN = pred("a subdomain (dot-separated labels of a-z, 0-9 and -)", isSubdomain);
export const EMAIL = pred("an email address", isEmail);
export const TEXT = pred(
  `a name (one line of at most ${MAX_DISPLAY_TEXT} characters, without control or bidirectional characters)`,
  isDisplayText,
);
export const VERSION = pred('a version (numbers separated by dots, e.g. "32.0.3")', (s) =>
  /^\d+(?:\.\d+){1,4}$/.test(s),
);

// ---------------------------------------------------------------- IPv4

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

export const HOST_PORT = pred('host:port (e.g. "imap.mairie.example:993")', isHostPort);

export const SSH_KEY = pred(
  "an SSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-* with its base64 key)",
  (s) => sshKeyProblem(s) !== "malformed",
);

export const HTTPS_URL = pred('an https URL (e.g. "https://pve1.mairie.example:8006/")', (s) => {
  try {
    const u = new URL(s);
    return u.protocol === "https:" && u.hostname.length > 0 && !/[\s\p{Cc}]/u.test(s);
  } catch {
    return false;
  }
});

export const SCHEDULE = pred('a systemd OnCalendar schedule (e.g. "daily" or "*-*-* 02:30:00")', isSchedule);

/** A Docker engine address's shape (its TLS and credentials: `dockerHostProblem`, templates/checks.ts). */
export const DOCKER_HOST = pred("a Docker engine address (unix://, tcp:// or ssh://)", (s) =>
  /^(unix:\/\/\/\S+|tcp:\/\/\S+:\d+|ssh:\/\/\S+)$/.test(s),
);

/** restic repository: an absolute path, or a backend prefix restic knows (its content: stacks/config.ts). */
export const REPOSITORY = pred(
  "a restic repository (an absolute path, or sftp:, rest:, s3:, b2:, azure:, gs:, swift: or rclone:)",
  (s) => /^(\/\S*|(sftp|rest|s3|b2|azure|gs|swift|rclone):\S+)$/.test(s),
);

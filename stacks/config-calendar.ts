/**
 * `socle:backup.schedule`: a systemd OnCalendar expression, parsed as systemd
 * (252, Debian 12) parses it, and its next elapse computed as
 * `systemd-analyze calendar` computes it, so that a schedule that never fires
 * (`2020-01-01 03:00:00`, `*-02-30 03:00:00`) is refused before any resource
 * exists. Pure; the tests cross-check both against the real systemd-analyze.
 *
 * Accepted: the shorthands (`daily`, `weekly` …), or `[weekdays ]date[ time]`
 * / `[weekdays ]time`, where weekdays are `Mon` … `Sun` (or full names) with
 * `,` lists and `..` ranges, the date `Y-M-D` or `M-D`, the time `h:m[:s]`,
 * and each field `*` or a `,` list of `a`, `a..b` or `a/n`. Time zones are
 * not accepted; the next elapse is computed in UTC.
 */

/** One item of a field: `start`, `start..stop` or `start/repeat`. */
interface Component {
  start: number;
  /** -1 when the item has no range. */
  stop: number;
  /** 0 when the item repeats nothing (a range alone repeats every 1). */
  repeat: number;
}

/** `null` is `*` (any value). */
type Chain = Component[] | null;

export interface CalendarSpec {
  /** Bit i = weekday i, Monday = 0; 127 = any day. */
  weekdays: number;
  year: Chain;
  month: Chain;
  day: Chain;
  hour: Chain;
  minute: Chain;
  second: Chain;
}

const ANY = 127;
const MIN_YEAR = 1970;
/** systemd refuses later years, and stops looking for an elapse after it. */
const MAX_YEAR = 2199;
const zero = (): Component[] => [{ start: 0, stop: -1, repeat: 0 }];
const one = (): Component[] => [{ start: 1, stop: -1, repeat: 0 }];

/** The shorthands systemd expands (the ones Socle documents), as specs. */
const SHORTHANDS: Record<string, () => Omit<CalendarSpec, "weekdays" | "year"> & { weekdays?: number }> = {
  minutely: () => ({ month: null, day: null, hour: null, minute: null, second: zero() }),
  hourly: () => ({ month: null, day: null, hour: null, minute: zero(), second: zero() }),
  daily: () => ({ month: null, day: null, hour: zero(), minute: zero(), second: zero() }),
  weekly: () => ({ weekdays: 1, month: null, day: null, hour: zero(), minute: zero(), second: zero() }),
  monthly: () => ({ month: null, day: one(), hour: zero(), minute: zero(), second: zero() }),
  yearly: () => ({ month: one(), day: one(), hour: zero(), minute: zero(), second: zero() }),
  annually: () => ({ month: one(), day: one(), hour: zero(), minute: zero(), second: zero() }),
  quarterly: () => ({
    month: [1, 4, 7, 10].map((m) => ({ start: m, stop: -1, repeat: 0 })),
    day: one(),
    hour: zero(),
    minute: zero(),
    second: zero(),
  }),
  semiannually: () => ({
    month: [1, 7].map((m) => ({ start: m, stop: -1, repeat: 0 })),
    day: one(),
    hour: zero(),
    minute: zero(),
    second: zero(),
  }),
};

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const FULL_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const dayIndex = (s: string): number => {
  const i = DAYS.indexOf(s);
  return i >= 0 ? i : FULL_DAYS.indexOf(s);
};

/** `Mon..Fri,Sun` → a bit set; undefined when malformed or a range runs backwards. */
function parseWeekdays(token: string): number | undefined {
  let bits = 0;
  for (const item of token.split(",")) {
    const [a, b, ...rest] = item.split("..");
    const from = dayIndex(a ?? "");
    const to = b === undefined ? from : dayIndex(b);
    if (rest.length > 0 || from < 0 || to < 0 || to < from) return undefined;
    for (let d = from; d <= to; d++) bits |= 1 << d;
  }
  return bits;
}

/** systemd reads two-digit years as 1970…2069. */
const fixYear = (y: number): number => (y >= 0 && y < 70 ? y + 2000 : y >= 70 && y < 100 ? y + 1900 : y);

/**
 * One field: `*`, or a `,` list of `a`, `a..b` (every value from a to b) and
 * `a/n` (a, a+n, a+2n … up to the field's end), checked as systemd 252
 * checks them: every number in the field's range, a range going up, and room
 * for one repetition before the end. (systemd also takes `a..b/n`, and
 * `a..a` except in the seconds; Socle refuses both, whose meaning differs
 * between fields and systemd versions.)
 */
function parseField(text: string, from: number, to: number, year = false): Chain | undefined {
  if (text === "*") return null;
  const chain: Component[] = [];
  for (const item of text.split(",")) {
    const m = /^(\d{1,4})(?:\.\.(\d{1,4})|\/(\d{1,4}))?$/.exec(item);
    if (!m) return undefined;
    const fix = year ? fixYear : (n: number) => n;
    const start = fix(Number(m[1]));
    const stop = m[2] !== undefined ? fix(Number(m[2])) : -1;
    const repeat = m[3] !== undefined ? Number(m[3]) : stop >= 0 ? 1 : 0;
    if (start < from || start > to) return undefined;
    if (stop >= 0 && (stop <= start || stop > to)) return undefined;
    if (m[3] !== undefined && (repeat === 0 || start + repeat > to)) return undefined;
    chain.push({ start, stop, repeat });
  }
  return chain;
}

/** `Y-M-D` or `M-D` → year, month, day chains. */
function parseDate(token: string): Pick<CalendarSpec, "year" | "month" | "day"> | undefined {
  const parts = token.split("-");
  if (parts.length !== 2 && parts.length !== 3) return undefined;
  const [y, mo, d] = parts.length === 3 ? parts : ["*", ...parts];
  const year = parseField(y!, MIN_YEAR, MAX_YEAR, true);
  const month = parseField(mo!, 1, 12);
  const day = parseField(d!, 1, 31);
  if (year === undefined || month === undefined || day === undefined) return undefined;
  return { year, month, day };
}

/** `h:m[:s]` → hour, minute, second chains (seconds 0 when absent). */
function parseTime(token: string): Pick<CalendarSpec, "hour" | "minute" | "second"> | undefined {
  const parts = token.split(":");
  if (parts.length !== 2 && parts.length !== 3) return undefined;
  const hour = parseField(parts[0]!, 0, 23);
  const minute = parseField(parts[1]!, 0, 59);
  const second = parts[2] === undefined ? zero() : parseField(parts[2], 0, 59);
  if (hour === undefined || minute === undefined || second === undefined) return undefined;
  return { hour, minute, second };
}

/** The expression as systemd reads it, or undefined when systemd (or Socle) refuses it. */
export function parseCalendar(s: string): CalendarSpec | undefined {
  const shorthand = Object.hasOwn(SHORTHANDS, s) ? SHORTHANDS[s]!() : undefined;
  if (shorthand) return { year: null, ...shorthand, weekdays: shorthand.weekdays ?? ANY };
  const tokens = s.split(" ");
  let weekdays = ANY;
  if (/^[A-Z]/.test(tokens[0] ?? "")) {
    const w = parseWeekdays(tokens.shift()!);
    if (w === undefined) return undefined;
    weekdays = w;
  }
  if (tokens.length === 0 || tokens.length > 2) return undefined;
  const timeToken = tokens.at(-1)!.includes(":") ? tokens.pop()! : undefined;
  const dateToken = tokens.pop();
  if (tokens.length > 0 || (dateToken !== undefined && dateToken.includes(":"))) return undefined;
  const date = dateToken !== undefined ? parseDate(dateToken) : { year: null, month: null, day: null };
  const time =
    timeToken !== undefined ? parseTime(timeToken) : { hour: zero(), minute: zero(), second: zero() };
  if (!date || !time) return undefined;
  return { weekdays, ...date, ...time };
}

/** A syntactically valid schedule (systemd accepts it); whether it ever fires: `nextElapse`. */
export function isSchedule(s: string): boolean {
  return parseCalendar(s) !== undefined;
}

function matches(chain: Chain, v: number): boolean {
  if (chain === null) return true;
  return chain.some((c) => {
    if (v === c.start) return true;
    if (c.repeat === 0 || v < c.start || (c.stop >= 0 && v > c.stop)) return false;
    return (v - c.start) % c.repeat === 0;
  });
}

/** The first time of a day (seconds since midnight) matching the spec and later than `after`. */
function firstTime(spec: CalendarSpec, after: number): number | undefined {
  for (let h = Math.floor(Math.max(after, 0) / 3600); h < 24; h++) {
    if (!matches(spec.hour, h)) continue;
    for (let m = 0; m < 60; m++) {
      if (!matches(spec.minute, m)) continue;
      for (let s = 0; s < 60; s++) {
        const t = h * 3600 + m * 60 + s;
        if (t > after && matches(spec.second, s)) return t;
      }
    }
  }
  return undefined;
}

/**
 * The first instant strictly after `now` that the spec matches (UTC), up to
 * the end of 2199 as systemd looks; undefined when there is none (systemd:
 * "Next elapse: never").
 */
export function nextElapse(spec: CalendarSpec, now: Date): Date | undefined {
  const base = Math.floor(now.getTime() / 1000);
  const today = Math.floor(base / 86400);
  for (let y = Math.max(now.getUTCFullYear(), MIN_YEAR); y <= MAX_YEAR; y++) {
    if (!matches(spec.year, y)) continue;
    for (let mo = 1; mo <= 12; mo++) {
      if (!matches(spec.month, mo)) continue;
      const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
      for (let d = 1; d <= days; d++) {
        const day = Date.UTC(y, mo - 1, d) / 86_400_000;
        const weekday = (new Date(day * 86_400_000).getUTCDay() + 6) % 7;
        if (day < today || !matches(spec.day, d) || !(spec.weekdays & (1 << weekday))) continue;
        const t = firstTime(spec, day === today ? base - day * 86400 : -1);
        if (t !== undefined) return new Date((day * 86400 + t) * 1000);
      }
    }
  }
  return undefined;
}

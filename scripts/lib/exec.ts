/**
 * Running programs through zx: one preset per call (`quiet`, `nothrow`, an
 * explicit env and timeout), argument arrays quoted by zx (never by hand), and
 * a streaming mode whose stdout is NOT kept in memory (database dumps are
 * gigabytes).
 */
import { $, type ProcessPromise } from "zx";

export interface RunOptions {
  /** Added to the current environment (undefined removes a variable). */
  env?: Record<string, string | undefined>;
  /** Milliseconds; the process is killed after it. */
  timeoutMs?: number;
  input?: string | Buffer;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function mergedEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const drop = new Set(Object.keys(extra).filter((k) => extra[k] === undefined));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.has(k)));
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

function preset(opts: RunOptions) {
  return $({
    quiet: true,
    nothrow: true,
    env: mergedEnv(opts.env),
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
}

/** Runs `argv` (an array: zx quotes each element) and collects its output. */
export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const out = await preset(opts)`${argv}`;
  return { code: out.exitCode ?? 1, stdout: out.stdout, stderr: out.stderr };
}

/** Array-like that drops what is pushed: keeps zx from buffering a stream's stdout. */
class Discard extends Array<string | Buffer> {
  override push(): number {
    return 0;
  }
}

/** Array-like that keeps only the last `max` characters (stderr of long runs). */
class Tail extends Array<string | Buffer> {
  private size = 0;
  constructor(private readonly max = 64 * 1024) {
    super();
  }
  override push(...items: (string | Buffer)[]): number {
    for (const it of items) {
      super.push(it);
      this.size += it.length;
    }
    while (this.size > this.max && this.length > 1) this.size -= this.shift()!.length;
    return this.length;
  }
}

/**
 * Starts `argv` with piped stdio, without buffering stdout (read it from
 * `.stdout`); stderr's tail is kept for error messages.
 */
export function spawnStream(argv: string[], opts: RunOptions = {}): ProcessPromise {
  return $({
    quiet: true,
    nothrow: true,
    env: mergedEnv(opts.env),
    store: { stdout: new Discard(), stderr: new Tail(), stdall: new Discard() },
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
  })`${argv}`;
}

/** Starts `argv` keeping its (small) stdout; for processes fed through `.stdin`. */
export function spawnCollect(argv: string[], opts: RunOptions = {}): ProcessPromise {
  return preset(opts)`${argv}`;
}

/** Last non-empty lines of a text, for error messages. */
export function tailLines(text: string, n = 5): string {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0)
    .slice(-n)
    .join("\n");
}

/** Like Promise.all, but waits for every promise and rejects with the first failure in argument order. */
export async function allInOrder<T extends readonly unknown[]>(ps: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(ps);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * The engine-side steps shared by backup, restore, drill and export-site.
 */
import { createHash } from "node:crypto";
import { SocleError } from "./errors.js";
import { docker, execSh } from "./docker.js";
import { spawnStream, tailLines, run } from "./exec.js";
import {
  DUMP_SCRIPT,
  QUERY_SCRIPT,
  ADMIN_SCRIPT,
  LOAD_SCRIPT,
  PING_SCRIPT,
  databaseInfoSql,
  mariadbTablesSql,
  parseDatabaseInfo,
  parseRowCounts,
  recreateSql,
  rowCountSql,
  type DatabaseInfo,
  type Engine,
} from "./db.js";
import { restic, startHelper, type HelperContext } from "./helper.js";
import { parseManifest, manifestPath, type Manifest, type SnapshotInfo } from "./manifest.js";
import { classifyResticError, resticError } from "./repository.js";
import type { Output } from "./output.js";

/** Runs a hook (`sh -c`) in a container; returns an error message or undefined. */
export async function runHook(container: string, command: string): Promise<string | undefined> {
  const r = await execSh(container, command, [], { timeoutMs: 15 * 60_000 });
  if (r.code === 0) return undefined;
  return `${container}: \`${command}\` exited ${r.code}${r.stderr.trim() ? `: ${tailLines(r.stderr, 2)}` : ""}`;
}

/** Opens the repository; initialises it when missing and `init` is set. */
export async function ensureRepository(
  ctx: HelperContext,
  init: boolean,
  out: Output,
): Promise<"ok" | "created"> {
  const r = await restic(ctx, ["cat", "config"]);
  if (r.code === 0) return "ok";
  const kind = classifyResticError(r.stderr);
  if (kind === "missing" && init) {
    const i = await restic(ctx, ["init"]);
    if (i.code !== 0) throw resticError("restic init", ctx.repo.url, i.stderr);
    out.step(`initialised a new restic repository at ${ctx.repo.shown}`);
    return "created";
  }
  throw resticError("opening the repository", ctx.repo.url, r.stderr);
}

export async function listSnapshots(ctx: HelperContext, tags?: string[]): Promise<SnapshotInfo[]> {
  const args = ["snapshots", "--json"];
  if (tags && tags.length > 0) args.push("--tag", tags.join(","));
  const r = await restic(ctx, args);
  if (r.code !== 0) throw resticError("listing snapshots", ctx.repo.url, r.stderr);
  return (JSON.parse(r.stdout || "[]") as SnapshotInfo[] | null) ?? [];
}

export async function readManifest(ctx: HelperContext, snap: SnapshotInfo): Promise<Manifest> {
  const m = /^\/(.+)\/(.+)\/manifest\.json$/.exec(snap.paths[0] ?? "");
  const file = m ? `/${manifestPath(m[1]!, m[2]!)}` : (snap.paths[0] ?? "");
  const r = await restic(ctx, ["dump", "--", snap.id, file]);
  if (r.code !== 0) throw resticError(`reading manifest ${snap.short_id}`, ctx.repo.url, r.stderr);
  return parseManifest(r.stdout);
}

/** Writes a small JSON snapshot through `restic backup --stdin`. */
export async function backupText(
  ctx: HelperContext,
  text: string,
  filename: string,
  args: string[],
): Promise<string> {
  const { proc } = startHelper(ctx, "manifest", {
    script: 'exec restic "$@"',
    args: ["backup", "--stdin", "--stdin-filename", filename, "--json", ...args],
    stdin: true,
  });
  proc.stdin.end(text);
  const r = await proc;
  if (r.exitCode !== 0) throw resticError("writing the manifest", ctx.repo.url, r.stderr);
  return summaryOf(r.stdout).snapshot_id;
}

export interface ResticSummary {
  snapshot_id: string;
  total_bytes_processed?: number;
  data_added?: number;
  files_new?: number;
  files_changed?: number;
}

export function summaryOf(stdout: string): ResticSummary {
  const lines = stdout.split("\n").filter((l) => l.includes('"message_type":"summary"'));
  const last = lines.at(-1);
  if (!last) throw new SocleError("restic printed no summary");
  return JSON.parse(last) as ResticSummary;
}

/** Row counts of every base table of a database, from inside its container. */
export async function rowCounts(
  container: string,
  engine: Engine,
  database: string,
): Promise<Record<string, number>> {
  let sql = rowCountSql(engine, database);
  if (engine === "mariadb") {
    const t = await execSh(container, QUERY_SCRIPT.mariadb, [database, mariadbTablesSql(database)]);
    if (t.code !== 0)
      throw new SocleError(`listing tables of ${database} in ${container}: ${tailLines(t.stderr, 2)}`);
    sql = rowCountSql(
      engine,
      database,
      t.stdout.split("\n").filter((l) => l.trim().length > 0),
    );
  }
  const r = await execSh(container, QUERY_SCRIPT[engine], [database, sql]);
  if (r.code !== 0)
    throw new SocleError(`counting rows of ${database} in ${container}: ${tailLines(r.stderr, 2)}`);
  return parseRowCounts(r.stdout);
}

export async function databaseInfo(
  container: string,
  engine: Engine,
  database: string,
): Promise<DatabaseInfo> {
  const admin = engine === "postgres" ? "postgres" : "information_schema";
  const r = await execSh(container, QUERY_SCRIPT[engine], [admin, databaseInfoSql(engine, database)]);
  if (r.code !== 0) throw new SocleError(`reading ${database} in ${container}: ${tailLines(r.stderr, 2)}`);
  const info = parseDatabaseInfo(engine, r.stdout);
  if (!info) throw new SocleError(`database ${database} does not exist in ${container}`);
  return info;
}

export interface StreamResult {
  snapshot: string;
  bytes: number;
  sha256: string;
}

/**
 * Streams `docker exec <container> sh -c <script>` into `restic backup --stdin`
 * (no clear-text copy on any disk), hashing on the way. If the producer fails
 * the helper is killed BEFORE its stdin closes, so restic never commits a
 * truncated snapshot.
 */
export async function streamToRestic(
  ctx: HelperContext,
  source: { container: string; script: string; args: string[] },
  filename: string,
  resticArgs: string[],
  out: Output,
): Promise<StreamResult> {
  const producer = spawnStream([
    "docker",
    "exec",
    source.container,
    "sh",
    "-c",
    source.script,
    "sh",
    ...source.args,
  ]);
  const { proc, name } = startHelper(ctx, "dump", {
    script: 'exec restic "$@"',
    args: ["backup", "--stdin", "--stdin-filename", filename, "--json", ...resticArgs],
    stdin: true,
  });
  const hash = createHash("sha256");
  let bytes = 0;
  producer.stdout.on("data", (c: Buffer) => {
    hash.update(c);
    bytes += c.length;
    out.progress(`  ${filename}: ${(bytes / 1048576).toFixed(0)} MiB`);
  });
  producer.stdout.pipe(proc.stdin, { end: false });
  const p = await producer;
  if (p.exitCode !== 0) {
    await docker(["kill", name]);
    proc.stdin.end();
    await proc;
    throw new SocleError(
      `dump in ${source.container} failed (exit ${p.exitCode}): ${tailLines(p.stderr, 3) || "no message"}; no snapshot was kept`,
    );
  }
  proc.stdin.end();
  const r = await proc;
  if (r.exitCode !== 0) throw resticError(`restic backup of ${filename}`, ctx.repo.url, r.stderr);
  return { snapshot: summaryOf(r.stdout).snapshot_id, bytes, sha256: hash.digest("hex") };
}

/** Dumps one database of a group (the contract's commands) into restic. */
export async function dumpDatabase(
  ctx: HelperContext,
  container: string,
  engine: Engine,
  database: string,
  filename: string,
  resticArgs: string[],
  out: Output,
): Promise<StreamResult> {
  return streamToRestic(
    ctx,
    { container, script: DUMP_SCRIPT[engine], args: [database] },
    filename,
    resticArgs,
    out,
  );
}

/**
 * Drops and recreates a database (recorded owner and encoding) and loads a
 * dump into it straight from `restic dump` (no copy on disk).
 */
export async function loadDatabase(
  ctx: HelperContext,
  container: string,
  engine: Engine,
  database: string,
  info: DatabaseInfo,
  snapshot: string,
  file: string,
  out: Output,
): Promise<{ bytes: number; sha256: string }> {
  const admin = await execSh(container, ADMIN_SCRIPT[engine], [
    database,
    ...recreateSql(engine, database, info),
  ]);
  if (admin.code !== 0) {
    throw new SocleError(`recreating database ${database} in ${container}: ${tailLines(admin.stderr, 3)}`);
  }
  const { proc: dump } = startHelper(
    ctx,
    "dump-out",
    { script: 'exec restic "$@"', args: ["dump", "--", snapshot, file] },
    { discardStdout: true },
  );
  const loader = spawnStream([
    "docker",
    "exec",
    "-i",
    container,
    "sh",
    "-c",
    LOAD_SCRIPT[engine],
    "sh",
    database,
  ]);
  const hash = createHash("sha256");
  let bytes = 0;
  dump.stdout.on("data", (c: Buffer) => {
    hash.update(c);
    bytes += c.length;
    out.progress(`  load ${database}: ${(bytes / 1048576).toFixed(0)} MiB`);
  });
  dump.stdout.pipe(loader.stdin);
  const [d, l] = await Promise.all([dump, loader]);
  if (d.exitCode !== 0) throw resticError(`restic dump ${snapshot}:${file}`, ctx.repo.url, d.stderr);
  if (l.exitCode !== 0) {
    throw new SocleError(`loading ${database} into ${container} failed: ${tailLines(l.stderr, 3)}`);
  }
  return { bytes, sha256: hash.digest("hex") };
}

/** Waits until a database server answers (scratch containers of the drill). */
export async function waitForDatabase(container: string, engine: Engine, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await execSh(container, PING_SCRIPT[engine])).code === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new SocleError(`database server ${container} did not answer within ${timeoutMs / 1000}s`);
}

export async function containerRunning(name: string): Promise<boolean> {
  const r = await run(["docker", "inspect", "--type", "container", "--format", "{{.State.Running}}", name]);
  return r.code === 0 && r.stdout.trim() === "true";
}

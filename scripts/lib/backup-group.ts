/**
 * Backing up one (tenant, service) group: pre hooks → dumps and volumes side
 * by side → post hooks (always) → manifest (only when everything was saved;
 * written by the volume helper, which waits for it, when there are volumes).
 */
import { groupKey, type BackupGroup } from "./discovery.js";
import { inspectOne } from "./docker.js";
import { allInOrder } from "./exec.js";
import { errorMessage } from "./errors.js";
import { startHelper } from "./helper.js";
import {
  MANIFEST_FORMAT,
  VOLUMES_ROOT,
  dumpPath,
  manifestPath,
  parseSums,
  tagsFor,
  type DumpRecord,
  type Manifest,
  type VolumeRecord,
} from "./manifest.js";
import { acceptManifest } from "./manifest-trust.js";
import type { Output } from "./output.js";
import { resticError } from "./repository.js";
import { VOLUME_BACKUP_SCRIPT, SUMS_END_MARKER, SUMS_MARKER } from "./scripts.js";
import type { Session } from "./session.js";
import { backupText, databaseInfo, dumpDatabase, rowCounts, runHook, summaryOf } from "./steps.js";

export interface GroupResult {
  tenant: string;
  service: string;
  version: string;
  ok: boolean;
  dumps: {
    engine: string;
    database: string;
    snapshot: string;
    bytes: number;
    tables: number;
    rows: number;
  }[];
  volumes?: { names: string[]; snapshot: string; files: number; bytes: number; addedBytes: number };
  manifest?: string;
  /** Time between the first pre hook starting and the last post hook ending, ms. */
  maintenanceMs?: number;
  postHooks: { container: string; ok: boolean }[];
  errors: string[];
}

function tagArgs(tags: string[], host: string): string[] {
  return ["--host", host, ...tags.flatMap((t) => ["--tag", t])];
}

export async function backupGroup(
  session: Session,
  g: BackupGroup,
  host: string,
  out: Output,
): Promise<GroupResult> {
  const key = groupKey(g);
  const res: GroupResult = {
    tenant: g.tenant,
    service: g.service,
    version: g.version,
    ok: false,
    dumps: [],
    postHooks: [],
    errors: [...g.problems],
  };
  if (g.problems.length > 0) {
    out.warn(`${key}: label errors, not backed up: ${g.problems.join("; ")}`);
    return res;
  }
  const ctx = session.ctx;
  const dumps: DumpRecord[] = [];
  let volumes: VolumeBackup | undefined;
  // Owed post hooks are recorded BEFORE any pre hook runs: if this process is
  // SIGKILLed, the next run (or `socle backup --recover`) runs them.
  session.lock?.setPending(g.post.map((h) => ({ ...h, tenant: g.tenant, service: g.service })));
  const t0 = Date.now();
  try {
    for (const h of g.pre) {
      out.step(`${key}: pre hook in ${h.container}`);
      const err = await runHook(h.container, h.command);
      if (err) throw new Error(`pre hook failed: ${err}`);
    }
    // Dumps and volumes run side by side (restic allows concurrent backups):
    // the maintenance window is the longer of the two, not their sum.
    const dumpTask = (async () => {
      for (const d of g.dumps) {
        if (session.interrupted) throw new Error(`interrupted by ${session.interrupted}`);
        out.step(`${key}: dump ${d.engine}:${d.database} in ${d.container}`);
        const file = dumpPath(g.tenant, g.service, d.database, d.engine);
        const tags = tagArgs(tagsFor(g.tenant, g.service, g.version, "dump"), host);
        // The database must answer before its dump starts (a dump helper
        // whose producer fails at once could still commit an empty stdin).
        const info = await databaseInfo(d.container, d.engine, d.database);
        // The other facts for the manifest are read while the dump streams
        // (the pre hooks hold the writes, so both see the same data). Every
        // step is awaited; the first failure in this order is reported.
        const [image, tables, s] = await allInOrder([
          inspectOne(d.container).then((c) => c?.image ?? "unknown"),
          rowCounts(d.container, d.engine, d.database),
          dumpDatabase(ctx, d.container, d.engine, d.database, file, tags, out),
        ]);
        dumps.push({
          engine: d.engine,
          database: d.database,
          container: d.container,
          image,
          info,
          snapshot: s.snapshot,
          path: `/${file}`,
          bytes: s.bytes,
          sha256: s.sha256,
          tables,
        });
        res.dumps.push({
          engine: d.engine,
          database: d.database,
          snapshot: s.snapshot,
          bytes: s.bytes,
          tables: Object.keys(tables).length,
          rows: Object.values(tables).reduce((a, b) => a + b, 0),
        });
      }
    })();
    const volumeTask = (async () => {
      if (g.volumes.length === 0) return;
      if (session.interrupted) throw new Error(`interrupted by ${session.interrupted}`);
      out.step(`${key}: volumes ${g.volumes.join(", ")}`);
      volumes = await backupVolumes(session, g, host, out);
      res.volumes = {
        names: g.volumes,
        snapshot: volumes.snapshot,
        files: volumes.records.reduce((a, v) => a + v.files, 0),
        bytes: volumes.records.reduce((a, v) => a + v.bytes, 0),
        addedBytes: volumes.added,
      };
    })();
    const settled = await Promise.allSettled([dumpTask, volumeTask]);
    for (const r of settled) if (r.status === "rejected") res.errors.push(errorMessage(r.reason));
  } catch (e) {
    res.errors.push(errorMessage(e));
  } finally {
    for (const h of g.post) {
      out.step(`${key}: post hook in ${h.container}`);
      const err = await runHook(h.container, h.command);
      res.postHooks.push({ container: h.container, ok: !err });
      if (err) res.errors.push(`post hook failed: ${err}`);
    }
    session.lock?.setPending([]);
    if (g.pre.length > 0 || g.post.length > 0) res.maintenanceMs = Date.now() - t0;
  }
  if (res.errors.length > 0) {
    await volumes?.close();
    return res;
  }
  try {
    res.manifest = await commitManifest(session, g, host, dumps, volumes);
    out.step(`${key}: manifest ${res.manifest}`);
    res.ok = true;
  } catch (e) {
    res.errors.push(errorMessage(e));
  } finally {
    await volumes?.close();
  }
  return res;
}

/**
 * Writes the group's manifest (through the volume helper when there is one);
 * returns its snapshot id. A manifest restore and drill would refuse (e.g. a
 * shared server's database owned by another role than its own) is not written.
 */
async function commitManifest(
  session: Session,
  g: BackupGroup,
  host: string,
  dumps: DumpRecord[],
  volumes: VolumeBackup | undefined,
): Promise<string> {
  const ctx = session.ctx;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    tenant: g.tenant,
    service: g.service,
    version: g.version,
    host,
    runId: ctx.runId,
    createdAt: new Date().toISOString(),
    dumps,
    ...(volumes ? { volumeSnapshot: volumes.snapshot } : {}),
    volumes: volumes?.records ?? [],
  };
  const kind = tagsFor(g.tenant, g.service, g.version, "manifest");
  acceptManifest(
    manifest,
    { short_id: "(new)", tags: kind },
    g,
    "no manifest written: restore would refuse it",
  );
  const refs = [...dumps.map((d) => d.snapshot), ...(volumes ? [volumes.snapshot] : [])];
  const tags = [...kind, ...refs.map((r) => `ref=${r}`)];
  const file = manifestPath(g.tenant, g.service);
  const manifestArgs = ["backup", "--stdin", "--stdin-filename", file, "--json", ...tagArgs(tags, host)];
  const text = JSON.stringify(manifest);
  // The protocol is one arg a line, ended by an empty line.
  if (volumes && manifestArgs.every((a) => a.length > 0 && !a.includes("\n")))
    return volumes.writeManifest(manifestArgs, text);
  await volumes?.close();
  return backupText(ctx, text, file, tagArgs(tags, host));
}

interface VolumeBackup {
  snapshot: string;
  records: VolumeRecord[];
  added: number;
  /** Writes the manifest through the same helper (restic args, text); returns its snapshot id. */
  writeManifest(args: string[], text: string): Promise<string>;
  /** Lets the helper exit without a manifest. */
  close(): Promise<void>;
}

async function backupVolumes(
  session: Session,
  g: BackupGroup,
  host: string,
  out: Output,
): Promise<VolumeBackup> {
  const ctx = session.ctx;
  const cache = `/cache/socle-sums/${ctx.repo.key}-${g.tenant}-${g.service}.tsv`;
  const args = [
    "backup",
    "--json",
    ...tagArgs(tagsFor(g.tenant, g.service, g.version, "volume"), host),
    ...g.volumes.map((v) => `${VOLUMES_ROOT}/${v}`),
  ];
  const { proc } = startHelper(ctx, "volumes", {
    script: VOLUME_BACKUP_SCRIPT,
    args: [cache, ...args],
    stdin: true,
    mounts: g.volumes.map((v) => ({ volume: v, target: `${VOLUMES_ROOT}/${v}`, readOnly: true })),
  });
  let all = "";
  let buf = "";
  let sumsEnd: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (sumsEnd = resolve));
  const endMark = `\n${SUMS_END_MARKER}\n`;
  proc.stdout.on("data", (c: Buffer) => {
    const text = c.toString();
    all += text;
    if (all.slice(-(text.length + endMark.length)).includes(endMark)) sumsEnd();
    buf += text;
    const nl = buf.lastIndexOf("\n");
    if (nl < 0) return;
    const lines = buf.slice(0, nl).split("\n");
    buf = buf.slice(nl + 1);
    const status = lines.reverse().find((l) => l.startsWith('{"message_type":"status"'));
    if (status) {
      const s = JSON.parse(status) as { percent_done?: number; bytes_done?: number };
      out.progress(
        `  volumes ${((s.percent_done ?? 0) * 100).toFixed(0)}% ${((s.bytes_done ?? 0) / 1048576).toFixed(0)} MiB`,
      );
    }
  });
  const done = proc.then((r) => r);
  await Promise.race([ended, done]);
  const end = all.indexOf(endMark);
  if (end < 0) {
    // The helper exited before the end of the sums: restic or the checksum pass failed.
    proc.stdin.end();
    const r = await done;
    throw resticError(`restic backup of volumes ${g.volumes.join(", ")}`, ctx.repo.url, r.stderr);
  }
  const at = all.indexOf(`\n${SUMS_MARKER}\n`);
  const resticOut = all.slice(0, at);
  const sums = parseSums(all.slice(at + SUMS_MARKER.length + 2, end + 1), g.volumes);
  const summary = summaryOf(resticOut);
  const records = g.volumes.map((name) => ({
    name,
    files: sums[name]!.length,
    bytes: sums[name]!.reduce((a, f) => a + f[2], 0),
    sums: sums[name]!,
  }));
  return {
    snapshot: summary.snapshot_id,
    records,
    added: summary.data_added ?? 0,
    async writeManifest(manifestArgs, text) {
      if (proc.stdin.writableEnded) throw new Error("the volume helper's input is already closed");
      proc.stdin.end(`${manifestArgs.join("\n")}\n\n${text}`);
      const r = await done;
      if (r.exitCode !== 0) throw resticError("writing the manifest", ctx.repo.url, r.stderr);
      return summaryOf(r.stdout.slice(r.stdout.indexOf(endMark) + endMark.length)).snapshot_id;
    },
    async close() {
      if (!proc.stdin.writableEnded) proc.stdin.end();
      await done;
    },
  };
}

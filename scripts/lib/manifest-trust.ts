/**
 * A manifest is read from the restic repository, which anyone holding its
 * password (it is on every host) can write. Restore and drill therefore accept
 * one only when every name in it is one the LIVE group's labels declare (so it
 * passed the label contract's grammar and the discovery checks), and every id,
 * path and fact has the form a backup writes. A refusal is one line, thrown
 * before any container is stopped, volume mounted or database dropped.
 */
import { DATABASE_RE, VOLUME_RE } from "../../components/labels.js";
import { groupKey, type BackupGroup, type DumpTarget } from "./discovery.js";
import { docker } from "./docker.js";
import { SocleError } from "./errors.js";
import { dumpPath, tagValue, type DumpRecord, type Manifest, type SnapshotInfo } from "./manifest.js";

const SNAPSHOT_ID = /^[0-9a-f]{8,64}$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** A role name (the database owner a restore recreates). */
const ROLE = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;
/** An encoding, collation or ctype (`UTF8`, `C.UTF-8`, `utf8mb4_general_ci`; empty: the default). */
const LOCALE = /^[A-Za-z0-9_.@-]{0,64}$/;
/** An image reference or id as `docker inspect` reports a container's (never an option). */
export const IMAGE_RE =
  /^(?:sha256:[0-9a-f]{64}|[a-z0-9][a-z0-9._-]*(?::[0-9]+)?(?:\/[a-z0-9][a-z0-9._-]*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?)$/;

const NEXT = "nothing was touched; check who writes to the repository";

const isString = (v: unknown): v is string => typeof v === "string";

/**
 * Throws unless `m` (from the manifest snapshot `snap`) describes group `g` as
 * its live labels do: same tenant and service (tags included), only volumes
 * and dumps (engine, database, container) the labels declare, ids, paths and
 * database facts of the form a backup writes; on the platform's shared server
 * the owner is the database's own role. Backups run it on the manifest they
 * are about to write (`next` then says no manifest was written).
 */
export function acceptManifest(
  m: Manifest,
  snap: Pick<SnapshotInfo, "short_id" | "tags">,
  g: BackupGroup,
  next = NEXT,
): void {
  const refuse = (what: string) =>
    new SocleError(`${groupKey(g)}: refusing manifest ${snap.short_id}: ${what}; ${next}`);
  const tags = `${tagValue(snap, "tenant")}/${tagValue(snap, "service")}`;
  if (m.tenant !== g.tenant || m.service !== g.service || tags !== groupKey(g)) {
    throw refuse(`it names ${JSON.stringify(`${m.tenant}/${m.service}`)} (tags ${JSON.stringify(tags)})`);
  }
  if (!Array.isArray(m.volumes) || !Array.isArray(m.dumps)) throw refuse("volumes and dumps must be lists");
  if (m.volumes.length > 0 && !(isString(m.volumeSnapshot) && SNAPSHOT_ID.test(m.volumeSnapshot))) {
    throw refuse(`volume snapshot ${JSON.stringify(m.volumeSnapshot)} is not a snapshot id`);
  }
  const seen = new Set<string>();
  for (const v of m.volumes as unknown[]) {
    const name = (v as { name?: unknown } | null)?.name;
    if (isString(name) && seen.has(name)) throw refuse(`volume "${name}" is listed twice`);
    if (!isString(name) || !VOLUME_RE.test(name) || !g.volumes.includes(name)) {
      throw refuse(
        `volume ${JSON.stringify(name)} is not one of its labels' volumes (${g.volumes.join(", ") || "none"})`,
      );
    }
    if (!Array.isArray((v as { sums?: unknown }).sums)) throw refuse(`volume ${name} has no checksum list`);
    seen.add(name);
  }
  const dumps = new Set<string>();
  for (const d of m.dumps as unknown[]) {
    const problem = dumpProblem(d as DumpRecord, g, dumps);
    if (problem) throw refuse(problem);
  }
}

/** What is wrong with one dump record, or undefined. */
function dumpProblem(d: DumpRecord, g: BackupGroup, seen: Set<string>): string | undefined {
  if (d === null || typeof d !== "object") return "a dump is not an object";
  const live = g.dumps.find(
    (x) => x.engine === d.engine && x.database === d.database && x.container === d.container,
  );
  const key = `${String(d.engine)}:${String(d.database)} in ${String(d.container)}`;
  if (!isString(d.database) || !DATABASE_RE.test(d.database) || !live || seen.has(key)) {
    return `dump ${JSON.stringify(key)} is not one of its labels' dumps (${
      g.dumps.map((x) => `${x.engine}:${x.database} in ${x.container}`).join(", ") || "none"
    })`;
  }
  seen.add(key);
  if (!isString(d.snapshot) || !SNAPSHOT_ID.test(d.snapshot))
    return `dump ${key}: snapshot ${JSON.stringify(d.snapshot)} is not a snapshot id`;
  const path = `/${dumpPath(g.tenant, g.service, d.database, d.engine)}`;
  if (d.path !== path) return `dump ${key}: path ${JSON.stringify(d.path)} is not ${path}`;
  if (!isString(d.sha256) || !SHA256.test(d.sha256)) return `dump ${key}: sha256 is not 64 hex digits`;
  if (!isString(d.image) || !IMAGE_RE.test(d.image))
    return `dump ${key}: image ${JSON.stringify(d.image)} is not an image reference`;
  if (d.tables === null || typeof d.tables !== "object") return `dump ${key}: tables is not an object`;
  return infoProblem(d, live, key);
}

function infoProblem(d: DumpRecord, live: DumpTarget, key: string): string | undefined {
  if (d.info === null || typeof d.info !== "object") return `dump ${key}: info is not an object`;
  const { owner, ...locale } = d.info as Record<string, unknown>;
  if (owner !== undefined && !(isString(owner) && ROLE.test(owner)))
    return `dump ${key}: owner ${JSON.stringify(owner)} is not a role name`;
  for (const [k, v] of Object.entries(locale)) {
    if (v !== undefined && !(isString(v) && LOCALE.test(v)))
      return `dump ${key}: ${k} ${JSON.stringify(v)} is not an encoding or locale name`;
  }
  // On the shared server every town's role exists: a forged owner would give
  // this database to another town's role.
  if (live.shared && owner !== undefined && owner !== d.database)
    return `dump ${key}: owner "${owner}" is not the database's own role (${d.database}) on the shared server`;
  return undefined;
}

interface ImageFacts {
  id: string;
  repositories: string[];
}

async function imageFacts(ref: string): Promise<ImageFacts | undefined> {
  const r = await docker(["image", "inspect", "--format", "{{.Id}} {{json .RepoTags}}", "--", ref]);
  if (r.code !== 0) return undefined;
  const [id = "", ...rest] = r.stdout.trim().split(" ");
  const list = (JSON.parse(rest.join(" ") || "[]") as string[] | null) ?? [];
  return { id, repositories: list.map((t) => t.replace(/:[^:/]*$/, "")) };
}

/**
 * The drill starts a scratch server from the image a dump recorded: accepted
 * only when it is on this engine (the drill never pulls) and is the live dump
 * container's image, or another version of the same repository (after an
 * update, the previous major's image is still on the engine).
 */
export async function acceptDrillImage(
  snapId: string,
  key: string,
  d: Pick<DumpRecord, "database" | "image" | "container">,
  liveImage: string | undefined,
): Promise<void> {
  const refuse = (what: string) =>
    new SocleError(`${key}: refusing manifest ${snapId}: dump ${d.database}: ${what}; ${NEXT}`);
  const [mine, live] = await Promise.all([
    imageFacts(d.image),
    liveImage ? imageFacts(liveImage) : Promise.resolve(undefined),
  ]);
  if (!mine) throw refuse(`image "${d.image}" is not on this engine (the drill never pulls)`);
  if (!live) throw refuse(`the image of ${d.container} cannot be read`);
  if (mine.id === live.id || mine.repositories.some((r) => live.repositories.includes(r))) return;
  throw refuse(
    `image "${d.image}" is neither ${d.container}'s image (${liveImage}) nor another version of it`,
  );
}

/**
 * Retention and the scheduled check, for real: `--keep-last 1` keeps the
 * latest manifest and exactly the snapshots it references; the orphan of a
 * failed run (no manifest) older than it is forgotten; snapshots Socle did
 * not write are never touched; `--check` runs `restic check
 * --read-data-subset`; the kept backup still restores (drill passes).
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as backup } from "../../scripts/backup.js";
import { main as drill } from "../../scripts/drill.js";
import { createOutput } from "../../scripts/lib/output.js";
import {
  IMAGES,
  appLabels,
  cleanup,
  createVolume,
  ensureImages,
  execIn,
  psql,
  runContainer,
  sh,
  socleEnv,
  tempDir,
  toolsReady,
  waitPg,
  withEnv,
} from "./fixtures/backup-env.js";

const SUITE = "backup-retention";
const ready = toolsReady(SUITE);
const out = createOutput({ quiet: true });
const PASSWORD = "retention-password";

interface Snap {
  id: string;
  short_id: string;
  tags?: string[];
}

describe.skipIf(!ready)("retention and check, for real", () => {
  const state = tempDir("socle-ret-state-");
  const repo = `${tempDir("socle-ret-repo-")}/repo`;
  const env = socleEnv(state, PASSWORD);
  const snapshots = (): Snap[] =>
    JSON.parse(
      spawnSync("restic", ["-r", repo, "snapshots", "--json"], {
        env: { ...process.env, RESTIC_PASSWORD: PASSWORD },
        encoding: "utf8",
      }).stdout,
    ) as Snap[];

  beforeAll(async () => {
    ensureImages();
    cleanup(SUITE);
    createVolume("ret-data", SUITE);
    runContainer({
      name: "ret-pg",
      image: IMAGES.pg,
      suite: SUITE,
      labels: { tenant: "ret", service: "app", role: "db", dump: { engine: "postgres", database: "app" } },
      env: { POSTGRES_USER: "admin", POSTGRES_PASSWORD: "pw", POSTGRES_DB: "app" },
    });
    runContainer({
      name: "ret-app",
      image: IMAGES.app,
      suite: SUITE,
      labels: appLabels("ret", "app", ["ret-data"]),
      volumes: { "ret-data": "/data" },
    });
    await waitPg("ret-pg");
    psql("ret-pg", "app", "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 100) g");
    execIn("ret-app", "echo one > /data/f.txt");
  });

  afterAll(() => {
    if (ready) cleanup(SUITE);
  });

  it("keeps the latest complete backup and what it references, forgets the rest, checks the repository", async () => {
    const first = await withEnv(env, () => backup({ repo, tenant: "ret", out }));
    expect(first.errors).toEqual([]);
    // A foreign snapshot (not Socle's): never touched by retention.
    const foreign = spawnSync(
      "restic",
      ["-r", repo, "backup", "--stdin", "--stdin-filename", "notes.txt", "--tag", "admin"],
      {
        env: { ...process.env, RESTIC_PASSWORD: PASSWORD },
        input: "hand-made",
        encoding: "utf8",
      },
    );
    expect(foreign.status).toBe(0);
    // A failed run (database down) leaves an orphan volume snapshot without manifest.
    sh("docker", ["stop", "ret-pg"]);
    const failed = await withEnv(env, () => backup({ repo, tenant: "ret", out }));
    sh("docker", ["start", "ret-pg"]);
    await waitPg("ret-pg");
    expect(failed.exitCode).toBe(1);
    const orphan = failed.groups[0]!.volumes!.snapshot;
    execIn("ret-app", "echo two > /data/f.txt");
    const last = await withEnv(env, () =>
      backup({ repo, tenant: "ret", out, keep: { last: 1 }, check: "10%" }),
    );
    expect(last.errors).toEqual([]);
    expect(last.exitCode).toBe(0);
    expect(last.check).toEqual({ subset: "10%", ok: true });
    const g = last.groups[0]!;
    const kept = [g.manifest!, g.dumps[0]!.snapshot, g.volumes!.snapshot];
    const left = snapshots();
    expect(left.map((s) => s.short_id).sort()).toEqual(
      [...kept.map((k) => k.slice(0, 8)), foreign.stdout.match(/snapshot (\w+) saved/)![1]!].sort(),
    );
    expect(left.map((s) => s.short_id)).not.toContain(orphan.slice(0, 8));
    // forgotten: the first run's dump, volume and manifest, and the orphan volume snapshot.
    expect(last.retention).toEqual({ kept: 3, forgotten: 4, pruned: true });
    const d = await withEnv(env, () => drill({ repo, tenant: "ret", out }));
    expect(d.exitCode).toBe(0);
  });
});

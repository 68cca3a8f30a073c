/**
 * Restore, for real, beyond the round trip: a chosen older snapshot (by
 * manifest id and by time), `--dry-run` touching nothing, and the refusal to
 * restore into a volume whose path contains the repository (the repository
 * is left intact).
 */
import { cpSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as backup } from "../../scripts/backup.js";
import { main as restore } from "../../scripts/restore.js";
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
  volumeSums,
  waitPg,
  withEnv,
} from "./fixtures/backup-env.js";

const SUITE = "restore-guard";
const ready = toolsReady(SUITE);
const out = createOutput({ quiet: true });
const APP = "rg-app";
const PG = "rg-pg";

describe.skipIf(!ready)("socle restore: snapshot choice, dry run, repository guard", () => {
  const state = tempDir("socle-rg-state-");
  const repo = `${tempDir("socle-rg-repo-")}/repo`;
  const env = socleEnv(state, "guard-password");
  let first: { manifest: string; time: string; sums: string };

  beforeAll(async () => {
    ensureImages();
    cleanup(SUITE);
    createVolume("rg-data", SUITE);
    runContainer({
      name: PG,
      image: IMAGES.pg,
      suite: SUITE,
      labels: { tenant: "rg", service: "app", role: "db", dump: { engine: "postgres", database: "app" } },
      env: { POSTGRES_USER: "admin", POSTGRES_PASSWORD: "pw", POSTGRES_DB: "app" },
    });
    runContainer({
      name: APP,
      image: IMAGES.app,
      suite: SUITE,
      labels: appLabels("rg", "app", ["rg-data"]),
      volumes: { "rg-data": "/data" },
    });
    await waitPg(PG);
    psql(PG, "app", "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g");
    execIn(APP, "echo version-1 > /data/state.txt");
    const b1 = await withEnv(env, () => backup({ repo, tenant: "rg", out }));
    expect(b1.errors).toEqual([]);
    first = {
      manifest: b1.groups[0]!.manifest!,
      time: new Date().toISOString(),
      sums: volumeSums("rg-data"),
    };
    await new Promise((r) => setTimeout(r, 1100));
    psql(PG, "app", "INSERT INTO t SELECT g FROM generate_series(1001, 1500) g");
    execIn(APP, "echo version-2 > /data/state.txt && echo new > /data/added.txt");
    const b2 = await withEnv(env, () => backup({ repo, tenant: "rg", out }));
    expect(b2.errors).toEqual([]);
  });

  afterAll(() => {
    if (ready) cleanup(SUITE);
  });

  it("--dry-run prints the plan and changes nothing", async () => {
    const sums = volumeSums("rg-data");
    const r = await withEnv(env, () => restore({ repo, tenant: "rg", dryRun: true, out }));
    expect(r.exitCode).toBe(0);
    expect(r.plan?.slice(1)).toEqual([
      `  stop   ${APP}`,
      "  volume rg-data: empty, restore 2 files",
      "  db     postgres:app in rg-pg: drop, recreate, load",
      `  post   ${APP}: app-hook fingerprint`,
    ]);
    expect(volumeSums("rg-data")).toBe(sums);
    expect(psql(PG, "app", "select count(*) from t")).toBe("1500");
  });

  it("restores an older backup chosen by manifest id, then by time", async () => {
    const r = await withEnv(env, () =>
      restore({ repo, tenant: "rg", service: "app", snapshot: first.manifest, out, healthTimeout: 60 }),
    );
    expect(r.errors).toEqual([]);
    expect(r.groups[0]!.manifest).toBe(first.manifest);
    expect(r.groups[0]!.unhealthy).toEqual([]);
    expect(volumeSums("rg-data")).toBe(first.sums);
    expect(psql(PG, "app", "select count(*) from t")).toBe("1000");
    const latest = await withEnv(env, () => restore({ repo, tenant: "rg", out, healthTimeout: 60 }));
    expect(latest.errors).toEqual([]);
    expect(psql(PG, "app", "select count(*) from t")).toBe("1500");
    const byTime = await withEnv(env, () =>
      restore({ repo, tenant: "rg", snapshot: first.time, out, healthTimeout: 60 }),
    );
    expect(byTime.errors).toEqual([]);
    expect(byTime.groups[0]!.manifest).toBe(first.manifest);
    expect(psql(PG, "app", "select count(*) from t")).toBe("1000");
  });

  it("refuses to restore into a volume whose path contains the repository, and leaves it intact", async () => {
    const mountpoint = sh("docker", ["volume", "inspect", "--format", "{{.Mountpoint}}", "rg-data"]).trim();
    const inside = `${mountpoint}/backups`;
    cpSync(repo, inside, { recursive: true });
    const before = sh("sh", ["-c", `cd ${inside} && find . -type f | sort | xargs sha256sum`]);
    const r = await withEnv(env, () => restore({ repo: inside, tenant: "rg", out }));
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      `refusing to restore volume rg-data: its path ${mountpoint} contains the repository ${inside}; emptying it would delete the backups`,
    ]);
    expect(sh("sh", ["-c", `cd ${inside} && find . -type f | sort | xargs sha256sum`])).toBe(before);
    expect(sh("docker", ["inspect", "--format", "{{.State.Running}}", APP]).trim()).toBe("true");
  });

  it("a tenant without backups is a clear failure", async () => {
    const r = await withEnv(env, () => restore({ repo, tenant: "nobody", out }));
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([`no complete backup of nobody in ${repo}`]);
  });
});

/**
 * Forged manifests (issue 12, finding 1), for real: two towns on one platform
 * PostgreSQL, a real backup of town A, then manifests written by this test
 * straight into the real restic repository (as anyone holding its password
 * could), each the latest of mfa/nextcloud. `socle restore` and `socle drill`
 * refuse every one with exit 1, and nothing is touched: the Docker engine's
 * own event log shows no mount, creation or removal of the towns' volumes and
 * no scratch resource, both databases keep their oid and rows, town A's app
 * keeps running, and a host directory a bind mount would have emptied keeps
 * its file. The genuine backup still restores.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as backup } from "../../scripts/backup.js";
import { main as drill } from "../../scripts/drill.js";
import { main as restore } from "../../scripts/restore.js";
import { createOutput } from "../../scripts/lib/output.js";
import type { Manifest } from "../../scripts/lib/manifest.js";
import {
  IMAGES,
  SOCLE_BIN,
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

const SUITE = "manifest-forged";
const ready = toolsReady(SUITE);
const out = createOutput({ quiet: true });
const PASSWORD = "forged-password";
const PG = "mf-socle-postgres";
const A = { tenant: "mfa", app: "mfa-nextcloud", volume: "mfa-nextcloud-data", db: "mfa_nextcloud" };
const B = { tenant: "mfb", app: "mfb-nextcloud", volume: "mfb-nextcloud-data", db: "mfb_nextcloud" };
const NEXT = "nothing was touched; check who writes to the repository";

describe.skipIf(!ready)("forged manifests are refused by restore and drill, nothing touched", () => {
  const state = tempDir("socle-mf-state-");
  const repo = `${tempDir("socle-mf-repo-")}/repo`;
  const canary = tempDir("socle-mf-canary-");
  const env = socleEnv(state, PASSWORD);
  const renv = { ...process.env, RESTIC_PASSWORD: PASSWORD };
  let genuine: { id: string; manifest: Manifest; tags: string[]; host: string };

  beforeAll(async () => {
    ensureImages();
    cleanup(SUITE);
    writeFileSync(path.join(canary, "host-file"), "must survive");
    runContainer({
      name: PG,
      image: IMAGES.pg,
      suite: SUITE,
      labels: { tenant: "_platform", service: "postgres", role: "db" },
      env: { POSTGRES_USER: "admin", POSTGRES_PASSWORD: "pw" },
    });
    await waitPg(PG);
    for (const [t, rows] of [
      [A, 100],
      [B, 200],
    ] as const) {
      createVolume(t.volume, SUITE);
      psql(PG, "postgres", `CREATE ROLE ${t.db} LOGIN`);
      psql(PG, "postgres", `CREATE DATABASE ${t.db} OWNER ${t.db}`);
      psql(PG, t.db, `CREATE TABLE t AS SELECT g AS id FROM generate_series(1, ${rows}) g`);
      runContainer({
        name: t.app,
        image: IMAGES.app,
        suite: SUITE,
        labels: appLabels(t.tenant, "nextcloud", [t.volume], {
          dump: { engine: "postgres", database: t.db },
          dumpContainer: PG,
        }),
        volumes: { [t.volume]: "/data" },
      });
      execIn(t.app, `echo ${t.tenant} > /data/state.txt`);
    }
    const b = await withEnv(env, () => backup({ repo, tenant: A.tenant, out }));
    expect(b.errors).toEqual([]);
    const list = spawnSync("restic", ["-r", repo, "snapshots", "--json", "--tag", "kind=manifest"], {
      env: renv,
      encoding: "utf8",
    });
    const snaps = JSON.parse(list.stdout) as { short_id: string; tags: string[]; hostname: string }[];
    const s = snaps.at(-1)!;
    const manifest = JSON.parse(
      spawnSync("restic", ["-r", repo, "dump", s.short_id, "/mfa/nextcloud/manifest.json"], {
        env: renv,
        encoding: "utf8",
      }).stdout,
    ) as Manifest;
    genuine = { id: s.short_id, manifest, tags: s.tags, host: s.hostname };
  }, 600_000);

  afterAll(() => {
    if (ready) cleanup(SUITE);
  });

  /** Writes `edit(genuine manifest)` as the newest manifest of mfa/nextcloud; returns its short id. */
  function forge(edit: (m: Manifest) => void): string {
    const m = structuredClone(genuine.manifest);
    edit(m);
    const w = spawnSync(
      "restic",
      [
        "-r",
        repo,
        "backup",
        "--json",
        "--stdin",
        "--stdin-filename",
        "mfa/nextcloud/manifest.json",
        "--host",
        genuine.host,
        ...genuine.tags.flatMap((t) => ["--tag", t]),
      ],
      { env: renv, input: JSON.stringify(m), encoding: "utf8" },
    );
    expect(w.status).toBe(0);
    const summary = w.stdout.split("\n").find((l) => l.includes('"message_type":"summary"'))!;
    return (JSON.parse(summary) as { snapshot_id: string }).snapshot_id.slice(0, 8);
  }

  /** Everything a restore or drill could touch. */
  function world() {
    const db = (name: string) =>
      psql(PG, "postgres", `SELECT oid FROM pg_database WHERE datname = '${name}'`) +
      ":" +
      psql(PG, name, "SELECT count(*) FROM t");
    return {
      a: volumeSums(A.volume),
      b: volumeSums(B.volume),
      dbA: db(A.db),
      dbB: db(B.db),
      appA: sh("docker", ["inspect", "--format", "{{.State.Running}} {{.State.StartedAt}}", A.app]).trim(),
      canary: existsSync(path.join(canary, "host-file")),
    };
  }

  /** The engine's events while `fn` ran, for the towns' volumes and any drill scratch resource. */
  async function eventsDuring(fn: () => Promise<void>): Promise<string[]> {
    const since = sh("date", ["+%s.%N"]).trim();
    await fn();
    const until = sh("date", ["+%s.%N"]).trim();
    const read = (filters: string[]) =>
      sh("docker", [
        "events",
        "--since",
        since,
        "--until",
        until,
        "--format",
        "{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}",
        ...filters.flatMap((f) => ["--filter", f]),
      ])
        .split("\n")
        .filter(Boolean);
    return [
      ...read(["type=volume", `volume=${A.volume}`, `volume=${B.volume}`]),
      ...read(["type=container", "label=socle.drill=1"]),
      ...read(["type=volume", "label=socle.drill=1"]),
    ];
  }

  async function refusedByBoth(id: string, what: string, drillWhat = what): Promise<void> {
    const before = world();
    const events = await eventsDuring(async () => {
      const r = await withEnv(env, () => restore({ repo, tenant: A.tenant, out, healthTimeout: 30 }));
      expect(r.errors).toEqual([`${A.tenant}/nextcloud: refusing manifest ${id}: ${what}; ${NEXT}`]);
      expect(r.exitCode).toBe(1);
      expect(r.groups).toEqual([]);
      const d = await withEnv(env, () => drill({ repo, tenant: A.tenant, out }));
      expect(d.errors).toEqual([`${A.tenant}/nextcloud: refusing manifest ${id}: ${drillWhat}; ${NEXT}`]);
      expect(d.exitCode).toBe(1);
      expect(d.checks).toEqual([]);
    });
    expect(events).toEqual([]);
    expect(world()).toEqual(before);
  }

  it("a volume name with a comma (a bind mount of a host directory): exit 1 from the CLI, nothing touched", async () => {
    const bind = `${A.volume},type=bind,source=${canary},target=/volumes/x`;
    const id = forge((m) => (m.volumes[0]!.name = bind));
    const what = `volume "${bind}" is not one of its labels' volumes (${A.volume})`;
    const before = world();
    for (const command of ["restore", "drill"]) {
      const r = spawnSync(
        process.execPath,
        [SOCLE_BIN, command, "--repo", repo, "--tenant", A.tenant, "--json"],
        { env: { ...process.env, ...env }, encoding: "utf8" },
      );
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stdout.trim()).errors).toEqual([
        `${A.tenant}/nextcloud: refusing manifest ${id}: ${what}; ${NEXT}`,
      ]);
    }
    expect(world()).toEqual(before);
    await refusedByBoth(id, what);
  });

  it("another town's volume, by its plain name", async () => {
    const id = forge((m) => (m.volumes[0]!.name = B.volume));
    await refusedByBoth(id, `volume "${B.volume}" is not one of its labels' volumes (${A.volume})`);
  });

  it("another town's database, and another container to run the dump in", async () => {
    const labelled = `postgres:${A.db} in ${PG}`;
    const db = forge((m) => {
      m.dumps[0]!.database = B.db;
      m.dumps[0]!.path = `/mfa/nextcloud/${B.db}.pgdump`;
    });
    await refusedByBoth(db, `dump "postgres:${B.db} in ${PG}" is not one of its labels' dumps (${labelled})`);
    const container = forge((m) => (m.dumps[0]!.container = B.app));
    await refusedByBoth(
      container,
      `dump "postgres:${A.db} in ${B.app}" is not one of its labels' dumps (${labelled})`,
    );
  });

  it("another town's role as the database owner", async () => {
    const id = forge((m) => (m.dumps[0]!.info.owner = B.db));
    await refusedByBoth(
      id,
      `dump postgres:${A.db} in ${PG}: owner "${B.db}" is not the database's own role (${A.db}) on the shared server`,
    );
  });

  it("an image the drill would start: an option, then another local image", async () => {
    const option = forge((m) => (m.dumps[0]!.image = "--privileged"));
    await refusedByBoth(
      option,
      `dump postgres:${A.db} in ${PG}: image "--privileged" is not an image reference`,
    );
    // The restore never starts the recorded image: only the drill refuses it.
    const other = forge((m) => (m.dumps[0]!.image = IMAGES.app));
    const before = world();
    const events = await eventsDuring(async () => {
      const d = await withEnv(env, () => drill({ repo, tenant: A.tenant, out }));
      expect(d.errors).toEqual([
        `${A.tenant}/nextcloud: refusing manifest ${other}: dump ${A.db}: image "${IMAGES.app}" is neither ${PG}'s image (${IMAGES.pg}) nor another version of it; ${NEXT}`,
      ]);
      expect(d.exitCode).toBe(1);
    });
    expect(events).toEqual([]);
    expect(world()).toEqual(before);
  });

  it("the genuine backup still restores", async () => {
    const r = await withEnv(env, () =>
      restore({ repo, tenant: A.tenant, snapshot: genuine.id, out, healthTimeout: 60 }),
    );
    expect(r.errors).toEqual([]);
    expect(r.groups.map((g) => [g.manifest, g.volumes, g.databases])).toEqual([
      [genuine.id, [A.volume], [`postgres:${A.db}`]],
    ]);
    expect(psql(PG, A.db, "SELECT count(*) FROM t")).toBe("100");
    expect(psql(PG, B.db, "SELECT count(*) FROM t")).toBe("200");
  });
});

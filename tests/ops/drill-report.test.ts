/**
 * The drill's verdicts, for real: a good backup passes (exit 0, one JSON line
 * on stdout with --json, nothing of the drill left on the engine), and a
 * manifest that disagrees with the data (a row count and a checksum altered)
 * is caught: exit 5, the mismatches named in the report.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as backup } from "../../scripts/backup.js";
import { createOutput } from "../../scripts/lib/output.js";
import {
  IMAGES,
  SOCLE_BIN,
  appLabels,
  cleanup,
  createVolume,
  ensureImages,
  execIn,
  mariadb,
  runContainer,
  sh,
  socleEnv,
  tempDir,
  toolsReady,
  waitMariadb,
  withEnv,
} from "./fixtures/backup-env.js";

const SUITE = "drill-report";
const ready = toolsReady(SUITE);
const out = createOutput({ quiet: true });
const PASSWORD = "drill-password";

function socle(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [SOCLE_BIN, ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
}

describe.skipIf(!ready)("socle drill, for real", () => {
  const state = tempDir("socle-dr-state-");
  const repo = `${tempDir("socle-dr-repo-")}/repo`;
  const env = socleEnv(state, PASSWORD);

  beforeAll(async () => {
    ensureImages();
    cleanup(SUITE);
    createVolume("dr-html", SUITE);
    runContainer({
      name: "dr-mariadb",
      image: IMAGES.mariadb,
      suite: SUITE,
      labels: {
        tenant: "dr",
        service: "wordpress-site",
        role: "db",
        dump: { engine: "mariadb", database: "wp" },
      },
      env: { MARIADB_ROOT_PASSWORD: "root-pw", MARIADB_DATABASE: "wp" },
    });
    runContainer({
      name: "dr-site",
      image: IMAGES.app,
      suite: SUITE,
      labels: appLabels("dr", "wordpress-site", ["dr-html"]),
      volumes: { "dr-html": "/var/www/html" },
    });
    await waitMariadb("dr-mariadb");
    mariadb(
      "dr-mariadb",
      "wp",
      "CREATE TABLE wp_posts (id INT PRIMARY KEY) ; INSERT INTO wp_posts SELECT seq FROM seq_1_to_3000",
    );
    execIn(
      "dr-site",
      "mkdir -p /var/www/html/wp-content && echo hello > /var/www/html/wp-content/a.txt && echo world > /var/www/html/b.txt",
    );
    const r = await withEnv(env, () => backup({ repo, tenant: "dr", out }));
    expect(r.errors).toEqual([]);
  });

  afterAll(() => {
    if (ready) cleanup(SUITE);
  });

  it("passes on a good backup: --json is one line, exit 0, no scratch resource left", () => {
    const r = socle(["drill", "--repo", repo, "--tenant", "dr", "--json"], env);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c: { item: string; ok: boolean }) => `${c.item}:${c.ok}`)).toEqual([
      "volume dr-html:true",
      "dump wp:true",
      "rows wp.wp_posts:true",
    ]);
    expect(sh("docker", ["ps", "-a", "--format", "{{.Names}}"])).not.toContain("socle-drill-");
    expect(sh("docker", ["network", "ls", "--format", "{{.Name}}"])).not.toContain("socle-drill-");
  });

  it("catches a manifest that disagrees with the data: exit 5 and a readable report", () => {
    const renv = { ...process.env, RESTIC_PASSWORD: PASSWORD };
    const list = spawnSync("restic", ["-r", repo, "snapshots", "--json", "--tag", "kind=manifest"], {
      env: renv,
      encoding: "utf8",
    });
    const snaps = JSON.parse(list.stdout) as { id: string; tags: string[]; hostname: string }[];
    const latest = snaps.at(-1)!;
    const manifest = JSON.parse(
      spawnSync("restic", ["-r", repo, "dump", latest.id, "/dr/wordpress-site/manifest.json"], {
        env: renv,
        encoding: "utf8",
      }).stdout,
    );
    manifest.dumps[0].tables["wp_posts"] = 2999;
    manifest.volumes[0].sums[0][1] = "0".repeat(64);
    const tagArgs = latest.tags.flatMap((t) => ["--tag", t]);
    const w = spawnSync(
      "restic",
      [
        "-r",
        repo,
        "backup",
        "--stdin",
        "--stdin-filename",
        "dr/wordpress-site/manifest.json",
        "--host",
        latest.hostname,
        ...tagArgs,
      ],
      {
        env: renv,
        input: JSON.stringify(manifest),
        encoding: "utf8",
      },
    );
    expect(w.status).toBe(0);
    const r = socle(["drill", "--repo", repo, "--tenant", "dr"], env);
    expect(r.status).toBe(5);
    expect(r.stdout).toMatch(/MISMATCH\s+dr\/wordpress-site\s+rows wp\.wp_posts\s+2999\s+3000/);
    expect(r.stdout).toMatch(
      /MISMATCH\s+dr\/wordpress-site\s+volume dr-html\s+2 files\s+1 changed, 0 missing, 0 extra \(e\.g\. \S+\)/,
    );
    expect(r.stdout).toContain("drill FAILED: 3 checks, 2 mismatches, 0 errors");
  });
});

/**
 * Backup benchmark (run: `npx tsx bench/backup.ts`; needs docker + restic and
 * the test images, see tests/ops/images). On the SAME data in one run — the
 * ops tests' ~1 GB mixed dataset and a 120,000-row PostgreSQL database:
 *
 *   1. Socle `backup` (hooks, dump, helper container, checksums, manifest)
 *      vs bare `restic backup` of the same files (the volume's directory on
 *      the host) and the same dump (`pg_dump | restic backup --stdin`):
 *      first run and incremental second run (a few files changed);
 *   2. the maintenance window (pre hook → post hook, from the stand-in
 *      app's hook log) of the first and the incremental run;
 *   3. Socle `restore` (in place, with the database recreated) vs bare
 *      `restic restore` + `restic dump | pg_restore`.
 *
 * The page cache is warmed first so neither side pays the cold read alone.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { main as backup } from "../scripts/backup.js";
import { main as restore } from "../scripts/restore.js";
import { createOutput, table } from "../scripts/lib/output.js";
import { SUMS_SCRIPT } from "../scripts/lib/scripts.js";
import {
  IMAGES,
  appLabels,
  cleanup,
  copyDataset,
  createVolume,
  ensureImages,
  execIn,
  hookLog,
  missingTools,
  psql,
  runContainer,
  sh,
  socleEnv,
  waitPg,
  withEnv,
} from "../tests/ops/fixtures/backup-env.js";

const SUITE = "bench-backup";
const PASSWORD = "bench-password";
const t0 = Date.now();
/** BENCH_STEPS=1 prints socle's step lines with elapsed times (where the time goes). */
const out = process.env.BENCH_STEPS
  ? createOutput({
      stderr: {
        write: (s: string) => process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(2)} ${s}`),
      } as NodeJS.WritableStream,
    })
  : createOutput({ quiet: true });

function bash(script: string): void {
  const r = spawnSync("bash", ["-o", "pipefail", "-c", script], {
    env: { ...process.env, RESTIC_PASSWORD: PASSWORD },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`${script}\n${r.stderr}`);
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function windows(container: string, skip = 0): number[] {
  const log = hookLog(container)
    .slice(skip)
    .map((l) => l.split(" "));
  const res: number[] = [];
  for (let i = 0; i + 1 < log.length; i++) {
    if (log[i]![1] === "on" && log[i + 1]![1] === "off")
      res.push(Number(log[i + 1]![2]) - Number(log[i]![2]));
  }
  return res;
}

async function mainBench(): Promise<void> {
  const missing = missingTools();
  if (missing.length > 0) throw new Error(`bench/backup: missing ${missing.join(", ")}`);
  ensureImages();
  cleanup(SUITE);
  const base = mkdtempSync(path.join(tmpdir(), "socle-bench-"));
  const socleRepo = path.join(base, "socle-repo");
  const bareRepo = path.join(base, "bare-repo");
  const env = socleEnv(path.join(base, "state"), PASSWORD);
  try {
    console.error("setting up: dataset volume, PostgreSQL with 120,000 rows …");
    copyDataset("bench-data", SUITE);
    createVolume("bench-state", SUITE);
    runContainer({
      name: "bench-pg",
      image: IMAGES.pg,
      suite: SUITE,
      labels: { tenant: "bench", service: "app", role: "db", dump: { engine: "postgres", database: "app" } },
      env: { POSTGRES_USER: "admin", POSTGRES_PASSWORD: "pw", POSTGRES_DB: "app" },
    });
    runContainer({
      name: "bench-app",
      image: IMAGES.app,
      suite: SUITE,
      labels: appLabels("bench", "app", ["bench-data"]),
      volumes: { "bench-data": "/data", "bench-state": "/var/lib/app" },
    });
    await waitPg("bench-pg");
    psql(
      "bench-pg",
      "app",
      "CREATE TABLE files AS SELECT g AS id, 'files/d-' || (g % 500) || '/doc-' || g || '.odt' AS path, md5(g::text) AS etag FROM generate_series(1, 100000) g",
    );
    psql(
      "bench-pg",
      "app",
      "CREATE TABLE activity AS SELECT g AS id, 'partage ' || g AS subject FROM generate_series(1, 20000) g",
    );
    const data = sh("docker", ["volume", "inspect", "--format", "{{.Mountpoint}}", "bench-data"]).trim();
    const size = Number(sh("du", ["-sb", data]).split("\t")[0]);
    const files = Number(sh("sh", ["-c", `find ${data} -type f | wc -l`]).trim());
    bash(`tar -C ${data} -cf - . | cat >/dev/null`); // warm the page cache for both sides
    sh("docker", ["volume", "create", "socle-restic-cache"]);
    const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
    const m: Record<string, number[]> = {};
    const rec = (k: string, v: number) => (m[k] ??= []).push(v);
    for (let round = 1; round <= rounds; round++) {
      // Fresh repositories each round, created beforehand on both sides.
      rmSync(socleRepo, { recursive: true, force: true });
      rmSync(bareRepo, { recursive: true, force: true });
      bash(`restic init -q -r ${bareRepo} && restic init -q -r ${socleRepo}`);
      const bareBackup = () =>
        bash(
          `docker exec bench-pg sh -c 'pg_dump -Fc -U "$POSTGRES_USER" app' | restic -q -r ${bareRepo} backup --stdin --stdin-filename app.pgdump --host bench && restic -q -r ${bareRepo} backup --host bench ${data}`,
        );
      const socleBackup = async () => {
        const r = await withEnv(env, () => backup({ repo: socleRepo, tenant: "bench", out }));
        if (!r.ok) throw new Error(r.errors.join("\n"));
      };
      // Alternate which side goes first: the machine's load varies.
      const pair = async (label: string) => {
        if (round % 2 === 1) {
          rec(`bare ${label}`, await timed(bareBackup));
          rec(`socle ${label}`, await timed(socleBackup));
        } else {
          rec(`socle ${label}`, await timed(socleBackup));
          rec(`bare ${label}`, await timed(bareBackup));
        }
      };
      const hooks = hookLog("bench-app").length;
      console.error(`round ${round}/${rounds}: first runs …`);
      await pair("first");
      console.error(
        `round ${round}/${rounds}: incremental runs (20 text files changed, 1 new 5 MB file, 50 rows) …`,
      );
      execIn(
        "bench-app",
        `for i in $(seq 0 19); do echo changed-${round} >> /data/text/3/note-0$((100 + i)).txt; done; head -c 5000000 /dev/urandom > /data/new.bin`,
      );
      psql(
        "bench-pg",
        "app",
        `INSERT INTO activity SELECT g, 'nouveau ' || g FROM generate_series(${round * 1000 + 30000}, ${round * 1000 + 30049}) g`,
      );
      await pair("incremental");
      const w = windows("bench-app", hooks);
      rec("window first", w[0]!);
      rec("window incremental", w[1]!);
      console.error(`round ${round}/${rounds}: restores …`);
      const target = path.join(base, "bare-restore");
      rmSync(target, { recursive: true, force: true });
      rec(
        "bare restore",
        await timed(() =>
          bash(
            `restic -q -r ${bareRepo} restore latest --path ${data} --target ${target} && ` +
              `docker exec bench-pg sh -c 'psql -q -U "$POSTGRES_USER" -d postgres -c "DROP DATABASE IF EXISTS bare_restore" -c "CREATE DATABASE bare_restore"' && ` +
              `restic -r ${bareRepo} dump --path /app.pgdump latest /app.pgdump | docker exec -i bench-pg sh -c 'pg_restore -U "$POSTGRES_USER" -d bare_restore'`,
          ),
        ),
      );
      rec(
        "socle restore",
        await timed(async () => {
          const r = await withEnv(env, () =>
            restore({ repo: socleRepo, tenant: "bench", out, healthTimeout: 120 }),
          );
          if (!r.ok) throw new Error(r.errors.join("\n"));
        }),
      );
      rec(
        "checksum pass",
        await timed(() =>
          sh("docker", [
            "run",
            "--rm",
            "-v",
            "bench-data:/volumes/bench-data:ro",
            "--entrypoint",
            "sh",
            IMAGES.helper,
            "-c",
            SUMS_SCRIPT,
          ]),
        ),
      );
    }
    const med = (k: string) => {
      const v = [...(m[k] ?? [NaN])].sort((a, b) => a - b);
      return v[Math.floor(v.length / 2)]!;
    };
    const f = (x: number) => `${x.toFixed(1)} s`;
    const all = (k: string) => (m[k] ?? []).map((x) => x.toFixed(1)).join(" / ");
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    const [s1, b1, s2, b2, sr, br, w1, w2] = [
      "socle first",
      "bare first",
      "socle incremental",
      "bare incremental",
      "socle restore",
      "bare restore",
      "window first",
      "window incremental",
    ].map(med) as number[];
    console.log(
      `data: ${(size / 1e9).toFixed(2)} GB in ${files} files + PostgreSQL 120,000 rows; ${sh("nproc", []).trim()} cores; median of ${rounds} rounds (all rounds in brackets)`,
    );
    console.log(
      table(
        ["measure", "socle", "bare restic", "ratio"],
        [
          [
            "backup, first run",
            `${f(s1!)} [${all("socle first")}]`,
            `${f(b1!)} [${all("bare first")}]`,
            ratio(s1!, b1!),
          ],
          [
            "backup, incremental",
            `${f(s2!)} [${all("socle incremental")}]`,
            `${f(b2!)} [${all("bare incremental")}]`,
            ratio(s2!, b2!),
          ],
          [
            "restore (in place / bare)",
            `${f(sr!)} [${all("socle restore")}]`,
            `${f(br!)} [${all("bare restore")}]`,
            ratio(sr!, br!),
          ],
          ["maintenance window, first", `${f(w1!)} [${all("window first")}]`, "-", "-"],
          [
            "maintenance window, incremental",
            `${f(w2!)} [${all("window incremental")}]`,
            "-",
            `${((w2! / w1!) * 100).toFixed(0)} % of first`,
          ],
          [
            "checksum pass alone (sha256 of every file)",
            `${f(med("checksum pass"))} [${all("checksum pass")}]`,
            "-",
            "-",
          ],
        ],
      ),
    );
    console.log(
      `targets: backup overhead ≤ 1.15× → ${s1! / b1! <= 1.15 ? "met" : "NOT met"} (${ratio(s1!, b1!)}); incremental window a small fraction of the first → ${w2! / w1! < 0.5 ? "met" : "NOT met"} (${((w2! / w1!) * 100).toFixed(0)} %)`,
    );
  } finally {
    cleanup(SUITE);
    rmSync(base, { recursive: true, force: true });
  }
}

await mainBench();

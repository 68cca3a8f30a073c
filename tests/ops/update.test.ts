/**
 * `socle update apply` for real on the started dockerd: three tenants run a
 * Debian-built stand-in app (socle-test/update-app, version baked into the
 * image; 33.0.0 migrates the data, damages it and never gets healthy). The
 * Pulumi CLI cannot run here, so a `Deployer` test double recreates the
 * containers with the new image tag; everything else is the real code:
 * label discovery, the planner, `socle backup`/`socle restore` into a restic
 * repository (socle-test/restic helper), health and version probes,
 * rollback, the lock.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main, parseUpdateArgs, type UpdateResult } from "../../scripts/update.js";
import { realDeps } from "../../scripts/update/runtime.js";
import {
  APP_IMAGE,
  DockerRecreateDeployer,
  containerId,
  runningVersion,
  seedData,
  sh,
  startApp,
  statusPhp,
  volumeChecksums,
  volumeName,
  containerName,
} from "./update-harness.js";

const ROOT = new URL("../..", import.meta.url).pathname;

function dockerUsable(): boolean {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}
const haveDocker = dockerUsable();
if (!haveDocker && process.env.CI === "true") {
  throw new Error("update: docker is not usable and CI=true: this real test cannot be skipped");
}
if (!haveDocker) console.warn("update: SKIPPED, no usable docker engine (start dockerd to run it)");

const RUN = `upd${process.pid}`;
const NET = `${RUN}-net`;
const [A, B, C] = [`${RUN}-a`, `${RUN}-b`, `${RUN}-c`];
const ALL = [A, B, C];
const HEALTH_TIMEOUT = "10";
let dir = "";
const savedEnv: Record<string, string | undefined> = {};

function imageExists(ref: string): boolean {
  try {
    execFileSync("docker", ["image", "inspect", ref], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const healthyAt = (tenant: string, version: string) =>
  waitFor(async () => {
    const s = await statusPhp(tenant);
    return s.status === 200 && JSON.parse(s.body).versionstring === version;
  }, `${tenant} healthy at ${version}`);

async function apply(args: string[], deployer: DockerRecreateDeployer): Promise<UpdateResult> {
  const log: string[] = [];
  const result = await main(parseUpdateArgs(["apply", "--health-timeout", HEALTH_TIMEOUT, ...args]), {
    deps: (options, l) => realDeps(options, l, { deployer }),
    log: (line) => log.push(line),
  });
  if (process.env.SOCLE_TEST_VERBOSE) console.log(log.join("\n"));
  return result;
}

describe.skipIf(!haveDocker)("socle update apply on a real engine", () => {
  beforeAll(async () => {
    if (!imageExists("socle-test/debian:12"))
      await sh(["bash", join(ROOT, "tests/ops/images/build-base.sh")]);
    if (!imageExists("socle-test/restic")) {
      await sh(["docker", "build", "-q", "-t", "socle-test/restic", join(ROOT, "tests/ops/images/restic")]);
    }
    if (!["31.0.11", "32.0.3", "33.0.0"].every((v) => imageExists(`${APP_IMAGE}:${v}`))) {
      await sh(["bash", join(ROOT, "tests/ops/images/update-app/build.sh")]);
    }
    dir = mkdtempSync(join(tmpdir(), "socle-update-"));
    writeFileSync(join(dir, "restic-password"), "update-test-password\n", { mode: 0o600 });
    const env = {
      RESTIC_REPOSITORY: join(dir, "repo"),
      RESTIC_PASSWORD_FILE: join(dir, "restic-password"),
      SOCLE_HELPER_IMAGE: "socle-test/restic",
      SOCLE_STATE_DIR: join(dir, "state"),
      SOCLE_UPDATE_LOCK: join(dir, "state", "update.lock"),
    };
    for (const [k, v] of Object.entries(env)) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
    await sh(["docker", "network", "create", NET]);
    for (const t of ALL) {
      await sh(["docker", "volume", "create", volumeName(t)]);
      await seedData(t);
      await startApp(t, "31.0.11", NET);
    }
    for (const t of ALL) await healthyAt(t, "31.0.11");
  });

  afterAll(async () => {
    for (const t of ALL) {
      await sh(["docker", "rm", "-f", containerName(t)]).catch(() => {});
      await sh(["docker", "volume", "rm", "-f", volumeName(t)]).catch(() => {});
    }
    await sh(["docker", "network", "rm", NET]).catch(() => {});
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("plans from the deployed labels, per tenant", async () => {
    const r = await main(parseUpdateArgs(["plan", "--tenant", `${A},${B}`, "--target", "nextcloud=32.0.3"]), {
      log: () => {},
    });
    expect(r.steps).toEqual(
      [A, B].flatMap((tenant) => [
        { tenant, service: "nextcloud", from: "31.0.11", to: "32.0.3", action: "backup" },
        { tenant, service: "nextcloud", from: "31.0.11", to: "32.0.3", action: "upgrade" },
      ]),
    );
  });

  it("a successful multi-tenant apply updates every tenant: canary first, then waves", async () => {
    const before = await Promise.all(ALL.map((t) => volumeChecksums(volumeName(t))));
    const deployer = new DockerRecreateDeployer(NET);
    const r = await apply(
      ["--tenant", ALL.join(","), "--target", "nextcloud=32.0.3", "--canary", B, "--wave-size", "2"],
      deployer,
    );
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.report!.waves).toEqual([[B], [A, C]]);
    expect(deployer.deployments).toEqual([[B], [A, C]]);
    expect(r.report!.tenants.map((t) => [t.tenant, t.status])).toEqual(ALL.map((t) => [t, "updated"]));
    for (const t of r.report!.tenants) {
      expect(t.steps.map((s) => [s.action, s.status])).toEqual([
        ["backup", "done"],
        ["upgrade", "done"],
      ]);
      expect(t.steps[0]!.snapshot).toMatch(/^[0-9a-f]{8,64}$/);
    }
    for (const [i, t] of ALL.entries()) {
      expect(await runningVersion(t)).toBe("32.0.3");
      expect(JSON.parse((await statusPhp(t)).body)).toMatchObject({
        versionstring: "32.0.3",
        maintenance: false,
      });
      expect(await volumeChecksums(volumeName(t))).toBe(before[i]); // user data untouched by the upgrade
    }
  });

  it("a step whose new version fails its health check is rolled back, and the data is intact (checksums)", async () => {
    const before = await volumeChecksums(volumeName(A), true);
    let damaged = "";
    const deployer = new DockerRecreateDeployer(NET, async (tenant, version) => {
      if (version !== "33.0.0") return;
      // The broken release migrates the data before failing: record what it left.
      await waitFor(async () => {
        damaged = await volumeChecksums(volumeName(tenant), true);
        return damaged !== before;
      }, "the broken release to migrate the data");
    });
    const r = await apply(["--tenant", A, "--target", "nextcloud=33.0.0"], deployer);
    expect(r.exitCode).toBe(1);
    expect(r.report!.failure).toMatchObject({
      tenant: A,
      service: "nextcloud",
      from: "32.0.3",
      to: "33.0.0",
      rolledBack: true,
    });
    expect(r.report!.failure!.error).toMatch(/^not healthy after 10s: /);
    expect(r.errors[0]).toContain("rolled back to 32.0.3 with the pre-step backup");
    expect(r.report!.tenants[0]!.status).toBe("rolled-back");
    expect(deployer.versionsDeployed).toEqual([`${A}@33.0.0`, `${A}@32.0.3`]);
    expect(damaged).not.toBe("");
    expect(damaged).not.toBe(before); // the failed release did change the data…
    expect(await volumeChecksums(volumeName(A), true)).toBe(before); // …and the restore put it back, byte for byte
    expect(await runningVersion(A)).toBe("32.0.3");
    expect(JSON.parse((await statusPhp(A)).body)).toMatchObject({
      versionstring: "32.0.3",
      maintenance: false,
    });
  });

  it("a canary failure stops the waves: later tenants are untouched", async () => {
    const ids = { [A]: await containerId(A), [C]: await containerId(C) };
    const sums = {
      [A]: await volumeChecksums(volumeName(A), true),
      [B]: await volumeChecksums(volumeName(B), true),
    };
    const deployer = new DockerRecreateDeployer(NET);
    const r = await apply(
      ["--tenant", ALL.join(","), "--target", "nextcloud=33.0.0", "--canary", B, "--wave-size", "2"],
      deployer,
    );
    expect(r.exitCode).toBe(1);
    expect(r.report!.waves).toEqual([[B], [A, C]]);
    expect(deployer.deployments).toEqual([[B], [B]]); // the canary, then its rollback; nothing else
    expect(r.report!.tenants.map((t) => [t.tenant, t.status])).toEqual([
      [A, "not-run"],
      [B, "rolled-back"],
      [C, "not-run"],
    ]);
    expect(await containerId(A)).toBe(ids[A]);
    expect(await containerId(C)).toBe(ids[C]);
    expect(await volumeChecksums(volumeName(A), true)).toBe(sums[A]);
    expect(await volumeChecksums(volumeName(B), true)).toBe(sums[B]);
    for (const t of ALL) expect(await runningVersion(t)).toBe("32.0.3");
    await healthyAt(B, "32.0.3");
  });

  it("refuses to run while another update holds the lock (exit 3), and dry-run changes nothing", async () => {
    const lock = process.env.SOCLE_UPDATE_LOCK!;
    writeFileSync(lock, JSON.stringify({ pid: process.pid, since: "2026-01-01T00:00:00Z" }));
    try {
      const deployer = new DockerRecreateDeployer(NET);
      const r = await apply(["--tenant", A, "--target", "nextcloud=33.0.0"], deployer);
      expect(r).toMatchObject({ exitCode: 3, kind: "LockedError" });
      expect(deployer.deployments).toEqual([]);
      const dry = await apply(["--tenant", A, "--target", "nextcloud=33.0.0", "--dry-run"], deployer);
      expect(dry.exitCode).toBe(0);
      expect(dry.report!.tenants[0]!.steps.map((s) => s.status)).toEqual(["planned", "planned"]);
      expect(deployer.deployments).toEqual([]);
    } finally {
      rmSync(lock, { force: true });
    }
  });
});

/**
 * Tenant isolation on a REAL Docker engine (issue 12). The networks are created
 * from the same code as the components declare them (network-plan.ts: names,
 * subnets, gateway, dynamic range, internal flag, labels), in an address block of
 * the test's own (not to meet a deployment on this engine), and the shared
 * containers are attached by the same rendered scripts (templates/network-attach.ts),
 * run the way the network jobs run them: a container on no network, the Docker
 * CLI and the engine's socket.
 *
 * Containers: town A's app and town B's app (each on its web and back-end
 * network, like Nextcloud), a PostgreSQL server (its own internal network, like
 * socle-postgres on socle-backend), the proxy (on its own web network, like
 * socle-proxy on socle-web). Proves, by TCP connects: A reaches its database,
 * neither B's app nor B's address on the database server; the proxy reaches both
 * apps and holds the static .2 on each tenant's web network; the database
 * initialiser of A runs on A's back-end network; pruning takes the shared
 * containers off a removed tenant's networks, which can then be deleted.
 *
 * No docker or test images: skipped outside CI, a failure under CI=true.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { $ } from "zx";
import {
  addressBlock,
  platformWebSpec,
  tenantNetworkPlan,
  tenantNetworkSpecs,
  type NetworkSpec,
  type TenantNetworkPlan,
} from "../../components/platform/network-plan.js";
import { NETWORK_JOB } from "../../components/platform/network-job.js";
import { renderPostgresInit } from "../../templates/db-init.js";
import {
  databaseAttachment,
  hostNetworks,
  renderNetworkScript,
  type NetworkScriptArgs,
} from "../../templates/network-attach.js";

const IMAGES = ["socle-test/debian:12", "socle-test/pg", "socle-test/stand-in-app"];
function dockerUsable(): boolean {
  try {
    execFileSync("docker", ["image", "inspect", ...IMAGES], { stdio: "ignore", timeout: 20_000 });
    execFileSync("sh", ["-c", "command -v docker"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const haveDocker = dockerUsable();
if (!haveDocker && process.env.CI === "true") {
  throw new Error(`network-isolation: docker or the images ${IMAGES.join(", ")} are missing and CI=true`);
}
if (!haveDocker) console.warn("network-isolation: SKIPPED, no usable docker engine or test images");
const real = haveDocker ? describe : describe.skip;

const q = $({ quiet: true });
const qn = $({ quiet: true, nothrow: true });
const RUN = `socle-iso-${randomBytes(3).toString("hex")}`;
/** Outside Docker's default pools (172.17-31/16, 192.168/20) and the default block. */
const BLOCK = "10.213.0.0/16";
const A = `${RUN}-a`;
const B = `${RUN}-b`;
const planA: TenantNetworkPlan = tenantNetworkPlan(BLOCK, A, 1);
const planB: TenantNetworkPlan = tenantNetworkPlan(BLOCK, B, 2);
const PLATFORM_WEB: NetworkSpec = { ...platformWebSpec(addressBlock(BLOCK)), name: `${RUN}-web` };
const BACKEND = `${RUN}-backend`;
const C = { proxy: `${RUN}-proxy`, pg: `${RUN}-postgres`, appA: `${A}-app`, appB: `${B}-app` };
const work = mkdtempSync(join(tmpdir(), "socle-iso-"));
chmodSync(work, 0o755);
const networks: string[] = [];
const containers: string[] = [];
const SUPER = randomBytes(16).toString("hex");

/** `docker network create` with exactly the spec's fields. */
async function createNetwork(spec: NetworkSpec): Promise<void> {
  const ipam = spec.ipamConfigs.flatMap((c) => [
    "--subnet",
    c.subnet,
    "--gateway",
    c.gateway,
    ...(c.ipRange ? ["--ip-range", c.ipRange] : []),
  ]);
  const labels = (spec.labels ?? []).flatMap((l) => ["--label", `${l.label}=${l.value}`]);
  await q`docker network create ${spec.internal ? ["--internal"] : []} ${ipam} ${labels} ${spec.name}`;
  networks.push(spec.name);
}

async function run(name: string, network: string, args: string[], memory = "128m"): Promise<void> {
  await q`docker run -d --name ${name} --network ${network} --memory ${memory} ${args}`;
  containers.push(name);
}

/** Runs a rendered network script the way the network jobs do; returns exit code and output. */
async function networkJob(script: NetworkScriptArgs): Promise<{ code: number; out: string }> {
  const file = join(work, `job-${randomBytes(3).toString("hex")}.sh`);
  writeFileSync(file, renderNetworkScript(script));
  const dockerCli = (await q`sh -c ${"command -v docker"}`).stdout.trim();
  const args = [
    ["--rm", "--network", "none", "--memory", `${NETWORK_JOB.memoryMb}m`],
    ["-v", `/var/run/docker.sock:${NETWORK_JOB.socket}`, "-v", `${dockerCli}:/usr/local/bin/docker:ro`],
    ["-v", `${file}:${NETWORK_JOB.script}:ro`, "--entrypoint", "/bin/sh"],
    ["socle-test/debian:12", NETWORK_JOB.script],
  ].flat();
  const r = await qn`docker run ${args}`;
  return { code: r.exitCode ?? -1, out: r.stdout + r.stderr };
}

/** A TCP connect from inside `from` (bash's /dev/tcp, 3 s): true when it connects. */
async function connects(from: string, host: string, port: number): Promise<boolean> {
  const r = await qn`docker exec ${from} timeout 3 bash -c ${`exec 3<>/dev/tcp/${host}/${port}`}`;
  return r.exitCode === 0;
}

async function addressOn(container: string, network: string): Promise<string> {
  const fmt = `{{with index .NetworkSettings.Networks "${network}"}}{{.IPAddress}}{{end}}`;
  return (await q`docker inspect --format ${fmt} ${container}`).stdout.trim();
}

const hostJob = (tenants: TenantNetworkPlan[]) =>
  hostNetworks({
    proxy: C.proxy,
    tenants: tenants.map((p) => ({ web: p.web.name, back: p.back.name, proxyAddress: p.web.proxyAddress })),
    servers: [C.pg],
  });

real("tenant networks on a real engine", () => {
  let jobs: { code: number; out: string }[] = [];
  beforeAll(async () => {
    await createNetwork(PLATFORM_WEB);
    await q`docker network create --internal ${BACKEND}`;
    networks.push(BACKEND);
    for (const p of [planA, planB]) {
      const s = tenantNetworkSpecs(p);
      await createNetwork(s.web);
      await createNetwork(s.back);
    }
    // the shared containers, each on its own network only (as declared); the proxy
    // stand-in answers HTTP on 80, so that reaching it (or not) means something
    const proxyIp = addressBlock(BLOCK).platformWeb.proxyAddress;
    await run(C.proxy, PLATFORM_WEB.name, [
      "--ip",
      proxyIp,
      "-e",
      "APP_HTTP_PORT=80",
      "socle-test/stand-in-app",
    ]);
    const pg = ["--network-alias", "postgres", "-e", `POSTGRES_PASSWORD=${SUPER}`, "socle-test/pg"];
    await run(C.pg, BACKEND, pg, "256m");
    // each town's app on its web and back-end networks (like Nextcloud)
    for (const [name, p] of [
      [C.appA, planA],
      [C.appB, planB],
    ] as const) {
      await run(name, p.web.name, ["-e", "APP_HTTP_PORT=80", "socle-test/stand-in-app"]);
      await q`docker network connect ${p.back.name} ${name}`;
    }
    // the jobs: each town's database attachment, then the host's job (proxy on both web networks)
    jobs = [
      await networkJob(databaseAttachment({ containerName: C.pg, hostname: "postgres" }, planA.back.name)),
      await networkJob(databaseAttachment({ containerName: C.pg, hostname: "postgres" }, planB.back.name)),
      await networkJob(hostJob([planA, planB])),
    ];
    for (let i = 0; i < 60 && !(await connects(C.appA, "postgres", 5432)); i++) await q`sleep 1`;
  }, 300_000);

  afterAll(async () => {
    for (const c of containers) await qn`docker rm -f ${c}`;
    for (const n of networks.reverse()) await qn`docker network rm ${n}`;
  });

  it("runs the attachment jobs (exit 0) and gives the proxy the static .2 on each web network", async () => {
    expect(jobs.map((j) => j.code)).toEqual([0, 0, 0]);
    expect(jobs[2]!.out).toContain(`${C.proxy} connected to ${planA.web.name} 10.213.2.2`);
    expect(await addressOn(C.proxy, planA.web.name)).toBe("10.213.2.2");
    expect(await addressOn(C.proxy, planB.web.name)).toBe("10.213.4.2");
    expect(await addressOn(C.proxy, PLATFORM_WEB.name)).toBe("10.213.0.2");
    // the apps took dynamic addresses in the upper half, never the proxy's
    expect(await addressOn(C.appA, planA.web.name)).toMatch(/^10\.213\.2\.(1[2-9][0-9]|2[0-5][0-9])$/);
  });

  it("a second run changes nothing (idempotent)", async () => {
    const again = await networkJob(hostJob([planA, planB]));
    expect(again.code).toBe(0);
    expect(again.out).toContain(`${C.proxy} already on ${planB.web.name} 10.213.4.2`);
    expect(again.out).not.toContain("disconnected");
  });

  it("town A reaches its own database: TCP, and its initialiser run on its back-end network", async () => {
    expect(await connects(C.appA, "postgres", 5432)).toBe(true);
    const dbAddress = await addressOn(C.pg, planA.back.name);
    expect(dbAddress.startsWith("10.213.3.")).toBe(true);
    // `postgres` resolves to the server's address on A's own back-end network
    const resolved = (await q`docker exec ${C.appA} getent hosts postgres`).stdout.split(/\s+/)[0];
    expect(resolved).toBe(dbAddress);
    const script = join(work, "init.sh");
    writeFileSync(
      script,
      renderPostgresInit({ host: "postgres", database: "a_nextcloud", user: "a_nextcloud" }),
    );
    const args = [
      ["--rm", "--network", planA.back.name, "--memory", "64m", "-e", `PGPASSWORD=${SUPER}`],
      ["-e", `DB_PASSWORD=${randomBytes(12).toString("hex")}`, "-v", `${script}:/socle/db-init.sh:ro`],
      ["--entrypoint", "/bin/sh", "socle-test/pg", "/socle/db-init.sh"],
    ].flat();
    const init = await qn`docker run ${args}`;
    expect(init.exitCode, init.stderr).toBe(0);
  });

  it("town A reaches neither town B's app nor town B's address on the database server", async () => {
    const bWeb = await addressOn(C.appB, planB.web.name);
    const bBack = await addressOn(C.appB, planB.back.name);
    const dbOnB = await addressOn(C.pg, planB.back.name);
    expect([bWeb, bBack, dbOnB].every((a) => /^10\.213\.[45]\./.test(a))).toBe(true);
    expect(await connects(C.appA, bWeb, 80)).toBe(false);
    expect(await connects(C.appA, bBack, 80)).toBe(false);
    expect(await connects(C.appA, dbOnB, 5432)).toBe(false);
    // B's container name does not even resolve from A
    expect((await qn`docker exec ${C.appA} getent hosts ${C.appB}`).exitCode).not.toBe(0);
    // nor the shared containers' other addresses: the proxy on socle-web and on B's web
    // network, the server on socle-backend; only the proxy's .2 on A's own web network
    expect(await connects(C.appA, planA.web.proxyAddress, 80)).toBe(true);
    expect(await connects(C.appA, addressBlock(BLOCK).platformWeb.proxyAddress, 80)).toBe(false);
    expect(await connects(C.appA, planB.web.proxyAddress, 80)).toBe(false);
    expect(await connects(C.appA, await addressOn(C.pg, BACKEND), 5432)).toBe(false);
    // and B reaches its own app but not A's
    expect(await connects(C.appB, C.appB, 80)).toBe(true);
    expect(await connects(C.appB, await addressOn(C.appA, planA.web.name), 80)).toBe(false);
  });

  it("the proxy reaches both towns' apps, by name and by address", async () => {
    expect(await connects(C.proxy, C.appA, 80)).toBe(true);
    expect(await connects(C.proxy, C.appB, 80)).toBe(true);
    expect(await connects(C.proxy, await addressOn(C.appB, planB.web.name), 80)).toBe(true);
    // but not the towns' back-end networks (caches, database addresses)
    expect(await connects(C.proxy, await addressOn(C.pg, planA.back.name), 5432)).toBe(false);
  });

  it("pruning takes the shared containers off a removed town's networks, which can then be deleted", async () => {
    await q`docker rm -f ${C.appB}`;
    const r = await networkJob(hostJob([planA]));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`${C.proxy} disconnected from ${planB.web.name}`);
    expect(r.out).toContain(`${C.pg} disconnected from ${planB.back.name}`);
    expect(await addressOn(C.proxy, planB.web.name)).toBe("");
    expect(await addressOn(C.proxy, planA.web.name)).toBe("10.213.2.2");
    expect(await addressOn(C.pg, planA.back.name)).not.toBe("");
    // the platform's own networks stay (not a tenant's: no socle.network label)
    expect(await addressOn(C.pg, BACKEND)).not.toBe("");
    for (const n of [planB.web.name, planB.back.name]) {
      expect((await qn`docker network rm ${n}`).exitCode, n).toBe(0);
      networks.splice(networks.indexOf(n), 1);
    }
  });
});

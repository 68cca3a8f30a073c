/**
 * Helpers of the real-engine update tests: a `Deployer` test double that
 * recreates a tenant's stand-in app container with the image tag of the new
 * version (the Pulumi CLI cannot run here), and small Docker helpers.
 * Everything else (backups, restores, health, versions, rollback) is the real code.
 */
import { socleLabels } from "../../components/labels.js";
import type { Deployer } from "../../scripts/update/deployer.js";
import { run } from "../../scripts/lib/exec.js";

export const APP_IMAGE = "socle-test/update-app";
export const SERVICE = "nextcloud";

export async function sh(argv: string[], input?: string): Promise<string> {
  const r = await run(argv, input !== undefined ? { input } : {});
  if (r.code !== 0) throw new Error(`${argv.join(" ")} exited ${r.code}: ${r.stderr.trim().slice(-500)}`);
  return r.stdout;
}

export const containerName = (tenant: string) => `${tenant}-${SERVICE}`;
export const volumeName = (tenant: string) => `${tenant}-${SERVICE}-data`;

/** Starts (or replaces) a tenant's stand-in app at a version, with the label contract. */
export async function startApp(tenant: string, version: string, network: string): Promise<void> {
  const name = containerName(tenant);
  await run(["docker", "rm", "-f", name]);
  const labels = socleLabels({
    tenant,
    service: SERVICE,
    role: "app",
    version,
    volumes: [volumeName(tenant)],
    pre: "app-maint on",
    post: "app-maint off",
    health: "http:8080/status.php",
  });
  await sh([
    "docker",
    "run",
    "-d",
    "--name",
    name,
    "--network",
    network,
    "--memory",
    "128m",
    "-v",
    `${volumeName(tenant)}:/var/www/html`,
    ...labels.flatMap((l) => ["--label", `${l.label}=${l.value}`]),
    `${APP_IMAGE}:${version}`,
  ]);
}

/**
 * The test double: `setVersion` records, `deploy` recreates the containers whose
 * recorded version differs from the running one (like `pulumi up` replacing a
 * container whose image changed). It does not wait for health: apply does.
 */
export class DockerRecreateDeployer implements Deployer {
  readonly wanted = new Map<string, string>();
  readonly deployments: string[][] = [];
  readonly versionsDeployed: string[] = [];

  constructor(
    private readonly network: string,
    private readonly afterDeploy: (tenant: string, version: string) => Promise<void> = async () => {},
  ) {}

  async setVersion(tenant: string, service: string, version: string): Promise<void> {
    if (service !== SERVICE) throw new Error(`test deployer: unexpected service ${service}`);
    this.wanted.set(tenant, version);
  }

  async deploy(tenants: string[]): Promise<void> {
    this.deployments.push([...tenants]);
    for (const tenant of tenants) {
      const version = this.wanted.get(tenant);
      if (version === undefined) continue;
      if ((await runningVersion(tenant)) === version) continue;
      await startApp(tenant, version, this.network);
      this.versionsDeployed.push(`${tenant}@${version}`);
      await this.afterDeploy(tenant, version);
    }
  }
}

export async function runningVersion(tenant: string): Promise<string> {
  const out = await sh([
    "docker",
    "inspect",
    "--type",
    "container",
    "--format",
    '{{index .Config.Labels "socle.version"}}',
    containerName(tenant),
  ]);
  return out.trim();
}

export async function containerId(tenant: string): Promise<string> {
  return (
    await sh(["docker", "inspect", "--type", "container", "--format", "{{.Id}}", containerName(tenant)])
  ).trim();
}

/** sha256 of every file in a volume except the app's schema marker (`data/.version`), sorted by path. */
export async function volumeChecksums(volume: string, includeMarker = false): Promise<string> {
  const filter = includeMarker ? "" : "| grep -v ' ./data/.version$'";
  return sh([
    "docker",
    "run",
    "--rm",
    "-v",
    `${volume}:/v:ro`,
    "-w",
    "/v",
    "socle-test/debian:12",
    "sh",
    "-c",
    `find . -type f -print0 | sort -z | xargs -0 sha256sum ${filter}`,
  ]);
}

/** Writes a deterministic data set into a tenant's volume (text files and 2 MiB of pseudo-random bytes). */
export async function seedData(tenant: string): Promise<void> {
  await sh([
    "docker",
    "run",
    "--rm",
    "-v",
    `${volumeName(tenant)}:/var/www/html`,
    "socle-test/debian:12",
    "sh",
    "-c",
    'set -e; d=/var/www/html/data; mkdir -p "$d/files/$1"; ' +
      'for i in 1 2 3; do printf "conseil municipal %s, séance %s\\n" "$1" "$i" >"$d/notes-$i.txt"; done; ' +
      'head -c 2097152 /dev/urandom >"$d/files/$1/video.bin"; printf "%s\\n" 1 >"$d/files/$1/budget.csv"',
    "sh",
    tenant,
  ]);
}

export async function statusPhp(tenant: string): Promise<{ status: number; body: string }> {
  const ip = (
    await sh([
      "docker",
      "inspect",
      "--type",
      "container",
      "--format",
      "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
      containerName(tenant),
    ])
  ).trim();
  const res = await fetch(`http://${ip}:8080/status.php`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

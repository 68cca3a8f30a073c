/**
 * Health and version probes of a deployed service, through the Docker engine:
 * the `socle.health` label of each container of the service (`http:<port><path>`
 * answered 2xx, or `cmd:<command>` exiting 0), Docker's own healthcheck status
 * when the container has one, the `socle.version` label, and for the apps
 * that expose it, the version the application itself reports
 * (Nextcloud `/status.php` `versionstring`, PeerTube `/api/v1/config` `serverVersion`).
 *
 * HTTP probes go from this machine to the container's address on one of its
 * networks; when that fails (an internal network), they fall back to running
 * curl or wget inside the container.
 */
import { LABELS, type HealthSpec } from "../../components/labels.js";
import { groupContainers, type BackupGroup } from "../lib/discovery.js";
import { docker, execSh, inspectContainers, listLabelled } from "../lib/docker.js";
import { catalogueKey } from "./catalogue.js";
import type { ServiceRef } from "./apply.js";

export interface HttpAnswer {
  status: number;
  body: string;
}

/** The container's IPv4 addresses, one per network. */
export async function containerAddresses(container: string): Promise<string[]> {
  const r = await docker([
    "inspect",
    "--type",
    "container",
    "--format",
    "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
    container,
  ]);
  if (r.code !== 0) return [];
  return r.stdout.split(/\s+/).filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
}

/** GET http://<container>:<port><path>; undefined when nothing answers. */
export async function httpGet(
  container: string,
  port: number,
  path: string,
  timeoutMs = 5000,
): Promise<HttpAnswer | undefined> {
  for (const ip of await containerAddresses(container)) {
    try {
      const res = await fetch(`http://${ip}:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
      return { status: res.status, body: await res.text() };
    } catch {
      // unreachable from here (internal network): try the next address, then inside the container
    }
  }
  const url = `http://127.0.0.1:${port}${path}`;
  const inside = await execSh(
    container,
    'if command -v curl >/dev/null; then curl -s -o /dev/stdout -w "\\n%{http_code}" "$1"; ' +
      'elif command -v wget >/dev/null; then wget -q -O - "$1" && printf "\\n200"; else exit 127; fi',
    [url],
    { timeoutMs },
  );
  if (inside.code !== 0) return undefined;
  const cut = inside.stdout.lastIndexOf("\n");
  return { status: Number(inside.stdout.slice(cut + 1)), body: inside.stdout.slice(0, cut) };
}

/** One check of one container's `socle.health`; resolves to a problem, or undefined when healthy. */
export async function checkHealthSpec(container: string, spec: HealthSpec): Promise<string | undefined> {
  if (spec.kind === "cmd") {
    const r = await execSh(container, spec.command, [], { timeoutMs: 30_000 });
    return r.code === 0 ? undefined : `${container}: health command exited ${r.code}`;
  }
  const answer = await httpGet(container, spec.port, spec.path);
  if (!answer) return `${container}: nothing answers on port ${spec.port}`;
  if (answer.status < 200 || answer.status > 299)
    return `${container}: ${spec.path} answered ${answer.status}`;
  if (spec.path === "/status.php") {
    // Nextcloud answers 200 in maintenance too: read the fields.
    try {
      const s = JSON.parse(answer.body) as {
        installed?: boolean;
        maintenance?: boolean;
        needsDbUpgrade?: boolean;
      };
      if (s.installed !== true || s.maintenance === true || s.needsDbUpgrade === true) {
        return `${container}: status.php says installed=${s.installed} maintenance=${s.maintenance} needsDbUpgrade=${s.needsDbUpgrade}`;
      }
    } catch {
      return `${container}: status.php is not JSON`;
    }
  }
  return undefined;
}

/** The labelled group of one tenant's service, freshly inspected. */
export async function findGroup(ref: ServiceRef): Promise<BackupGroup | undefined> {
  const groups = groupContainers(await listLabelled(), { tenant: ref.tenant, service: ref.service });
  return groups[0];
}

/** One health check of a service: every container running, Docker-healthy when it has a healthcheck, every `socle.health` passing. */
export async function serviceProblem(ref: ServiceRef): Promise<string | undefined> {
  const g = await findGroup(ref);
  if (!g) return `${ref.tenant}/${ref.service}: no container carries these labels`;
  const containers = await inspectContainers(g.containers.map((c) => c.id));
  for (const c of containers) {
    if (c.labels[LABELS.role] === "job") continue;
    if (!c.running) return `${c.name}: not running`;
    if (c.health !== undefined && c.health !== "healthy") return `${c.name}: docker health is ${c.health}`;
  }
  for (const h of g.health) {
    const problem = await checkHealthSpec(h.container, h.spec);
    if (problem) return problem;
  }
  return undefined;
}

export async function waitHealthy(ref: ServiceRef, timeoutMs: number, intervalMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let problem = await serviceProblem(ref);
  while (problem !== undefined && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, intervalMs));
    problem = await serviceProblem(ref);
  }
  if (problem !== undefined)
    throw new Error(`not healthy after ${Math.round(timeoutMs / 1000)}s: ${problem}`);
}

/**
 * App endpoints that report their own version: default port (the port of the
 * service's `http:` health label wins), path, and how to read the answer.
 */
const APP_VERSION: Record<string, { port: number; path: string; read: (body: unknown) => unknown }> = {
  nextcloud: { port: 80, path: "/status.php", read: (b) => (b as { versionstring?: unknown }).versionstring },
  peertube: {
    port: 9000,
    path: "/api/v1/config",
    read: (b) => (b as { serverVersion?: unknown }).serverVersion,
  },
};

export async function reportedVersion(ref: ServiceRef): Promise<{ label?: string; app?: string }> {
  const g = await findGroup(ref);
  if (!g) return {};
  const out: { label?: string; app?: string } = g.version === "unknown" ? {} : { label: g.version };
  const probe = APP_VERSION[catalogueKey(ref.service) ?? ""];
  if (probe) {
    const http = g.health.find((h) => h.spec.kind === "http");
    const container = http?.container ?? g.containers.find((c) => c.labels[LABELS.role] === "app")?.name;
    const port = http && http.spec.kind === "http" ? http.spec.port : probe.port;
    const answer = container ? await httpGet(container, port, probe.path) : undefined;
    if (answer && answer.status === 200) {
      try {
        const v = probe.read(JSON.parse(answer.body));
        if (typeof v === "string") out.app = v;
      } catch {
        // not JSON: the label alone decides
      }
    }
  }
  return out;
}

/**
 * The Docker engine through the `docker` CLI (so DOCKER_HOST, including
 * ssh://, is honoured): discovery, hooks, exec with streamed stdio.
 */
import { LABELS } from "../../components/labels.js";
import { dockerHostProblem, redactUrls } from "../../templates/checks.js";
import type { EngineContainer } from "./discovery.js";
import { run, tailLines, type RunOptions } from "./exec.js";
import { SocleError, EXIT } from "./errors.js";

interface InspectJson {
  Id: string;
  Name: string;
  Config: { Image: string; Labels: Record<string, string> | null };
  State: { Running: boolean; Health?: { Status: string } };
}

/**
 * Why the engine named by DOCKER_HOST must not be used, if it must not: a
 * plain `tcp://` engine (no DOCKER_TLS_VERIFY) gives root on its host to
 * anyone who reaches it, as the stack config refuses it (templates/checks.ts).
 */
export function engineProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.DOCKER_HOST ?? "";
  if (!host.startsWith("tcp://") || dockerHostProblem(host, Boolean(env.DOCKER_TLS_VERIFY)) !== "plain-tcp")
    return undefined;
  return (
    `DOCKER_HOST=${redactUrls(host)} is a Docker engine without TLS, root on its host for anyone who reaches it: ` +
    "set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem), or use DOCKER_HOST=ssh://user@host"
  );
}

export async function docker(args: string[], opts: RunOptions = {}) {
  return run(["docker", ...args], opts);
}

/** Fails with the engine's own words. */
export async function dockerOk(args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await docker(args, opts);
  if (r.code !== 0) {
    throw new SocleError(
      `docker ${args.slice(0, 2).join(" ")} failed: ${tailLines(r.stderr, 3) || `exit ${r.code}`}`,
    );
  }
  return r.stdout;
}

/** Every container carrying `socle.tenant` (running or not). */
export async function listLabelled(): Promise<EngineContainer[]> {
  const ps = await docker(["ps", "-a", "-q", "--no-trunc", "--filter", `label=${LABELS.tenant}`]);
  if (ps.code !== 0) {
    throw new SocleError(`cannot reach the Docker engine: ${tailLines(ps.stderr, 2)}`, EXIT.failed);
  }
  const ids = ps.stdout.split("\n").filter((l) => l.trim().length > 0);
  return inspectContainers(ids);
}

export async function inspectContainers(ids: string[]): Promise<EngineContainer[]> {
  if (ids.length === 0) return [];
  const out = await dockerOk(["inspect", "--type", "container", ...ids]);
  return (JSON.parse(out) as InspectJson[]).map((j) => ({
    id: j.Id,
    name: j.Name.replace(/^\//, ""),
    image: j.Config.Image,
    running: j.State.Running,
    labels: j.Config.Labels ?? {},
    ...(j.State.Health ? { health: j.State.Health.Status } : {}),
  }));
}

export async function inspectOne(name: string): Promise<EngineContainer | undefined> {
  const r = await docker(["inspect", "--type", "container", name]);
  if (r.code !== 0) return undefined;
  const [c] = await inspectContainers([name]);
  return c;
}

/** Runs a shell command inside a container (`sh -c`, so the container's env expands). */
export async function execSh(container: string, script: string, args: string[] = [], opts: RunOptions = {}) {
  return docker(["exec", container, "sh", "-c", script, "sh", ...args], opts);
}

/** The engine's host name (restic's `--host`). */
export async function engineName(): Promise<string> {
  return (await dockerOk(["info", "--format", "{{.Name}}"])).trim();
}

/** Where a volume lives on the engine host, or undefined when it does not exist. */
export async function volumeMountpoint(volume: string): Promise<string | undefined> {
  const r = await docker(["volume", "inspect", "--format", "{{.Mountpoint}}", volume]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

export async function volumeExists(volume: string): Promise<boolean> {
  return (await volumeMountpoint(volume)) !== undefined;
}

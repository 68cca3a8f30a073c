/**
 * The real Pulumi engine for the `engine` tests: the toolchain built by
 * scripts/toolchain.sh (the CLI, Socle's language host, the bridged docker,
 * random and tls plugins), a real image registry (Debian's docker-registry) on
 * 127.0.0.1 holding the Debian-built stand-ins under the official names the
 * components pin, and throw-away projects with their state in a temporary
 * `file://` backend. Nothing is downloaded: plugin acquisition is off.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { $ } from "zx";

export const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const q = $({ quiet: true });

/** The toolchain directory: $SOCLE_TOOLCHAIN (set by the test command), else built (or found cached) now. */
export function toolchainDir(): string {
  if (process.env.SOCLE_TOOLCHAIN) return process.env.SOCLE_TOOLCHAIN;
  const out = execFileSync("bash", [join(ROOT, "scripts/toolchain.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").at(-1)!;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => done(port));
    });
  });
}

/** Polls `check` every 200 ms until it returns true, or fails after `seconds` with the last error. */
export async function until(what: string, check: () => Promise<boolean>, seconds = 60): Promise<void> {
  const end = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < end) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

export interface Registry {
  /** `127.0.0.1:<port>`: what `socle:images.registry` names. */
  address: string;
  /** Pushes a local image under `ref` (e.g. `postgres:17.6-bookworm`). */
  push(localImage: string, ref: string): Promise<void>;
  stop(): Promise<void>;
}

/** A real registry (Debian's docker-registry) on 127.0.0.1, storage in a temporary directory. */
export async function startRegistry(): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), "socle-registry-"));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: ${dir}/data}, delete: {enabled: true}}\nhttp: {addr: "${address}"}\n`,
  );
  const proc: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  await until(`the registry on ${address}${stderr ? ` (${stderr.trim()})` : ""}`, async () => {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${stderr.trim()}`);
    return (await fetch(`http://${address}/v2/`)).status === 200;
  });
  return {
    address,
    async push(localImage, ref) {
      await q`docker tag ${localImage} ${address}/${ref}`;
      await q`docker push ${address}/${ref}`;
      await q`docker rmi ${address}/${ref}`;
    },
    async stop() {
      // The images the docker provider pulled from this registry (keepLocally) go with it.
      const pulled = (await q`docker images --format ${"{{.Repository}}:{{.Tag}}"}`).stdout
        .split("\n")
        .filter((ref) => ref.startsWith(`${address}/`));
      if (pulled.length > 0) await q`docker rmi ${pulled}`.nothrow();
      proc.kill("SIGTERM");
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once("exit", r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PulumiResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A throw-away Pulumi project (program + stack) with its state in a temporary file:// backend. */
export class Project {
  readonly dir: string;
  private readonly env: Record<string, string>;

  constructor(
    readonly name: string,
    program: string,
    readonly toolchain: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `socle-engine-${name}-`));
    mkdirSync(join(this.dir, "state"));
    mkdirSync(join(this.dir, "home"));
    mkdirSync(join(this.dir, "program"));
    const prog = join(this.dir, "program");
    writeFileSync(
      join(prog, "Pulumi.yaml"),
      `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n    nodeargs: "--import=tsx"\nmain: index.ts\n`,
    );
    writeFileSync(join(prog, "package.json"), JSON.stringify({ name, type: "module", private: true }));
    writeFileSync(join(prog, "index.ts"), program);
    symlinkSync(join(ROOT, "node_modules"), join(prog, "node_modules"));
    this.env = {
      PATH: `${toolchain}:${process.env.PATH ?? ""}`,
      PULUMI_HOME: join(this.dir, "home"),
      PULUMI_BACKEND_URL: `file://${join(this.dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "engine-test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    };
  }

  /** Runs `pulumi <args>` in the program directory (never throws: look at exitCode). */
  async pulumi(...args: string[]): Promise<PulumiResult> {
    const r = await $({
      cwd: join(this.dir, "program"),
      env: { ...process.env, ...this.env },
      quiet: true,
      nothrow: true,
    })`pulumi ${args} --non-interactive`;
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** `pulumi <args>`, failing with its output on a non-zero exit. */
  async ok(...args: string[]): Promise<string> {
    const r = await this.pulumi(...args);
    if (r.exitCode !== 0)
      throw new Error(`pulumi ${args.join(" ")}: exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  async init(config: Record<string, string> = {}): Promise<void> {
    await this.ok("stack", "init", "test");
    for (const [k, v] of Object.entries(config)) await this.ok("config", "set", k, v);
  }

  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse(await this.ok("stack", "output", "--json", "--show-secrets")) as Record<
      string,
      unknown
    >;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The containers, networks and volumes on the engine whose name starts with `prefix`. */
export async function engineObjects(
  prefix: string,
): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const names = async (args: string[]) =>
    (await q`docker ${args}`).stdout.split("\n").filter((n) => n.startsWith(prefix));
  return {
    containers: await names(["container", "ls", "-a", "--format", "{{.Names}}"]),
    networks: await names(["network", "ls", "--format", "{{.Name}}"]),
    volumes: await names(["volume", "ls", "--format", "{{.Name}}"]),
  };
}

/**
 * Removes what an earlier, interrupted or kept run left on this test engine
 * under Socle's names (containers, networks and the retained data volumes,
 * whose old passwords a new deployment cannot know).
 */
export async function clearEngine(...prefixes: string[]): Promise<void> {
  for (const prefix of prefixes) {
    const left = await engineObjects(prefix);
    if (left.containers.length) await q`docker rm -f ${left.containers}`;
    if (left.volumes.length) await q`docker volume rm ${left.volumes}`;
    if (left.networks.length) await q`docker network rm ${left.networks}`;
  }
}

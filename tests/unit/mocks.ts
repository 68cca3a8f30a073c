/**
 * The one mock-engine helper: records every resource the Pulumi SDK declares
 * (type, name, inputs, parent, provider) so tests assert exact inputs.
 *
 * Usage: `const rec = await installMocks();` in `beforeAll`, then create
 * components (or `await import("../../stacks/index.js")`), then `await settle()`
 * and inspect `rec.resources`.
 */
import { generateKeyPairSync } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export interface Recorded {
  type: string;
  name: string;
  /** Inputs with secrets unwrapped (see `secretPaths` for which were secret). */
  inputs: Record<string, unknown>;
  /** Inputs exactly as the engine saw them (secrets still wrapped). */
  raw: Record<string, unknown>;
  urn: string;
  /** URN of the parent resource (absent for top-level resources). */
  parent?: string;
  /** Provider reference `<provider urn>::<provider id>` (explicit providers only). */
  provider?: string;
  /** URNs of the explicit dependencies (`dependsOn`). */
  dependencies?: string[];
  /** Resource options the engine sees (`retainOnDelete`, `deleteBeforeReplace`, `protect`). */
  options?: { retainOnDelete: boolean; deleteBeforeReplace: boolean; protect: boolean };
}

/** What the mock monitor's register request exposes (the SDK's gRPC request). */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getRetainondelete?(): boolean | undefined;
  getDeletebeforereplace?(): boolean;
  getProtect?(): boolean | undefined;
}
interface MonitorLike {
  registerResource(req: RegisterRequest, callback: unknown): unknown;
  newUrn(parent: string, type: string, name: string): string;
}

/**
 * The SDK's mocks do not pass the parent, URN or dependencies to `newResource`:
 * wrap the mock monitor so the request being registered is known (the SDK
 * calls `newResource` synchronously inside `registerResource`).
 */
type Registration = {
  urn: string;
  parent?: string;
  dependencies: string[];
  options: NonNullable<Recorded["options"]>;
};

function captureRegistrations(): () => Registration | undefined {
  let pending: Registration | undefined;
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike | undefined;
  if (monitor && typeof monitor.registerResource === "function" && typeof monitor.newUrn === "function") {
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      const parent = req.getParent();
      pending = {
        urn: monitor.newUrn(parent, req.getType(), req.getName()),
        ...(parent ? { parent } : {}),
        dependencies: req.getDependenciesList(),
        options: {
          retainOnDelete: req.getRetainondelete?.() === true,
          deleteBeforeReplace: req.getDeletebeforereplace?.() === true,
          protect: req.getProtect?.() === true,
        },
      };
      try {
        return register(req, callback);
      } finally {
        pending = undefined;
      }
    };
  }
  return () => pending;
}

export interface Recorder {
  resources: Recorded[];
  reset(): void;
  byType(type: string): Recorded[];
  get(type: string, name: string): Recorded;
  names(type: string): string[];
}

export function isWrappedSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] !== undefined;
}

/** Deeply unwraps secret wrappers. */
export function unwrap(v: unknown): unknown {
  if (isWrappedSecret(v)) return unwrap(v.value);
  if (Array.isArray(v)) return v.map(unwrap);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
  }
  return v;
}

/** Dotted paths of every secret-wrapped value in raw inputs (e.g. `envs.3`). */
export function secretPaths(v: unknown, prefix = ""): string[] {
  if (isWrappedSecret(v)) return [prefix || "."];
  if (Array.isArray(v)) return v.flatMap((x, i) => secretPaths(x, prefix ? `${prefix}.${i}` : String(i)));
  if (typeof v === "object" && v !== null) {
    return Object.entries(v).flatMap(([k, x]) => secretPaths(x, prefix ? `${prefix}.${k}` : k));
  }
  return [];
}

let shared: Recorder | undefined;

let fakeKeys: { privateKeyPem: string; publicKeyPem: string } | undefined;
/**
 * The PEMs the mock engine answers for every `tls:index/privateKey:PrivateKey`: one
 * real RSA 2048 key made once per test process by node:crypto (so DKIM values
 * derived from it are real), PKCS#1 private / SPKI public, like the tls provider.
 */
export function mockPrivateKeyPems(): { privateKeyPem: string; publicKeyPem: string } {
  if (!fakeKeys) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    fakeKeys = {
      privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
      publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    };
  }
  return fakeKeys;
}

export async function installMocks(
  project = "socle",
  stack = "test",
  organization = "organization",
): Promise<Recorder> {
  const resources: Recorded[] = [];
  const recorder: Recorder = {
    resources,
    reset: () => {
      resources.length = 0;
    },
    byType: (type) => resources.filter((r) => r.type === type),
    get: (type, name) => {
      const found = resources.find((r) => r.type === type && r.name === name);
      if (!found) {
        const have = resources.filter((r) => r.type === type).map((r) => r.name);
        throw new Error(`no ${type} named ${name}; have: ${have.join(", ")}`);
      }
      return found;
    },
    names: (type) => resources.filter((r) => r.type === type).map((r) => r.name),
  };
  let registering: () => Registration | undefined = () => undefined;
  await pulumi.runtime.setMocks(
    {
      newResource: (a: pulumi.runtime.MockResourceArgs) => {
        const raw = a.inputs as Record<string, unknown>;
        const reg = registering();
        resources.push({
          type: a.type,
          name: a.name,
          inputs: unwrap(raw) as Record<string, unknown>,
          raw,
          urn: reg?.urn ?? (a as { urn?: string }).urn ?? "",
          provider: a.provider,
          ...(reg?.parent !== undefined ? { parent: reg.parent } : {}),
          ...(reg ? { dependencies: reg.dependencies, options: reg.options } : {}),
        });
        const state: Record<string, unknown> = { ...raw };
        if (a.type === "random:index/randomPassword:RandomPassword") state.result = `pw-${a.name}`;
        if (a.type === "random:index/randomBytes:RandomBytes") state.hex = `hex-${a.name}`;
        // A stack reference reads a stack with no outputs yet (a first deployment).
        if (a.type === "pulumi:pulumi:StackReference" && raw.outputs === undefined) state.outputs = {};
        if (a.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${a.name}`;
        if (a.type === "docker:index/network:Network" && raw.name === undefined) state.name = a.name;
        if (a.type === "tls:index/privateKey:PrivateKey") Object.assign(state, mockPrivateKeyPems());
        return { id: `${a.name}-id`, state };
      },
      // Invokes (data sources) answer their inputs plus a deterministic id.
      call: (a: pulumi.runtime.MockCallArgs) => ({
        id: `${a.token}:${JSON.stringify(a.inputs)}`,
        ...a.inputs,
      }),
    },
    project,
    stack,
    false,
    organization,
  );
  registering = captureRegistrations();
  shared = recorder;
  return recorder;
}

export function recorder(): Recorder {
  if (!shared) throw new Error("installMocks() first");
  return shared;
}

/** Resolves an Output (or plain value) under the mock engine. */
export function resolve<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((r) => pulumi.output(o).apply((v) => r(v as T)));
}

/** Lets every pending registration reach the mock engine. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  await new Promise((r) => setTimeout(r, 20));
}

/** A docker container's env list as an object (unwrapped). */
export function envOf(r: Recorded): Record<string, string> {
  const envs = (r.inputs.envs as string[] | undefined) ?? [];
  return Object.fromEntries(
    envs.map((e) => {
      const i = e.indexOf("=");
      return [e.slice(0, i), e.slice(i + 1)];
    }),
  );
}

/** A docker container's labels as an object. */
export function labelsOf(r: Recorded): Record<string, string> {
  const labels = (r.inputs.labels as { label: string; value: string }[] | undefined) ?? [];
  return Object.fromEntries(labels.map((l) => [l.label, l.value]));
}

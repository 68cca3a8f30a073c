/**
 * `socle:images.registry`: the config key (exact messages), and the whole
 * embedded-default program under the mock engine pulling every image, and
 * SOGo's build base, through the mirror.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, settle, type Recorder } from "./mocks.js";
import { stackConfig } from "./stack-config.js";
import { ConfigError, parseConfig, type RawConfig } from "../../stacks/config.js";
import { buildProgram } from "../../stacks/program.js";

const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";

function localRaw(images?: unknown): RawConfig {
  const c = stackConfig("stacks/Pulumi.local.yaml");
  const get = (k: string) => (c[`socle:${k}`] === undefined ? undefined : JSON.parse(c[`socle:${k}`]!));
  return { target: get("target"), tenants: get("tenants"), backup: get("backup"), images };
}

function errorsOf(images: unknown): string[] {
  try {
    parseConfig(localRaw(images));
  } catch (e) {
    if (e instanceof ConfigError) return e.errors;
    throw e;
  }
  return [];
}

const WHAT = "a registry (host[:port][/path], e.g. registry.example.fr:5000: no scheme, no credentials)";

describe("socle:images", () => {
  it("is optional: unset, images come from their own registries", () => {
    expect(parseConfig(localRaw()).images).toEqual({});
  });

  it.each(["registry.example.fr:5000", "127.0.0.1:5000", "localhost:5000/socle", "mirror.epci.fr/proxy/hub"])(
    "accepts %s",
    (registry) => {
      expect(parseConfig(localRaw({ registry })).images).toEqual({ registry });
    },
  );

  it.each([
    ["https://registry.example.fr", `socle:images.registry: "https://registry.example.fr" is not ${WHAT}`],
    ["user:pw@registry.example.fr", `socle:images.registry: "user:pw@registry.example.fr" is not ${WHAT}`],
    ["registry.example.fr:5000/", `socle:images.registry: "registry.example.fr:5000/" is not ${WHAT}`],
    ["registry.example.fr:70000", `socle:images.registry: "registry.example.fr:70000" is not ${WHAT}`],
    ["Registry.Example.fr", `socle:images.registry: "Registry.Example.fr" is not ${WHAT}`],
    [5000, `socle:images.registry: 5000 is not ${WHAT}`],
  ])("refuses %j with its path", (registry, message) => {
    expect(errorsOf({ registry })).toEqual([message]);
  });

  it("refuses an unknown key and a non-object", () => {
    expect(errorsOf({ registy: "r.fr" })).toEqual([
      'socle:images.registy: unknown key (did you mean "registry"?)',
    ]);
    expect(errorsOf("r.fr:5000")).toEqual(['socle:images: "r.fr:5000" is not an object with registry']);
  });
});

describe("program with socle:images.registry", () => {
  let rec: Recorder;
  beforeAll(async () => {
    rec = await installMocks();
    buildProgram(parseConfig(localRaw({ registry: "127.0.0.1:5000" })), { readPreviousOutputs: false });
    await settle();
  });

  it("pulls every image through the mirror, under its own reference (SOGo's is built on the host)", () => {
    const pulled = rec.byType(REMOTE_IMAGE).filter((i) => i.inputs.build === undefined);
    const names = pulled.map((i) => i.inputs.name as string);
    expect(names.length).toBeGreaterThan(5);
    for (const n of names) expect(n).toMatch(/^127\.0\.0\.1:5000\/[a-z0-9]/);
    expect(names).toContain("127.0.0.1:5000/quay.io/keycloak/keycloak:26.4.5");
    expect(names).toContain("127.0.0.1:5000/nextcloud:32.0.3-apache");
  });

  it("builds SOGo from the mirror's Debian base", () => {
    const built = rec.byType(REMOTE_IMAGE).filter((i) => i.inputs.build !== undefined);
    expect(built.map((i) => i.inputs.name)).toEqual(["socle/sogo:5.12.3-alinto"]);
    const build = built[0]!.inputs.build as { buildArgs: Record<string, string> };
    expect(build.buildArgs.BASE_IMAGE).toBe("127.0.0.1:5000/debian:12-slim");
  });
});

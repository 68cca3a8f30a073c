/**
 * The whole program under the mock engine with the example configs: what
 * `pulumi up` would declare (exact resources, wiring, security facts).
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, labelsOf, envOf, secretPaths, settle, type Recorder } from "./mocks.js";
import { stackConfig } from "./stack-config.js";
import { parseConfig, type RawConfig } from "../../stacks/config.js";
import { buildProgram, type ProgramResult } from "../../stacks/program.js";
import { stackOutputs } from "../../stacks/outputs.js";

const CONTAINER = "docker:index/container:Container";

function rawFrom(file: string): RawConfig {
  const c = stackConfig(file);
  const get = (k: string) => (c[`socle:${k}`] === undefined ? undefined : JSON.parse(c[`socle:${k}`]!));
  return {
    target: get("target"),
    tenants: get("tenants"),
    sso: get("sso"),
    shared: get("shared"),
    backup: get("backup"),
  };
}

let rec: Recorder;
let result: ProgramResult;

beforeAll(async () => {
  rec = await installMocks();
  const cfg = parseConfig(rawFrom("stacks/Pulumi.local.yaml"));
  result = buildProgram(cfg, { readPreviousOutputs: false });
  await settle();
});

describe("program: the embedded default (local, one tenant)", () => {
  it("declares one local host, one platform, one Keycloak, one realm, the apps and one proxy", () => {
    expect(rec.names("socle:hosts:LocalDockerHost")).toEqual(["local"]);
    expect(rec.names("socle:platform:Platform")).toEqual(["local-platform"]);
    expect(rec.names("socle:apps:Keycloak")).toEqual(["keycloak"]);
    expect(rec.names("socle:apps:KeycloakRealm")).toEqual(["demo-realm"]);
    expect(rec.names("socle:apps:Nextcloud")).toEqual(["demo-nextcloud"]);
    expect(rec.names("socle:apps:Collabora")).toHaveLength(1);
    expect(rec.names("socle:apps:Sogo")).toEqual(["demo-sogo"]);
    expect(rec.names("socle:apps:Mail")).toEqual(["demo-mail"]);
    expect(rec.names("socle:apps:PeerTube")).toEqual(["demo-peertube"]);
    expect(rec.names("socle:apps:WordPressSite")).toHaveLength(3);
    expect(rec.names("socle:platform:ReverseProxy")).toEqual(["local-proxy"]);
  });

  it("routes every app through the one proxy", () => {
    // The sites are installed by the proxy's routes job (caddy reload), not uploaded into socle-proxy.
    const job = rec.byType(CONTAINER).find((c) => c.inputs.name === "socle-proxy-routes")!;
    const uploads = job.inputs.uploads as { file: string; content: string }[];
    const caddyfile = uploads.find((u) => u.file === "/socle/sites.caddy")!.content;
    for (const host of [
      "sso.demo.localhost",
      "cloud.demo.localhost",
      "office.demo.localhost",
      "mail.demo.localhost",
      "video.demo.localhost",
    ]) {
      expect(caddyfile).toContain(`${host} {`);
    }
    expect(caddyfile.match(/\.assos\.demo\.localhost \{/g)).toHaveLength(3);
  });

  it("creates realms and the operators' group only once the proxy serves sso.… (after its routes job)", () => {
    const routesJob = rec.get(CONTAINER, "local-proxy-routes").urn;
    expect(rec.get("keycloak:index/realm:Realm", "demo-realm-realm").dependencies).toContain(routesJob);
    expect(rec.get("keycloak:index/group:Group", "operators-group").dependencies).toContain(routesJob);
  });

  it("publishes ports only on the proxy and the mail server", () => {
    const publishing = rec
      .byType(CONTAINER)
      .filter((c) => Array.isArray(c.inputs.ports) && (c.inputs.ports as unknown[]).length > 0)
      .map((c) => c.inputs.name)
      .sort();
    expect(publishing).toEqual(["demo-mail", "socle-proxy"]);
  });

  it("gives every container a memory limit, a pinned image and the label contract", () => {
    for (const c of rec.byType(CONTAINER)) {
      expect(c.inputs.memory, String(c.inputs.name)).toBeGreaterThan(0);
      const labels = labelsOf(c);
      expect(labels["socle.tenant"], String(c.inputs.name)).toBeDefined();
      expect(labels["socle.service"], String(c.inputs.name)).toBeDefined();
      expect(labels["socle.role"], String(c.inputs.name)).toBeDefined();
    }
    for (const img of rec.byType("docker:index/remoteImage:RemoteImage")) {
      expect(String(img.inputs.name)).not.toMatch(/:latest$/);
    }
  });

  it("never lets Pulumi delete a data volume (retained on delete)", () => {
    const volumes = rec.byType("docker:index/volume:Volume");
    expect(volumes.length).toBeGreaterThan(10);
    for (const v of volumes) expect(v.options?.retainOnDelete, v.name).toBe(true);
  });

  it("passes every generated password as a secret and never in clear", () => {
    const passwords = rec.byType("random:index/randomPassword:RandomPassword").map((p) => `pw-${p.name}`);
    expect(passwords.length).toBeGreaterThan(10);
    for (const r of rec.resources) {
      const secret = new Set(secretPaths(r.raw));
      const scan = (v: unknown, path: string): void => {
        if (secret.has(path)) return;
        if (typeof v === "string") {
          for (const pw of passwords) expect(v.includes(pw), `${r.type} ${r.name} ${path}`).toBe(false);
        } else if (Array.isArray(v)) v.forEach((x, i) => scan(x, path ? `${path}.${i}` : String(i)));
        else if (v && typeof v === "object")
          Object.entries(v).forEach(([k, x]) => scan(x, path ? `${path}.${k}` : k));
      };
      scan(r.inputs, "");
    }
  });

  it("points Nextcloud at the tenant's realm and Collabora", () => {
    const nc = rec.byType(CONTAINER).find((c) => c.inputs.name === "demo-nextcloud")!;
    const env = envOf(nc);
    expect(env.OVERWRITEHOST).toBe("cloud.demo.localhost");
    expect(env.NEXTCLOUD_TRUSTED_DOMAINS).toContain("cloud.demo.localhost");
  });

  it("exports URLs and admins in clear, secrets as secrets, and the capacity table", async () => {
    const out = stackOutputs(result);
    expect(out.tenants.demo!.urls).toMatchObject({
      nextcloud: "https://cloud.demo.localhost",
      collabora: "https://office.demo.localhost",
      sogo: "https://mail.demo.localhost",
      peertube: "https://video.demo.localhost",
    });
    expect(out.tenants.demo!.host).toBe("local");
    expect(await pulumi.isSecret(out.tenants.demo!.secrets)).toBe(true);
    expect(out.capacity).toHaveLength(1);
    expect(out.capacity[0]!.tenants).toEqual(["demo"]);
    expect(out.capacityTable).toContain("local");
  });
});

import { execFileSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { envOf, installMocks, labelsOf, secretPaths, settle, unwrap, type Recorder } from "./mocks.js";
import { demoPlatform } from "./fixtures/sso.js";
import { validateRoutes } from "../../components/platform/route.js";
import { Collabora, memoryMbFor, validateCollaboraArgs } from "../../components/apps/collabora.js";
import { bashHttpProbe } from "../../components/apps/keycloak.js";

const C = "docker:index/container:Container";
let rec: Recorder;
let office: Collabora;
beforeAll(async () => {
  rec = await installMocks();
  const platform = demoPlatform();
  office = new Collabora("demo-office", {
    tenant: "demo",
    domain: "office.demo.localhost",
    platform,
    nextcloudUrl: "https://cloud.demo.localhost",
  });
  await settle();
});

describe("Collabora", () => {
  it("runs the pinned CODE image with exact env, MKNOD only, on its tenant's web network only", () => {
    const c = rec.get(C, "demo-office-app");
    expect(c.inputs.name).toBe("demo-collabora");
    expect(rec.get("docker:index/remoteImage:RemoteImage", "demo-office-image").inputs.name).toBe(
      "collabora/code:25.04.7.2.1",
    );
    expect(envOf(c)).toEqual({
      aliasgroup1: "https://cloud.demo.localhost:443",
      extra_params: "--o:ssl.enable=false --o:ssl.termination=true",
      server_name: "office.demo.localhost",
      username: "admin",
      password: "pw-demo-office-admin",
      DONT_GEN_SSL_CERT: "1",
    });
    expect(c.inputs.capabilities).toEqual({ adds: ["MKNOD"], drops: ["NET_RAW"] });
    expect(c.inputs.memory).toBe(1024);
    expect(c.inputs.ports).toBeUndefined();
    expect(c.inputs.volumes).toBeUndefined();
    expect(c.inputs.networksAdvanced).toEqual([{ name: "socle-t-demo-web" }]);
    expect(c.inputs.healthcheck).toEqual({
      tests: ["CMD", "bash", "-c", bashHttpProbe(9980, "/hosting/discovery")],
      interval: "30s",
      timeout: "10s",
      retries: 9,
      startPeriod: "1m0s",
    });
    execFileSync("bash", ["-n", "-c", bashHttpProbe(9980, "/hosting/discovery")]);
  });

  it("is stateless: labels without backup keys", () => {
    expect(labelsOf(rec.get(C, "demo-office-app"))).toEqual({
      "socle.tenant": "demo",
      "socle.service": "collabora",
      "socle.role": "app",
      "socle.version": "25.04.7.2.1",
      "socle.health": "http:9980/hosting/discovery",
    });
  });

  it("keeps the admin-console password secret", async () => {
    const c = rec.get(C, "demo-office-app");
    expect(secretPaths(c.raw)).toEqual(["envs"]);
    expect(unwrap(c.raw.envs)).toContain("password=pw-demo-office-admin");
    expect(await pulumi.isSecret(office.adminPassword)).toBe(true);
    expect(JSON.stringify(c.raw.labels)).not.toContain("pw-");
  });

  it("routes only /browser, /hosting and /cool (websockets included) to 9980", () => {
    expect(office.routes).toEqual([
      {
        host: "office.demo.localhost",
        upstream: "demo-collabora:9980",
        tenant: "demo",
        service: "collabora",
        paths: ["/browser/*", "/hosting/*", "/cool/*"],
      },
    ]);
    validateRoutes(office.routes);
    expect(office.url).toBe("https://office.demo.localhost");
    expect(office.aliasGroup).toBe("https://cloud.demo.localhost:443");
    expect(office.memoryMb).toBe(memoryMbFor({}));
  });

  it("validates args with exact messages", () => {
    const ok = { tenant: "demo", domain: "office.demo.fr", nextcloudUrl: "https://cloud.demo.fr" };
    expect(() => validateCollaboraArgs({ ...ok, nextcloudUrl: "https://cloud.demo.fr/" })).toThrow(
      'Collabora demo: nextcloudUrl "https://cloud.demo.fr/" must be https://<domain> without port or path',
    );
    expect(() => validateCollaboraArgs({ ...ok, domain: "cloud.demo.fr" })).toThrow(
      'Collabora demo: domain "cloud.demo.fr" is Nextcloud\'s own domain',
    );
    expect(() => validateCollaboraArgs({ ...ok, memoryMb: 256 })).toThrow(
      "Collabora demo: memoryMb 256 is below 512",
    );
  });
});

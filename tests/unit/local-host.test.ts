import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, settle, type Recorder } from "./mocks.js";
import { LocalDockerHost } from "../../components/hosts/local-docker-host.js";
import { pullImage, serviceContainer, setNetworkHosts, stateVolume } from "../../components/container.js";
import * as docker from "@pulumi/docker";

let rec: Recorder;
beforeAll(async () => {
  rec = await installMocks();
});

describe("LocalDockerHost and the container defaults", () => {
  it("declares a provider on the local socket and containers with limits and labels", async () => {
    const host = new LocalDockerHost("local");
    const net = new docker.Network("n", { name: "n", internal: true }, { provider: host.provider });
    const image = pullImage("img", host, "redis:7.4.6-bookworm", {});
    const vol = stateVolume("vol", host, "demo-data", "demo", {});
    serviceContainer(
      "c",
      {
        host,
        containerName: "demo-app",
        image,
        memoryMb: 256,
        labels: { tenant: "demo", service: "app", role: "app", volumes: ["demo-data"] },
        networks: [{ network: net, aliases: ["app"] }],
        volumes: [{ volume: vol, containerPath: "/data" }],
      },
      {},
    );
    await settle();
    expect(rec.get("pulumi:providers:docker", "local-docker").inputs.host).toBe(
      "unix:///var/run/docker.sock",
    );
    const c = rec.get("docker:index/container:Container", "c").inputs;
    expect(c.memory).toBe(256);
    expect(c.restart).toBe("unless-stopped");
    expect(c.ports).toBeUndefined();
    expect(c.labels).toEqual([
      { label: "socle.backup.volumes", value: "demo-data" },
      { label: "socle.role", value: "app" },
      { label: "socle.service", value: "app" },
      { label: "socle.tenant", value: "demo" },
    ]);
    expect(rec.get("docker:index/remoteImage:RemoteImage", "img").inputs).toMatchObject({
      name: "redis:7.4.6-bookworm",
      keepLocally: true,
    });
  });

  it("hosts entries: from the network's registration, explicit, or none; static addresses", async () => {
    const host = new LocalDockerHost("local3");
    const web = new docker.Network("w", { name: "w" }, { provider: host.provider });
    setNetworkHosts(web, (tenant) =>
      tenant === "demo" ? [{ host: "sso.demo.localhost", ip: "10.1.0.2" }] : undefined,
    );
    const image = pullImage("img3", host, "redis:7.4.6-bookworm", {});
    const base = { host, image, memoryMb: 64, networks: [{ network: web }] };
    const labels = (tenant: string) => ({ tenant, service: "app", role: "app" as const });
    serviceContainer("h1", { ...base, containerName: "h1", labels: labels("demo") }, {});
    serviceContainer("h2", { ...base, containerName: "h2", labels: labels("autre") }, {});
    serviceContainer(
      "h3",
      { ...base, containerName: "h3", labels: labels("demo"), hosts: [{ host: "x.fr", ip: "10.1.0.9" }] },
      {},
    );
    serviceContainer("h4", { ...base, containerName: "h4", labels: labels("demo"), hosts: null }, {});
    serviceContainer(
      "h5",
      {
        ...base,
        containerName: "h5",
        labels: labels("autre"),
        networks: [{ network: web, ipv4Address: "10.1.0.2" }],
      },
      {},
    );
    await settle();
    const inputs = (n: string) => rec.get("docker:index/container:Container", n).inputs;
    expect(inputs("h1").hosts).toEqual([{ host: "sso.demo.localhost", ip: "10.1.0.2" }]);
    expect(inputs("h2").hosts).toBeUndefined();
    expect(inputs("h3").hosts).toEqual([{ host: "x.fr", ip: "10.1.0.9" }]);
    expect(inputs("h4").hosts).toBeUndefined();
    expect(inputs("h5").networksAdvanced).toEqual([{ name: "w", ipv4Address: "10.1.0.2" }]);
    expect(inputs("h1").networksAdvanced).toEqual([{ name: "w" }]);
  });

  it("refuses an unpinned image and a container without memory limit", () => {
    const host = new LocalDockerHost("local2");
    expect(() => pullImage("x", host, "redis:latest", {})).toThrow(
      'x: image "redis:latest" must be pinned to a version, never latest',
    );
    expect(() => pullImage("x", host, "redis", {})).toThrow('x: image "redis" must be pinned');
    const image = pullImage("img2", host, "redis:7", {});
    expect(() =>
      serviceContainer(
        "bad",
        {
          host,
          containerName: "bad",
          image,
          memoryMb: 0,
          labels: { tenant: "t", service: "s", role: "app" },
          networks: [],
        },
        {},
      ),
    ).toThrow("bad: memoryMb must be a positive integer, got 0");
  });

  it("a tcp:// engine gets its TLS client certificates (socle:target.dockerCertPath)", async () => {
    new LocalDockerHost("remote", {
      dockerHost: "tcp://docker.mairie.example:2376",
      certPath: "/etc/socle/docker-tls",
    });
    await settle();
    expect(rec.get("pulumi:providers:docker", "remote-docker").inputs).toMatchObject({
      host: "tcp://docker.mairie.example:2376",
      certPath: "/etc/socle/docker-tls",
    });
  });
});

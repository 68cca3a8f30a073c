/**
 * `socle:versions` pins what it says: the caches (every Redis and memcached
 * of every town, and the shared PeerTube's Redis) as well as the platform,
 * under the mock engine. A pin of a per-town app there is refused
 * (tests/unit/bad-configs.test.ts), never silently ignored.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../stacks/config.js";
import { buildProgram } from "../../stacks/program.js";
import { installMocks, settle, type Recorder } from "./mocks.js";

let rec: Recorder;
beforeAll(async () => {
  rec = await installMocks();
  const cfg = parseConfig({
    tenants: [
      {
        slug: "demo",
        name: "Démo",
        domain: "demo.example",
        services: {
          nextcloud: {},
          sogo: { mail: { imap: "imap.demo.example:993", smtp: "smtp.demo.example:465" } },
          peertube: {},
        },
      },
    ],
    shared: { peertube: { domain: "video.epci.example" } },
    backup: { repository: "/var/backups/socle", keep: { daily: 7, weekly: 4, monthly: 12 } },
    versions: {
      redis: "7.4.5",
      memcached: "1.6.38",
      postgres: "17.5",
      peertube: "7.2.3",
      dockercli: "28.5.0",
    },
  });
  buildProgram(cfg, { readPreviousOutputs: false });
  await settle();
});

const image = (name: string) => rec.get("docker:index/remoteImage:RemoteImage", name).inputs.name;

describe("socle:versions", () => {
  it("pins every cache and the platform", () => {
    expect(image("demo-nextcloud-redis-image")).toBe("redis:7.4.5-bookworm");
    expect(image("demo-peertube-redis-image")).toBe("redis:7.4.5-bookworm");
    expect(image("shared-peertube-redis-image")).toBe("redis:7.4.5-bookworm");
    expect(image("demo-sogo-memcached-image")).toBe("memcached:1.6.38-bookworm");
    expect(image("shared-peertube-image")).toBe("chocobozzz/peertube:v7.2.3-bookworm");
    expect(image("local-platform-docker-cli")).toBe("docker:28.5.0-cli"); // the network jobs' CLI
    expect(image("demo-peertube-image")).toBe("chocobozzz/peertube:v7.3.0-bookworm"); // a town's own: its versions
  });
});

/**
 * Issue 12, the other side: what the stricter config reader still accepts (a
 * French town's names, Docker engines with TLS or SSH), and the networks a
 * LAN must not overlap. The refusals: tests/unit/bad-configs.test.ts.
 */
import { describe, expect, it } from "vitest";
import { PLATFORM_DEFAULTS } from "../../components/platform/platform.js";
import { parseConfig, type RawConfig } from "../../stacks/config.js";
import { DOCKER_SUBNETS } from "../../stacks/config-target.js";
import { BACKUP, cfg, errorsOf, t } from "./config-fixtures.js";

const site = (slug: string, extra: Record<string, unknown> = {}) => ({
  slug,
  title: "Club",
  admin: "bureau@club.example",
  ...extra,
});
const local = (l: Record<string, unknown>) => cfg({ target: { kind: "local", ...l } });

describe("Docker engines Socle uses", () => {
  it("tcp:// with TLS certificates, ssh:// with keys, the local socket", () => {
    const tls = parseConfig(
      local({ dockerHost: "tcp://docker.mairie.example:2376", dockerCertPath: "/etc/socle/docker-tls" }),
    );
    expect(tls.target).toMatchObject({
      dockerHost: "tcp://docker.mairie.example:2376",
      dockerCertPath: "/etc/socle/docker-tls",
    });
    expect(parseConfig(local({ dockerHost: "ssh://socle@10.20.0.10" })).target).toMatchObject({
      dockerHost: "ssh://socle@10.20.0.10",
    });
    expect(errorsOf(local({ dockerCertPath: "/etc/socle/docker-tls" }))).toEqual([
      'socle:target.dockerCertPath: "/etc/socle/docker-tls" needs a tcp:// socle:target.dockerHost',
    ]);
  });
});

describe("the Docker networks a LAN must not overlap", () => {
  it("are the platform's address block (socle-web and the towns' networks: its own constant) and docker0's", () => {
    expect(DOCKER_SUBNETS.map((d) => d.cidr)).toEqual([PLATFORM_DEFAULTS.addressBlock, "172.17.0.0/16"]);
  });
});

describe("a legitimate French town is accepted", () => {
  it("accents, straight and typographic apostrophes, quotes, an apostrophe in an address", () => {
    const raw: RawConfig = {
      tenants: [
        t({
          slug: "saint-martin-d-heres",
          name: "Saint-Martin-d'Hères",
          domain: "saintmartindheres.example",
          services: {
            peertube: { shared: true },
            wordpress: {
              sites: [
                site("echecs", { title: "Club d’échecs « Le Fou »", admin: "o'brien@club-echecs.example" }),
              ],
            },
          },
        }),
      ],
      shared: { peertube: { domain: "video.epci.example" } },
      backup: BACKUP,
    };
    const c = parseConfig(raw);
    expect(c.tenants[0]!.name).toBe("Saint-Martin-d'Hères");
    expect(c.tenants[0]!.services.wordpress!.sites[0]).toMatchObject({
      title: "Club d’échecs « Le Fou »",
      admin: "o'brien@club-echecs.example",
    });
  });
});

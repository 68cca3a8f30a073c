/**
 * What the config reader accepts, the components accept too, and the values
 * reach every renderer exactly, escaped: the whole program under the mock
 * engine for two towns with French names (accents, straight and typographic
 * apostrophes, quotes, shell characters), a site title and an admin address
 * with an apostrophe, the longest slugs. Then:
 * - Keycloak's realm display name and PeerTube's instance name are the exact names;
 * - the shared PeerTube's account job (bash) passes `bash -n`, and the shell
 *   reads back the exact town name from it;
 * - the WordPress mu-plugin (PHP) passes `php -l`, and php reads back the exact
 *   title and address;
 * - every container and volume the program declares is one of the names the
 *   config reader computed for its collision check (stacks/config-names.ts),
 *   so that check sees every name.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type SocleConfig } from "../../stacks/config.js";
import { deploymentOwners } from "../../stacks/config-names.js";
import { buildProgram } from "../../stacks/program.js";
import { toolPath } from "../templates/tools.js";
import { envOf, installMocks, settle, type Recorded, type Recorder } from "./mocks.js";

const OWN = 'Saint-Martin-d\'Hères « $HOME » `id` \\ "la ville"';
const SHARED = "L’Haÿ-les-Roses";
const TITLE = "Club d’échecs « Le Fou » & l'Amicale";
const ADMIN = "O'Brien+echecs@Club-Echecs.example";
const LONG = "a".repeat(32);

let rec: Recorder;
let cfg: SocleConfig;
beforeAll(async () => {
  rec = await installMocks();
  cfg = parseConfig({
    tenants: [
      {
        slug: "saint-martin-d-heres",
        name: OWN,
        domain: "saintmartindheres.example",
        services: {
          nextcloud: {},
          sogo: {}, // and its mail server, with its certificate copier
          peertube: {},
          wordpress: {
            sites: [
              { slug: "echecs", title: TITLE, admin: ADMIN },
              { slug: "b".repeat(32), title: "B", admin: "b@b.example" },
            ],
          },
        },
      },
      { slug: LONG, name: SHARED, domain: "lhaylesroses.example", services: { peertube: { shared: true } } },
    ],
    shared: { peertube: { domain: "video.epci.example" } },
    sso: { domain: "sso.epci.example" },
    backup: { repository: "/var/backups/socle", keep: { daily: 7, weekly: 4, monthly: 12 } },
  });
  buildProgram(cfg, { readPreviousOutputs: false });
  await settle();
});

const one = (type: string, name: string): Recorded => {
  const r = rec.resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};
const upload = (r: Recorded, file: string): string => {
  const u = (r.inputs.uploads as { file: string; content: string }[]).find((x) => x.file === file);
  if (!u) throw new Error(`${r.name}: no upload ${file}`);
  return u.content;
};
const tmp = (name: string, content: string): string => {
  const file = join(mkdtempSync(join(tmpdir(), "fr-names-")), name);
  writeFileSync(file, content);
  return file;
};

describe("French names through the whole program and its renderers", () => {
  it("Keycloak and PeerTube get the exact names", () => {
    expect(one("keycloak:index/realm:Realm", "saint-martin-d-heres-realm-realm").inputs.displayName).toBe(
      OWN,
    );
    expect(one("keycloak:index/realm:Realm", `${LONG}-realm-realm`).inputs.displayName).toBe(SHARED);
    expect(
      envOf(one("docker:index/container:Container", "saint-martin-d-heres-peertube-app"))
        .PEERTUBE_INSTANCE_NAME,
    ).toBe(OWN);
  });

  it("the account job on the shared PeerTube: bash -n passes, the shell reads back the exact name", () => {
    const script = upload(
      one("docker:index/container:Container", `${LONG}-peertube-channel-job`),
      "/socle/account.sh",
    );
    expect(spawnSync("bash", ["-n", tmp("account.sh", script)]).status).toBe(0);
    const line = script.split("\n").find((l) => l.startsWith("export SOCLE_CHANNEL="))!;
    const r = spawnSync("bash", ["-c", `${line}; printf %s "$SOCLE_CHANNEL_NAME"`], { encoding: "utf8" });
    expect(r.stdout).toBe(SHARED);
  });

  it("the WordPress mu-plugin: php -l passes, php reads back the exact title and address", () => {
    const wp = one("docker:index/container:Container", "saint-martin-d-heres-assos-echecs-app");
    const plugin = upload(wp, "/var/www/html/wp-content/mu-plugins/socle.php");
    const php = toolPath("php");
    if (!php) return console.warn("php not installed: skipped outside CI (apt-get install php-cli)");
    const file = tmp("socle.php", plugin);
    expect(spawnSync(php, ["-l", file], { encoding: "utf8" }).status).toBe(0);
    const stubs = "function add_action() {} function add_filter() {} define('ABSPATH', '/tmp/');";
    const probe = "echo json_encode([SOCLE_SITE_TITLE, SOCLE_ADMIN_EMAIL], JSON_UNESCAPED_UNICODE);";
    const r = spawnSync(php, ["-r", `${stubs} require ${JSON.stringify(file)}; ${probe}`], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([TITLE, ADMIN.toLowerCase()]);
  });

  it("every container and volume declared is a name the config reader checked for collisions", () => {
    const owners = deploymentOwners(cfg);
    const computed = new Set(owners.flatMap((o) => [...o.names.containers, ...o.names.volumes]));
    const declared = rec.resources
      .filter((r) => r.type === "docker:index/container:Container" || r.type === "docker:index/volume:Volume")
      .map((r) => r.inputs.name as string);
    expect(declared.length).toBeGreaterThan(30);
    expect(declared.filter((n) => !computed.has(n))).toEqual([]);
  });
});

/**
 * The EPCI promise "adding a 41st town moves no existing container", proved on
 * the whole program: stacks/program.ts `buildProgram` runs under the mock
 * engine twice, in two processes (the mock engine is per process), for the
 * same generated EPCI with 40 and with 41 towns — every town with Nextcloud
 * (+ Collabora), SOGo and its mail server, its own PeerTube, two association
 * sites, and federation on (the default), on 42 hosts (a host publishes the
 * mail ports for one town's mail server). Each run dumps every Docker
 * container's, volume's and network's inputs (tests/unit/fixtures/program-dump-run.ts).
 *
 * The Docker provider replaces a container whose inputs change, so "moves no
 * container" means: every container, volume and network of the first run has
 * the SAME inputs in the second, except one-shot jobs, whose whole point is to
 * run again — the 40 Nextcloud federation jobs and the 40 PeerTube follow jobs
 * (their sibling lists grew by one), and on the new town's host the routes job
 * of the proxy and the network job that puts the proxy on the new town's web
 * network (the proxy and the database servers themselves never change: their
 * attachments to the towns' networks are made by those jobs). The list of what
 * changed is asserted exactly.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { ProgramDump } from "./fixtures/program-dump-run.js";
import { townSlug } from "./fixtures/epci.js";

const runner = fileURLToPath(new URL("./fixtures/program-dump-run.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "add-town-"));

function dump(towns: number): Promise<ProgramDump> {
  const out = join(dir, `${towns}.json`);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", runner, String(towns), out, "sogo"],
      { encoding: "utf8", timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err) reject(new Error(`program-dump-run ${towns}: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(readFileSync(out, "utf8")) as ProgramDump);
      },
    );
  });
}

type Uploads = { file: string; content: string }[];
type Inputs = Record<string, unknown>;

let before: ProgramDump;
let after: ProgramDump;
let changed: string[];
beforeAll(async () => {
  [before, after] = await Promise.all([dump(40), dump(41)]);
  changed = Object.keys(before.resources)
    .filter((k) => JSON.stringify(before.resources[k]) !== JSON.stringify(after.resources[k]))
    .sort();
}, 900_000);

const towns40 = Array.from({ length: 40 }, (_, i) => townSlug(i));
const inputs = (d: ProgramDump, key: string) => d.resources[key] as Inputs;

describe("an EPCI of 40 towns gets a 41st (whole program, mock engine, two processes)", () => {
  it("declares the same services in both runs, and places the 40 towns on the same hosts", () => {
    expect(before.towns).toBe(40);
    expect(after.towns).toBe(41);
    for (const t of towns40) expect(after.placement[t], t).toBe(before.placement[t]);
    // the comparison covers every town's containers: app, cron, jobs, caches, mail, sites
    const own = (d: ProgramDump, t: string) =>
      Object.keys(d.resources).filter((k) => k.startsWith(`container:${t}-`));
    expect(own(before, "commune-001").length).toBeGreaterThanOrEqual(15);
    expect(own(before, "commune-001")).toEqual(
      expect.arrayContaining([
        "container:commune-001-nextcloud-app",
        "container:commune-001-nextcloud-cron",
        "container:commune-001-nextcloud-federation",
        "container:commune-001-peertube-app",
        "container:commune-001-peertube-follow",
        "container:commune-001-mail-server",
        "container:commune-001-sogo-app",
      ]),
    );
  });

  it("keeps every container, volume and network of the first run, and adds only the 41st town's", () => {
    const added = Object.keys(after.resources).filter((k) => !(k in before.resources));
    expect(Object.keys(before.resources).filter((k) => !(k in after.resources))).toEqual([]);
    // exactly what commune-001 has, renamed: the new town and nothing else
    const first = Object.keys(before.resources).filter((k) =>
      /^(container|volume|network):commune-001-/.test(k),
    );
    // (its two networks and the jobs attaching the database servers to its back-end network)
    expect(first).toEqual(
      expect.arrayContaining([
        "network:commune-001-network-web",
        "network:commune-001-network-back",
        "container:commune-001-network-postgres",
        "container:commune-001-network-mariadb",
      ]),
    );
    expect(added.sort()).toEqual(first.map((k) => k.replace("commune-001-", "commune-041-")).sort());
  });

  it("changes the inputs of one-shot jobs only: 40 federation jobs, 40 follow jobs, one routes job, one network job", () => {
    const host = after.placement["commune-041"]!;
    expect(changed).toEqual(
      [
        ...towns40.map((t) => `container:${t}-nextcloud-federation`),
        ...towns40.map((t) => `container:${t}-peertube-follow`),
        `container:${host}-proxy-routes`,
        `container:${host}-platform-networks`,
      ].sort(),
    );
    const total = Object.keys(before.resources).length;
    console.log(
      `add-town: ${total} containers, volumes and networks compared, ${changed.length} changed (all one-shot jobs), ` +
        `${total - changed.length} identical; 41st town on ${host}; ${before.pemsMasked} mock PEMs masked per run`,
    );
  });

  it("every changed container is a one-shot job, and only its uploaded script changed", () => {
    for (const key of changed) {
      const a = inputs(before, key);
      const b = inputs(after, key);
      expect(a.restart, key).toBe("no");
      expect(a.mustRun, key).toBe(false);
      const labels = a.labels as { label: string; value: string }[];
      expect(labels.find((l) => l.label === "socle.role")?.value, key).toBe("job");
      const differs = Object.keys({ ...a, ...b }).filter(
        (f) => JSON.stringify(a[f]) !== JSON.stringify(b[f]),
      );
      expect(differs, key).toEqual(["uploads"]);
    }
  });

  it("the jobs now name the 41st town: its Nextcloud trusted, its PeerTube followed", () => {
    const script = (d: ProgramDump, key: string) =>
      (inputs(d, key).uploads as Uploads).map((u) => u.content).join("\n");
    const fed = "container:commune-007-nextcloud-federation";
    expect(script(before, fed)).not.toContain("cloud.commune-041.example");
    expect(script(after, fed)).toContain("trust_server 'https://cloud.commune-041.example'\n");
    const follow = "container:commune-007-peertube-follow";
    expect(script(before, follow)).not.toContain("video.commune-041.example");
    expect(script(after, follow)).toContain('"video.commune-041.example"');
  });

  it("the apps themselves are untouched: same Nextcloud and PeerTube inputs in every town", () => {
    for (const t of towns40) {
      for (const c of ["nextcloud-app", "nextcloud-cron", "peertube-app", "mail-server", "sogo-app"]) {
        const key = `container:${t}-${c}`;
        expect(inputs(after, key), key).toEqual(inputs(before, key));
      }
    }
    for (const k of ["container:keycloak-app", "container:apps1-proxy-container"]) {
      expect(inputs(after, k), k).toEqual(inputs(before, k));
    }
    // nor any shared container of any host: proxies and database servers
    for (const h of ["apps1", "apps2", "apps3"]) {
      for (const c of ["proxy-container", "platform-postgres-container", "platform-mariadb-container"]) {
        const key = `container:${h}-${c}`;
        expect(inputs(before, key), key).toBeDefined();
        expect(inputs(after, key), key).toEqual(inputs(before, key));
      }
    }
  });

  it("the new town's host job puts the proxy on its web network, at .2 of its own subnet", () => {
    const host = after.placement["commune-041"]!;
    const script = (d: ProgramDump) =>
      (inputs(d, `container:${host}-platform-networks`).uploads as Uploads)[0]!.content;
    const web = inputs(after, "network:commune-041-network-web").ipamConfigs as { subnet: string }[];
    const proxy = web[0]!.subnet.replace(/0\/24$/, "2");
    expect(script(before)).not.toContain("socle-t-commune-041-web");
    expect(script(after)).toContain(`connect 'socle-proxy' 'socle-t-commune-041-web' '${proxy}' ''\n`);
  });
});

/**
 * acceptManifest: a manifest from the repository is accepted only when every
 * name in it is one the live group's labels declare, and its ids, paths and
 * database facts have the form a backup writes (issue 12, finding 1).
 */
import { describe, expect, it } from "vitest";
import { socleLabels, type LabelSpec } from "../../components/labels.js";
import { groupContainers, type EngineContainer } from "../../scripts/lib/discovery.js";
import { acceptManifest, IMAGE_RE } from "../../scripts/lib/manifest-trust.js";
import { tagsFor, type Manifest } from "../../scripts/lib/manifest.js";

const container = (name: string, spec: LabelSpec): EngineContainer => ({
  id: name,
  name,
  image: "img",
  running: true,
  labels: Object.fromEntries(socleLabels(spec).map((l) => [l.label, l.value])),
});
const [group] = groupContainers(
  [
    container("socle-postgres", { tenant: "_platform", service: "postgres", role: "db" }),
    container("demo-nextcloud", {
      tenant: "demo",
      service: "nextcloud",
      role: "app",
      volumes: ["demo-nextcloud-data"],
      dump: { engine: "postgres", database: "demo_nextcloud" },
      dumpContainer: "socle-postgres",
    }),
  ],
  { tenant: "demo" },
);
const snap = { short_id: "1a2b3c4d", tags: tagsFor("demo", "nextcloud", "32.0.3", "manifest") };

function manifest(): Manifest {
  return {
    format: 1,
    tenant: "demo",
    service: "nextcloud",
    version: "32.0.3",
    host: "h",
    runId: "r",
    createdAt: "2025-03-02T02:31:07Z",
    volumeSnapshot: "0123abcd",
    volumes: [{ name: "demo-nextcloud-data", files: 1, bytes: 1, sums: [["a", "0".repeat(64), 1]] }],
    dumps: [
      {
        engine: "postgres",
        database: "demo_nextcloud",
        container: "socle-postgres",
        image: "sha256:" + "f".repeat(64),
        info: { owner: "demo_nextcloud", encoding: "UTF8", collate: "C.UTF-8", ctype: "C.UTF-8" },
        snapshot: "4567cdef",
        path: "/demo/nextcloud/demo_nextcloud.pgdump",
        bytes: 10,
        sha256: "e".repeat(64),
        tables: { "public.t": 1 },
      },
    ],
  };
}

const refused = (edit: (m: Manifest) => void, tags = snap.tags) => {
  const m = manifest();
  edit(m);
  try {
    acceptManifest(m, { ...snap, tags }, group!);
  } catch (e) {
    return (e as Error).message;
  }
  return "accepted";
};
const why = (what: string) =>
  `demo/nextcloud: refusing manifest 1a2b3c4d: ${what}; nothing was touched; check who writes to the repository`;

describe("acceptManifest", () => {
  it("accepts what the backup of the live group writes", () => {
    expect(refused(() => undefined)).toBe("accepted");
  });

  it("refuses volumes the labels do not declare: a bind mount in disguise, another town's", () => {
    const bind = "demo-nextcloud-data,type=bind,source=/,target=/volumes/x";
    expect(refused((m) => (m.volumes[0]!.name = bind))).toBe(
      why(`volume "${bind}" is not one of its labels' volumes (demo-nextcloud-data)`),
    );
    expect(refused((m) => (m.volumes[0]!.name = "b-nextcloud-data"))).toBe(
      why(`volume "b-nextcloud-data" is not one of its labels' volumes (demo-nextcloud-data)`),
    );
    expect(refused((m) => m.volumes.push({ ...m.volumes[0]! }))).toBe(
      why('volume "demo-nextcloud-data" is listed twice'),
    );
    expect(refused((m) => (m.volumes = "x" as unknown as Manifest["volumes"]))).toBe(
      why("volumes and dumps must be lists"),
    );
  });

  it("refuses dumps the labels do not declare: another database, another container", () => {
    const other = why(
      'dump "postgres:b_nextcloud in socle-postgres" is not one of its labels\' dumps (postgres:demo_nextcloud in socle-postgres)',
    );
    expect(refused((m) => (m.dumps[0]!.database = "b_nextcloud"))).toBe(other);
    expect(refused((m) => (m.dumps[0]!.container = "b-db"))).toMatch(
      /dump "postgres:demo_nextcloud in b-db" is not/,
    );
    expect(refused((m) => (m.dumps[0]!.engine = "mariadb"))).toMatch(
      /dump "mariadb:demo_nextcloud in socle-postgres"/,
    );
  });

  it("refuses another group's manifest, by its content or its tags", () => {
    expect(refused((m) => (m.tenant = "demo\nforged"))).toBe(
      why('it names "demo\\nforged/nextcloud" (tags "demo/nextcloud")'),
    );
    expect(refused((m) => (m.tenant = "b"))).toBe(why('it names "b/nextcloud" (tags "demo/nextcloud")'));
    expect(refused(() => undefined, tagsFor("b", "nextcloud", "1", "manifest"))).toBe(
      why('it names "demo/nextcloud" (tags "b/nextcloud")'),
    );
  });

  it("refuses ids, paths and images that could become options", () => {
    expect(refused((m) => (m.volumeSnapshot = "--password-command=id"))).toBe(
      why('volume snapshot "--password-command=id" is not a snapshot id'),
    );
    expect(refused((m) => (m.dumps[0]!.snapshot = "-x"))).toBe(
      why('dump postgres:demo_nextcloud in socle-postgres: snapshot "-x" is not a snapshot id'),
    );
    expect(refused((m) => (m.dumps[0]!.path = "/etc/shadow"))).toBe(
      why(
        'dump postgres:demo_nextcloud in socle-postgres: path "/etc/shadow" is not /demo/nextcloud/demo_nextcloud.pgdump',
      ),
    );
    expect(refused((m) => (m.dumps[0]!.image = "--privileged"))).toBe(
      why('dump postgres:demo_nextcloud in socle-postgres: image "--privileged" is not an image reference'),
    );
    for (const ok of [
      "postgres:17.6",
      "localhost:5000/socle/pg:17",
      "socle-test/pg",
      `pg@sha256:${"a".repeat(64)}`,
    ])
      expect(IMAGE_RE.test(ok)).toBe(true);
  });

  it("refuses database facts that are not names, and another role as owner on the shared server", () => {
    expect(refused((m) => (m.dumps[0]!.info.encoding = "UTF8' OWNER postgres"))).toBe(
      why(
        `dump postgres:demo_nextcloud in socle-postgres: encoding "UTF8' OWNER postgres" is not an encoding or locale name`,
      ),
    );
    expect(refused((m) => (m.dumps[0]!.info.owner = "b_nextcloud"))).toBe(
      why(
        'dump postgres:demo_nextcloud in socle-postgres: owner "b_nextcloud" is not the database\'s own role (demo_nextcloud) on the shared server',
      ),
    );
    expect(refused((m) => (m.dumps[0]!.info.owner = 'x"; DROP'))).toMatch(
      /owner "x\\"; DROP" is not a role name/,
    );
  });
});

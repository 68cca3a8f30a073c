import { describe, expect, it } from "vitest";
import {
  compareSums,
  parseManifest,
  parseSums,
  refsOf,
  selectManifest,
  tagsFor,
  dumpPath,
  type SnapshotInfo,
} from "../../scripts/lib/manifest.js";

const A = "a".repeat(64);
const B = "b".repeat(64);

describe("manifest helpers", () => {
  it("parses helper checksum lines per volume (spaces in names kept), sorted", () => {
    const out = `${B} 12 /volumes/v1/z file.txt\n${A} 0 /volumes/v1/a/empty\n${A} 3 /volumes/v2/x\nnoise\n${A} 3 /volumes/other/x\n`;
    expect(parseSums(out, ["v1", "v2"])).toEqual({
      v1: [
        ["a/empty", A, 0],
        ["z file.txt", B, 12],
      ],
      v2: [["x", A, 3]],
    });
  });

  it("compares recorded and restored lists", () => {
    expect(
      compareSums(
        [
          ["a", A, 1],
          ["b", A, 1],
          ["c", A, 1],
        ],
        [
          ["a", A, 1],
          ["b", B, 1],
          ["d", A, 1],
        ],
      ),
    ).toEqual({ missing: ["c"], extra: ["d"], changed: ["b"] });
  });

  it("tags and paths", () => {
    expect(tagsFor("demo", "nextcloud", "32.0.3", "dump")).toEqual([
      "tenant=demo",
      "service=nextcloud",
      "version=32.0.3",
      "kind=dump",
    ]);
    expect(dumpPath("demo", "nextcloud", "nc", "postgres")).toBe("demo/nextcloud/nc.pgdump");
    expect(dumpPath("demo", "wordpress-x", "wp", "mariadb")).toBe("demo/wordpress-x/wp.sql");
    expect(refsOf({ tags: ["kind=manifest", "ref=abc", "ref=def"] })).toEqual(["abc", "def"]);
  });

  it("parses manifests with exact errors", () => {
    expect(() => parseManifest("nope")).toThrow(new Error("manifest: not JSON"));
    expect(() => parseManifest('{"format":2}')).toThrow(new Error("manifest: unsupported format 2"));
    expect(() => parseManifest('{"format":1}')).toThrow(
      new Error("manifest: tenant and service are required"),
    );
  });

  it("selects latest, by id, by referenced id, by time; exact error on nonsense", () => {
    const s = (id: string, time: string, refs: string[] = []): SnapshotInfo => ({
      id: id.padEnd(64, "0"),
      short_id: id.slice(0, 8),
      time,
      hostname: "h",
      tags: refs.map((r) => `ref=${r}`),
      paths: [],
    });
    const list = [
      s("22222222", "2025-01-02T00:00:00Z", ["cccccccc"]),
      s("11111111", "2025-01-01T00:00:00Z", ["dddddddd"]),
    ];
    expect(selectManifest(list, "latest")?.short_id).toBe("22222222");
    expect(selectManifest(list, "11111111")?.short_id).toBe("11111111");
    expect(selectManifest(list, "dddddddd")?.short_id).toBe("11111111");
    expect(selectManifest(list, "2025-01-01T12:00:00Z")?.short_id).toBe("11111111");
    expect(selectManifest(list, "2024-12-31")).toBeUndefined();
    expect(() => selectManifest(list, "yesterday")).toThrow(
      new Error('--snapshot: "yesterday" is not latest, a snapshot id or a time'),
    );
  });
});

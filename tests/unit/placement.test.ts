import { describe, expect, it } from "vitest";
import {
  mailPortProblems,
  place,
  preferredHost,
  rankedHosts,
  PlacementError,
  type PlacementInput,
} from "../../stacks/placement.js";

const hosts3 = [
  { name: "apps1", capacityMb: 30720 },
  { name: "apps2", capacityMb: 30720 },
  { name: "apps3", capacityMb: 30720 },
];

function input(slugs: string[], extra: Partial<PlacementInput> = {}): PlacementInput {
  return {
    hosts: hosts3,
    tenants: slugs.map((slug) => ({ slug, memoryMb: 1500 })),
    platformMb: 2304,
    shared: [{ name: "keycloak", host: "apps1", memoryMb: 1536 }],
    ...extra,
  };
}

/** A small deterministic PRNG (mulberry32) so the property test is reproducible. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("placement", () => {
  it("is deterministic and spreads 40 towns over three hosts", () => {
    const slugs = Array.from({ length: 40 }, (_, i) => `commune-${i + 1}`);
    const a = place(input(slugs));
    const b = place(input([...slugs].reverse()));
    expect(b.byTenant).toEqual(a.byTenant);
    const counts = a.hosts.map((h) => h.tenants.length);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(40);
    for (const c of counts) expect(c).toBeGreaterThanOrEqual(8);
    expect(a.hosts[0]).toMatchObject({ host: "apps1", shared: ["keycloak"] });
    expect(a.hosts[0]!.declaredMb).toBe(2304 + 1536 + 1500 * a.hosts[0]!.tenants.length);
  });

  it("property: random additions, resizes and removals never move an untouched tenant", () => {
    const rand = prng(20261123);
    let live = new Map<string, number>(); // slug → memory
    let next = 0;
    let previous: Record<string, string> = {};
    for (let step = 0; step < 400; step++) {
      const r = rand();
      let touched: string | undefined;
      if (live.size === 0 || r < 0.5) {
        touched = `town-${next++}`;
        live.set(touched, 500 + Math.floor(rand() * 1500));
      } else if (r < 0.75) {
        touched = [...live.keys()][Math.floor(rand() * live.size)]!;
        live.set(touched, 500 + Math.floor(rand() * 1500));
      } else {
        touched = [...live.keys()][Math.floor(rand() * live.size)]!;
        live.delete(touched);
      }
      if (live.size > 60) live = new Map([...live].slice(-60)); // bounded; removals of the oldest
      const placement = place({
        hosts: [
          { name: "apps1", capacityMb: 1_000_000 },
          { name: "apps2", capacityMb: 1_000_000 },
          { name: "apps3", capacityMb: 1_000_000 },
        ],
        tenants: [...live].map(([slug, memoryMb]) => ({ slug, memoryMb })),
        platformMb: 2304,
        shared: [],
      });
      for (const [slug, host] of Object.entries(placement.byTenant)) {
        if (slug !== touched && previous[slug] !== undefined)
          expect(host, `${slug} at step ${step}`).toBe(previous[slug]);
      }
      previous = placement.byTenant;
    }
  });

  it("adding a 41st town moves no existing town", () => {
    const slugs = Array.from({ length: 40 }, (_, i) => `commune-${i + 1}`);
    const before = place(input(slugs)).byTenant;
    const after = place(input([...slugs, "commune-41"])).byTenant;
    for (const s of slugs) expect(after[s]).toBe(before[s]);
  });

  it("honours pins and rejects a pin to an unknown host", () => {
    const p = place({
      ...input(["a", "b"]),
      tenants: [
        { slug: "a", host: "apps3", memoryMb: 100 },
        { slug: "b", memoryMb: 100 },
      ],
    });
    expect(p.byTenant.a).toBe("apps3");
    expect(() => place({ ...input([]), tenants: [{ slug: "a", host: "apps9", memoryMb: 1 }] })).toThrow(
      'socle:tenants[0].host: "apps9" is not one of the hosts (apps1, apps2, apps3)',
    );
  });

  it("preferredHost depends only on the slug and the host set", () => {
    expect(preferredHost("demo", hosts3)).toBe(preferredHost("demo", [...hosts3].reverse()));
  });

  it("refuses a cluster too small, saying how much memory is missing and where", () => {
    const small = [
      { name: "apps1", capacityMb: 8192 },
      { name: "apps2", capacityMb: 8192 },
    ];
    const tenants = Array.from({ length: 10 }, (_, i) => ({ slug: `t${i}`, memoryMb: 2000 }));
    let err: PlacementError | undefined;
    try {
      place({ hosts: small, tenants, platformMb: 2304, shared: [] });
    } catch (e) {
      err = e as PlacementError;
    }
    expect(err).toBeInstanceOf(PlacementError);
    const loads = small.map((h) => ({
      host: h.name,
      tenants: tenants.filter((t) => preferredHost(t.slug, small) === h.name).map((t) => t.slug),
    }));
    const expected: string[] = [];
    for (const l of loads) {
      const declared = 2304 + 2000 * l.tenants.length;
      if (declared > 8192) {
        const missing = declared - 8192;
        expected.push(
          `socle:target.hosts: host "${l.host}" is short of ${missing} MiB (${(missing / 1024).toFixed(1)} GiB): ` +
            `${declared} MiB declared for 8192 MiB available (tenants: ${l.tenants.join(", ")})`,
        );
      }
    }
    const total = 2 * 2304 + 20000;
    expected.push(
      `socle:target.hosts: the cluster is short of ${total - 16384} MiB (${((total - 16384) / 1024).toFixed(1)} GiB): ` +
        `${total} MiB declared for 16384 MiB available on 2 host(s); add a host or more memory`,
    );
    expect(err!.errors).toEqual(expected);
  });

  it("suggests a pin when another host has room", () => {
    const hosts = [
      { name: "apps1", capacityMb: 6000 },
      { name: "apps2", capacityMb: 60000 },
    ];
    // find two tenants that both prefer apps1
    const onApps1: string[] = [];
    for (let i = 0; onApps1.length < 2; i++)
      if (preferredHost(`x${i}`, hosts) === "apps1") onApps1.push(`x${i}`);
    const tenants = onApps1.map((slug, i) => ({ slug, memoryMb: i === 0 ? 2000 : 3000 }));
    expect(() => place({ hosts, tenants, platformMb: 2304, shared: [] })).toThrow(
      `socle:target.hosts: host "apps1" is short of 1304 MiB (1.3 GiB): 7304 MiB declared for 6000 MiB available ` +
        `(tenants: ${onApps1.join(", ")}); pin tenant "${onApps1[0]}" to "apps2" (host: apps2) to make it fit`,
    );
  });

  describe("the mail ports, a per-host resource", () => {
    const mailTowns = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ slug: `mail-${i}`, memoryMb: 1500, mail: true }));
    // two mail towns whose best host is the same one
    const sameBest = (() => {
      const found: string[] = [];
      for (let i = 0; found.length < 2; i++) {
        const slug = `m${i}`;
        if (preferredHost(slug, hosts3) === "apps1") found.push(slug);
      }
      return found;
    })();

    it("a second mail town goes to its next best host; towns without mail are placed as before", () => {
      const tenants = [
        ...sameBest.map((slug) => ({ slug, memoryMb: 1500, mail: true })),
        ...sameBest.map((slug) => ({ slug: `${slug}-web`, memoryMb: 1500 })),
      ];
      const p = place({ ...input([]), tenants });
      expect(p.byTenant[sameBest[0]!]).toBe("apps1");
      expect(p.byTenant[sameBest[1]!]).toBe(rankedHosts(sameBest[1]!, hosts3)[1]);
      for (const slug of sameBest)
        expect(p.byTenant[`${slug}-web`]).toBe(preferredHost(`${slug}-web`, hosts3));
    });

    it("three mail towns on three hosts: one each; appending a town moves none", () => {
      const p = place({ ...input([]), tenants: mailTowns(3) });
      expect(new Set(Object.values(p.byTenant)).size).toBe(3);
      const more = place({ ...input([]), tenants: [...mailTowns(3), { slug: "web", memoryMb: 100 }] });
      for (const t of mailTowns(3)) expect(more.byTenant[t.slug]).toBe(p.byTenant[t.slug]);
    });

    it("refuses more mail towns than hosts, and two pinned to one host", () => {
      expect(() => place({ ...input([]), tenants: mailTowns(4) })).toThrow(
        "socle:tenants[3].services.sogo: no host is left for its mail server: 4 towns run one and the target has 3 hosts " +
          "(each publishes ports 25, 465, 587, 993 and 4190; a host has them once): add a host, or give the town its own servers (services.sogo.mail)",
      );
      const pinned = mailTowns(2).map((t) => ({ ...t, host: "apps2" }));
      expect(mailPortProblems(["apps1", "apps2", "apps3"], pinned)).toEqual([
        'socle:tenants[1].host: "apps2" already runs the mail server of socle:tenants[0] (ports 25, 465, 587, 993 and 4190 are published once per host): ' +
          "pin it to another host, or give the town its own servers (services.sogo.mail)",
      ]);
    });

    it("an unpinned mail town avoids a host pinned for another town's mail", () => {
      const [a, b] = sameBest as [string, string];
      const p = place({
        ...input([]),
        tenants: [
          { slug: b, memoryMb: 100, mail: true },
          { slug: a, memoryMb: 100, mail: true, host: "apps1" },
        ],
      });
      expect(p.byTenant[a]).toBe("apps1");
      expect(p.byTenant[b]).not.toBe("apps1");
    });
  });
});

/**
 * The rendered Caddyfile through the REAL Caddy (Debian's `caddy`, 2.6):
 *
 * 1. `caddy validate --adapter caddyfile` on several route sets. Validation
 *    adapts the file AND provisions every module (TLS automation, ACME issuers,
 *    the internal CA, matchers, handlers) without binding ports or contacting an
 *    ACME server (certificates are only obtained by `caddy run`), so it needs no
 *    network even for public domains; HOME/XDG dirs point to a temp dir so the
 *    internal CA it provisions is written there.
 * 2. The deployed flow under `caddy run`: tests/templates/caddyfile-run.test.ts.
 *
 * Missing caddy: skipped outside CI, a failure under CI=true.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Route } from "../../components/platform/route.js";
import {
  renderCaddyBase,
  renderCaddyfile,
  renderCaddySites,
  renderRoutesApplyScript,
} from "../../templates/caddyfile.js";
import { caddyEnv, CI, collabora, nextcloud, real, sogo, work } from "./caddy-helpers.js";

function validate(text: string, file: string): { status: number | null; out: string } {
  const path = join(work, file);
  writeFileSync(path, text);
  const r = spawnSync("caddy", ["validate", "--config", path, "--adapter", "caddyfile"], {
    encoding: "utf8",
    env: caddyEnv,
    timeout: 30_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("renderCaddyfile (pure)", () => {
  it("renders one tenant exactly", () => {
    expect(
      renderCaddyfile({
        acmeEmail: "dsi@demo.fr",
        routes: [collabora("demo", "demo.fr"), nextcloud("demo", "demo.fr")],
      }),
    ).toBe(`# Rendered by Socle (templates/caddyfile.ts): edit the routes, not this file.
{
	email dsi@demo.fr
	servers {
		protocols h1 h2 h3
	}
}

http://:8081 {
	respond /socle-health "ok" 200
	respond 404
}

# demo/nextcloud
cloud.demo.fr {
	header {
		defer
		-Server
		X-Content-Type-Options nosniff
		Referrer-Policy strict-origin-when-cross-origin
		Strict-Transport-Security "max-age=31536000"
	}
	request_body {
		max_size 10GB
	}
	redir /.well-known/caldav /remote.php/dav 301
	redir /.well-known/carddav /remote.php/dav 301
	reverse_proxy demo-nextcloud:80
}

# demo/collabora
office.demo.fr {
	header {
		defer
		-Server
		X-Content-Type-Options nosniff
		Referrer-Policy strict-origin-when-cross-origin
		Strict-Transport-Security "max-age=31536000"
	}
	@upstream path /browser/* /cool/* /hosting/*
	handle @upstream {
		reverse_proxy demo-collabora:9980
	}
	handle {
		respond 404
	}
}
`);
  });

  it("uses tls internal and no HSTS for *.localhost, and no email line without acmeEmail", () => {
    const text = renderCaddyfile({ routes: [nextcloud("demo", "demo.localhost")] });
    expect(text).not.toContain("email");
    expect(text).toContain("cloud.demo.localhost {\n\ttls internal\n");
    expect(text).not.toContain("Strict-Transport-Security");
  });

  it("is deterministic: the order of routes does not matter", () => {
    const routes = [
      nextcloud("b", "b.fr"),
      collabora("a", "a.fr"),
      sogo("a", "a.fr"),
      nextcloud("a", "a.fr"),
    ];
    const once = renderCaddyfile({ routes });
    expect(renderCaddyfile({ routes: [...routes].reverse() })).toBe(once);
    const hosts = [...once.matchAll(/^([a-z0-9.-]+) \{$/gm)].map((m) => m[1]);
    expect(hosts).toEqual(["cloud.a.fr", "cloud.b.fr", "mail.a.fr", "office.a.fr"]);
  });

  it("refuses duplicate hosts and malformed routes with exact messages", () => {
    const base = nextcloud("demo", "demo.fr");
    const cases: [Route[], string][] = [
      [
        [base, { ...collabora("demo", "demo.fr"), host: "cloud.demo.fr" }],
        'routes: host "cloud.demo.fr" is routed twice (demo/nextcloud and demo/collabora)',
      ],
      [
        [{ ...base, host: "Cloud.Demo.fr" }],
        'route demo/nextcloud: host "Cloud.Demo.fr" is not a lower-case domain name',
      ],
      [
        [{ ...base, host: "cloud demo.fr" }],
        'route demo/nextcloud: host "cloud demo.fr" is not a lower-case domain name',
      ],
      [
        [{ ...base, upstream: "demo-nextcloud" }],
        'route demo/nextcloud: upstream "demo-nextcloud" is not container:port',
      ],
      [[{ ...base, upstream: "x:70000" }], 'route demo/nextcloud: upstream "x:70000" is not container:port'],
      [[{ ...base, paths: [] }], "route demo/nextcloud: paths is empty (omit it to serve everything)"],
      [
        [{ ...base, paths: ["browser/*"] }],
        'route demo/nextcloud: path "browser/*" must start with / and hold no spaces',
      ],
      [
        [{ ...base, redirects: [{ from: "/a/*", to: "/b" }] }],
        'route demo/nextcloud: redirect from "/a/*" must be an exact path starting with /',
      ],
      [
        [{ ...base, redirects: [{ from: "/a", to: "http://x" }] }],
        'route demo/nextcloud: redirect to "http://x" must be a path or an https:// URL',
      ],
      [
        [{ ...base, maxBodySize: "10 GB" }],
        'route demo/nextcloud: maxBodySize "10 GB" is not a size like 10GB or 512MB',
      ],
    ];
    for (const [routes, msg] of cases) expect(() => renderCaddyfile({ routes })).toThrow(msg);
    expect(() => renderCaddyfile({ acmeEmail: "not-an-email", routes: [] })).toThrow(
      'acmeEmail: "not-an-email" is not an email address',
    );
  });
});

real("renderCaddyfile through caddy validate", () => {
  const sets: [string, { acmeEmail?: string; routes: Route[] }][] = [
    ["no route at all", { routes: [] }],
    [
      "one public tenant (ACME)",
      { acmeEmail: "dsi@demo.fr", routes: [nextcloud("demo", "demo.fr"), collabora("demo", "demo.fr")] },
    ],
    [
      "one localhost tenant",
      {
        routes: [
          nextcloud("demo", "demo.localhost"),
          collabora("demo", "demo.localhost"),
          sogo("demo", "demo.localhost"),
        ],
      },
    ],
    [
      "several tenants, public and local",
      {
        acmeEmail: "exploitation@epci.example",
        routes: ["ville-a", "ville-b", "ville-c"]
          .flatMap((t) => [
            nextcloud(t, `${t}.example`),
            collabora(t, `${t}.example`),
            sogo(t, `${t}.example`),
          ])
          .concat([nextcloud("demo", "demo.localhost")]),
      },
    ],
  ];
  for (const [title, args] of sets) {
    it(`accepts: ${title}`, () => {
      const r = validate(renderCaddyfile(args), `${title.replace(/\W+/g, "-")}.caddyfile`);
      expect(r.out).toContain("Valid configuration");
      expect(r.status).toBe(0);
    });
  }

  it("accepts the deployed form: the base file importing the sites file (ACME hosts)", () => {
    const dir = join(work, "validate-deployed");
    mkdirSync(join(dir, "sites"), { recursive: true });
    writeFileSync(
      join(dir, "sites", "socle.caddy"),
      renderCaddySites([nextcloud("ville-a", "ville-a.example"), collabora("ville-a", "ville-a.example")]),
    );
    const base = renderCaddyBase({
      acmeEmail: "exploitation@epci.example",
      adminSocket: join(dir, "admin.sock"),
      sitesGlob: join(dir, "sites", "*.caddy"),
    });
    const r = validate(base, "validate-deployed.caddyfile");
    expect(r.out).toContain("Valid configuration");
    expect(r.status).toBe(0);
  });

  it("the routes job script passes sh -n and shellcheck", () => {
    const file = join(work, "apply-routes-check.sh");
    writeFileSync(file, renderRoutesApplyScript());
    expect(spawnSync("sh", ["-n", file]).status).toBe(0);
    const sc = spawnSync("shellcheck", ["-s", "sh", file], { encoding: "utf8" });
    if (sc.error && !CI) return; // shellcheck missing outside CI
    expect(sc.stdout).toBe("");
    expect(sc.status).toBe(0);
  });

  it("rejects a broken Caddyfile (so the checks above mean something)", () => {
    const good = renderCaddyfile({ routes: [nextcloud("demo", "demo.localhost")] });
    const unbalanced = validate(good.replace(/\}\n$/, "\n"), "broken-brace.caddyfile");
    expect(unbalanced.status).not.toBe(0);
    const badDirective = validate(
      good.replace("reverse_proxy", "reverse_proxi"),
      "broken-directive.caddyfile",
    );
    expect(badDirective.status).not.toBe(0);
    expect(badDirective.out).toContain("reverse_proxi");
  });
});

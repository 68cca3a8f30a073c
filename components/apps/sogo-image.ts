/**
 * SOGo's image: there is no official one, so each host builds
 * `templates/sogo/Dockerfile` (a `docker.RemoteImage` with a build), rebuilt
 * when a file of the build context changes (`triggers`). Used by `Sogo`.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { mirroredRef } from "../container.js";
import type { DockerHost } from "../hosts/docker-host.js";
import { imageRef } from "../versions.js";

/** The build context on the machine running pulumi: `templates/sogo/` (source tree or package). */
export function sogoBuildContext(): string {
  for (const rel of ["../../templates/sogo", "../../../templates/sogo"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, "Dockerfile"))) return dir;
  }
  throw new Error("SOGo: templates/sogo/Dockerfile not found next to the components");
}

/** sha256 of the build context's files (name + content, sorted): a change rebuilds the image. */
export function sogoContextHash(dir: string = sogoBuildContext()): string {
  const h = createHash("sha256");
  for (const f of readdirSync(dir).sort()) {
    h.update(f)
      .update("\0")
      .update(readFileSync(join(dir, f)))
      .update("\0");
  }
  return h.digest("hex");
}

/**
 * The image `<sogo catalogue ref>-<source>` built on `host` from the context,
 * with the base image, source and version as build args and OCI labels.
 */
export function buildSogoImage(
  name: string,
  args: { host: DockerHost; version: string; source: string; baseImage: string },
  parent: pulumi.Resource,
): docker.RemoteImage {
  const context = sogoBuildContext();
  return new docker.RemoteImage(
    name,
    {
      name: `${imageRef("sogo", args.version)}-${args.source}`,
      keepLocally: true,
      build: {
        context,
        dockerfile: "Dockerfile",
        buildArgs: {
          BASE_IMAGE: mirroredRef(args.host, args.baseImage),
          SOGO_SOURCE: args.source,
          SOGO_VERSION: args.version,
        },
        label: { "org.opencontainers.image.version": args.version, "socle.sogo.source": args.source },
      },
      triggers: { context: sogoContextHash(context) },
    },
    { parent, provider: args.host.provider },
  );
}

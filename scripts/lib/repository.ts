/**
 * The restic repository: URL and password resolution (never from argv), and
 * restic's error messages turned into exit codes (pure).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { redactUrls } from "../../templates/checks.js";
import { EXIT, SocleError } from "./errors.js";

export interface RepositoryOptions {
  /** `--repo`; default RESTIC_REPOSITORY. */
  repo?: string;
  /** `--password-file`; default RESTIC_PASSWORD_FILE, then RESTIC_PASSWORD. */
  passwordFile?: string;
}

export interface Repository {
  /** As given (restic URL or path): what restic gets, never printed. */
  url: string;
  /** The URL with any password replaced by `***`: what messages, results and lock files show. */
  shown: string;
  /** Absolute path when the repository is on the engine host's filesystem. */
  localPath?: string;
  /** Short stable key (lock file name, helper labels). */
  key: string;
  password: string;
}

const BACKEND = /^(sftp|rest|s3|b2|azure|gs|swift|rclone):/;

/** `local:/x` and plain paths are local; other restic backends are remote. */
export function localPathOf(url: string): string | undefined {
  if (BACKEND.test(url)) return undefined;
  const p = url.startsWith("local:") ? url.slice("local:".length) : url;
  return path.resolve(p);
}

export function repositoryKey(url: string): string {
  const local = localPathOf(url);
  return createHash("sha256")
    .update(local ?? url)
    .digest("hex")
    .slice(0, 16);
}

/** Resolves the repository from options and env; exact usage errors. */
export function resolveRepository(opts: RepositoryOptions, env: NodeJS.ProcessEnv = process.env): Repository {
  const url = opts.repo ?? env.RESTIC_REPOSITORY;
  if (!url) {
    throw new SocleError("no repository: pass --repo <restic URL> or set RESTIC_REPOSITORY", EXIT.usage);
  }
  const file = opts.passwordFile ?? env.RESTIC_PASSWORD_FILE;
  let password: string | undefined;
  if (file) {
    try {
      password = readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (e) {
      throw new SocleError(
        `cannot read the repository password file ${file}: ${(e as Error).message}`,
        EXIT.repository,
      );
    }
  } else {
    password = env.RESTIC_PASSWORD;
  }
  if (!password) {
    throw new SocleError(
      "no repository password: set RESTIC_PASSWORD_FILE (or --password-file) or RESTIC_PASSWORD; never on the command line",
      EXIT.usage,
    );
  }
  const localPath = localPathOf(url);
  return {
    url,
    shown: redactUrls(url),
    key: repositoryKey(url),
    password,
    ...(localPath ? { localPath } : {}),
  };
}

export type ResticFailure = "password" | "missing" | "nospace" | "locked" | "other";

/** Classifies restic's stderr (restic 0.14 exits 1 for every error). */
export function classifyResticError(stderr: string): ResticFailure {
  if (/wrong password or no key found/i.test(stderr)) return "password";
  if (/no space left on device|disk quota exceeded/i.test(stderr)) return "nospace";
  if (/repository is already locked/i.test(stderr)) return "locked";
  if (
    /Is there a repository at the following location\?|unable to open config file|repository does not exist|config file does not exist/i.test(
      stderr,
    )
  ) {
    return "missing";
  }
  return "other";
}

/** The error a failed restic call becomes (exact messages, tested); URL passwords are redacted. */
export function resticError(what: string, url: string, stderr: string): SocleError {
  const kind = classifyResticError(stderr);
  const repoUrl = redactUrls(url);
  const detail = redactUrls(stderr)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^\{"message_type"/.test(l))
    .slice(-3)
    .join(" | ");
  switch (kind) {
    case "password":
      return new SocleError(
        `${what}: wrong password for repository ${repoUrl} (restic: no key matches it)`,
        EXIT.repository,
      );
    case "missing":
      return new SocleError(
        `${what}: no restic repository at ${repoUrl} (or it is unreachable): ${detail}`,
        EXIT.repository,
      );
    case "nospace":
      return new SocleError(`${what}: the repository ${repoUrl} is out of space: ${detail}`, EXIT.failed);
    case "locked":
      return new SocleError(
        `${what}: the repository ${repoUrl} is locked by another restic process: ${detail}`,
        EXIT.locked,
      );
    default:
      return new SocleError(`${what} failed: ${detail || "restic exited non-zero"}`, EXIT.failed);
  }
}

/**
 * The checks of `socle:target` that go beyond a value's shape (stacks/
 * config-target.ts): how the hosts are reached (a Docker engine with TLS or
 * SSH, an API endpoint and SSH keys without weak or leaked credentials), the
 * ACME contact, the sizes' maxima, the VM ids and the LAN's overlap with
 * Docker's networks. Pure.
 */
import { VMID_BASE, vmIdFor } from "../components/hosts/vm-ids.js";
import {
  MIN_RSA_BITS,
  dockerHostProblem,
  isCaddyEmail,
  isHttpsEndpoint,
  redactUrls,
  sshKeyProblem,
} from "../templates/checks.js";
import {
  DOCKER_HOST,
  EMAIL,
  HTTPS_URL,
  SSH_KEY,
  at,
  parseCidr,
  pred,
  show,
  type Cidr,
  type Reader,
} from "./config-checks.js";

/** Largest memory of a host (4 TiB, what Proxmox VE gives one VM at most), MiB. */
export const MAX_MEMORY_MB = 4 * 1024 * 1024;
/** Largest disk of a host, GiB (64 TiB). */
export const MAX_DISK_GB = 64 * 1024;

/**
 * Networks every Docker host already has: the LAN of the hosts must not
 * overlap them, or replies to the LAN would go into a container network.
 * The first is components/platform's `PLATFORM_DEFAULTS.addressBlock`, cut in
 * /24s for socle-web and each town's two networks (components/platform/network-plan.ts;
 * a test keeps them equal; the config reader loads no component with a provider).
 */
export const DOCKER_SUBNETS: readonly { cidr: string; what: string }[] = [
  {
    cidr: "172.30.0.0/16",
    what: "the address block of Socle's networks (socle-web and every town's socle-t-<town>-web/-back, on every host)",
  },
  { cidr: "172.17.0.0/16", what: "the subnet of docker0 (Docker's default bridge on every host)" },
];

const CERT_PATH = pred("an absolute path (a directory with ca.pem, cert.pem and key.pem)", (s) =>
  /^\/[^\s\p{Cc}]*$/u.test(s),
);

export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

export type DockerHostSettings = { dockerHost: string; dockerCertPath?: string };

/**
 * `dockerHost` and its TLS client certificates (`dockerCertPath`): the engine
 * is root on its host, so a `tcp://` engine is refused without TLS, and an
 * `ssh://` one with a password in it (shown redacted).
 */
export function readDockerHost(r: Reader, path: string, v: Record<string, unknown>): DockerHostSettings {
  const p = at(path, "dockerHost");
  const cp = at(path, "dockerCertPath");
  const dockerCertPath = r.optional(cp, v.dockerCertPath, CERT_PATH);
  const certs = dockerCertPath !== undefined ? { dockerCertPath } : {};
  const raw = v.dockerHost;
  const fallback = { dockerHost: DEFAULT_DOCKER_HOST, ...certs };
  if (raw === undefined || raw === null) {
    if (dockerCertPath !== undefined) r.add(cp, `${show(dockerCertPath)} needs a tcp:// ${p}`);
    return fallback;
  }
  if (typeof raw !== "string" || DOCKER_HOST.parse(raw) === undefined) {
    r.invalid(p, typeof raw === "string" ? redactUrls(raw) : raw, DOCKER_HOST.what);
    return fallback;
  }
  const problem = dockerHostProblem(raw, dockerCertPath !== undefined);
  if (problem === "plain-tcp") {
    r.add(
      p,
      `${show(raw)} needs TLS: set ${cp} (a directory with ca.pem, cert.pem and key.pem), or use ssh://user@host (a plain tcp:// engine gives root on its host to anyone who reaches it)`,
    );
  } else if (problem === "malformed") {
    r.invalid(
      p,
      redactUrls(raw),
      "a Docker engine address Socle uses (unix:///path, ssh://[user@]host[:port] without a password, or tcp://host:port with TLS)",
    );
  } else if (dockerCertPath !== undefined && !raw.startsWith("tcp://")) {
    r.add(cp, `${show(dockerCertPath)} needs a tcp:// ${p} (TLS certificates are for tcp:// engines only)`);
  }
  return { dockerHost: raw, ...certs };
}

/** The ACME contact: an e-mail address that Caddy reads as one literal token (templates/checks.ts). */
export function readAcmeEmail(r: Reader, path: string, v: unknown): string | undefined {
  const email = r.optional(path, v, EMAIL);
  if (email === undefined || isCaddyEmail(email)) return email;
  r.invalid(
    path,
    email,
    'an ACME contact Caddy can read (an email address without "{", "}" or a leading "#")',
  );
  return undefined;
}

/** The API endpoint: an https URL without credentials (shown redacted when it holds some). */
export function readEndpoint(r: Reader, path: string, v: unknown): string | undefined {
  if (typeof v !== "string" || isHttpsEndpoint(v)) return r.required(path, v, HTTPS_URL);
  const u = (() => {
    try {
      return new URL(v);
    } catch {
      return undefined;
    }
  })();
  if (u && (u.username !== "" || u.password !== "")) {
    r.add(
      path,
      `${show(redactUrls(v))} holds a user or password: the API is reached with the secret socle:proxmoxApiToken, never with credentials in the URL`,
    );
    return undefined;
  }
  return r.required(path, v, HTTPS_URL);
}

/** The template is not one of the VMs Socle clones from it (hosts take `VMID_BASE + index`). */
export function checkTemplateVmId(r: Reader, path: string, templateVmId: number, hostCount: number): void {
  const index = templateVmId - VMID_BASE;
  if (index >= 0 && index < hostCount && vmIdFor(index) === templateVmId) {
    r.add(
      at(path, "templateVmId"),
      `${templateVmId} is already used by ${path}.hosts[${index}] (the hosts' VMs take ${VMID_BASE}, ${VMID_BASE + 1}, … in order)`,
    );
  }
}

/** The LAN of the hosts must not overlap a network every Docker host has. */
export function checkDockerOverlap(r: Reader, path: string, cidr: Cidr): void {
  for (const { cidr: text, what } of DOCKER_SUBNETS) {
    const other = parseCidr(text)!;
    if (cidr.network < other.network + other.size && other.network < cidr.network + cidr.size) {
      r.add(path, `${show(cidr.text)} overlaps ${text}, ${what}`);
    }
  }
}

/** A key line (SSH_KEY), and an RSA key of at least 3072 bits. */
export function readSshKey(r: Reader, path: string, v: unknown): string | undefined {
  const key = r.value(path, v, SSH_KEY);
  if (key === undefined) return undefined;
  const problem = sshKeyProblem(key);
  if (problem === undefined || problem === "malformed") return key;
  r.invalid(
    path,
    key,
    `an RSA key of at least ${MIN_RSA_BITS} bits (this one has ${problem.rsaBits}; ssh-ed25519 keys are shorter and stronger)`,
  );
  return undefined;
}

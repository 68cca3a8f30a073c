// Socle as a library: `import { Nextcloud, ProxmoxDockerHost } from "socle"`.
// Importing creates no resource.
export * from "./components/labels.js";
export * from "./components/versions.js";
export * from "./components/container.js";
export type { DockerHost } from "./components/hosts/docker-host.js";
export { LocalDockerHost } from "./components/hosts/local-docker-host.js";

/**
 * Socle as a library, for another Pulumi program:
 *
 *   import { LocalDockerHost, Platform, Keycloak, KeycloakRealm, Nextcloud, ReverseProxy } from "socle";
 *
 * Importing creates no resource. The components' contracts are in their doc
 * comments and in docs/components/; the program in stacks/ shows them wired.
 */
export * from "./components/labels.js";
export * from "./components/versions.js";
export * from "./components/container.js";

export type { DockerHost } from "./components/hosts/docker-host.js";
export { LocalDockerHost, type LocalDockerHostArgs } from "./components/hosts/local-docker-host.js";
export { ProxmoxDockerHost, type ProxmoxDockerHostArgs } from "./components/hosts/proxmox-docker-host.js";
export {
  haGroup,
  hostAddress,
  proxmoxProvider,
  spreadHosts,
  vmIdFor,
} from "./components/hosts/proxmox-provider.js";

export * from "./components/platform/index.js";

export { Keycloak, type KeycloakArgs } from "./components/apps/keycloak.js";
export { KeycloakRealm, type KeycloakRealmArgs } from "./components/apps/keycloak-realm.js";
export { KeycloakOperators, type KeycloakOperatorsArgs } from "./components/apps/keycloak-operators.js";
export { OidcClient, type OidcClientArgs } from "./components/apps/oidc-client.js";
export { Nextcloud, type NextcloudArgs } from "./components/apps/nextcloud.js";
export { Collabora, type CollaboraArgs } from "./components/apps/collabora.js";
export { Sogo, type SogoArgs } from "./components/apps/sogo.js";
export { SogoDirectory } from "./components/apps/sogo-directory.js";
export { Mail, type MailArgs } from "./components/apps/mail.js";
export { PeerTube, type PeerTubeArgs } from "./components/apps/peertube.js";
export { PeerTubeChannel, type PeerTubeChannelArgs } from "./components/apps/peertube-channel.js";
export { WordPressSite, type WordPressSiteArgs } from "./components/apps/wordpress-site.js";

import * as keycloak from "@pulumi/keycloak";
import * as pulumi from "@pulumi/pulumi";
import { generatedPassword } from "../platform/password.js";
import type { KeycloakRealm } from "./keycloak-realm.js";

export interface OidcClientArgs {
  realm: KeycloakRealm;
  /** The client id the app presents (e.g. `nextcloud`). */
  clientId: string;
  /** The app's base URL (`https://cloud.…`). */
  rootUrl: string;
  /** Exact redirect URIs (no wildcard). */
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /**
   * Client roles, granted to the realm's `admins` group when `admins` is true.
   * With `groupsClaim: "clientRoles"` the `groups` claim carries these roles
   * instead of the user's groups (Nextcloud: role `admin` = its admin group).
   */
  roles?: { name: string; admins: boolean }[];
  /** What the `groups` claim carries: group membership (default) or this client's roles. */
  groupsClaim?: "membership" | "clientRoles";
}

export const OIDC_DEFAULTS = {
  secretLength: 32,
  groupsClaim: "groups",
} as const;

const CLIENT_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Pure validation; exact messages. */
export function validateOidcClientArgs(args: Omit<OidcClientArgs, "realm">): void {
  const who = `OidcClient ${args.clientId}`;
  if (!CLIENT_ID.test(args.clientId)) {
    throw new Error(`OidcClient: clientId "${args.clientId}" must match [a-z0-9][a-z0-9._-]{0,62}`);
  }
  if (!/^https:\/\/[^/\s*]+$/.test(args.rootUrl)) {
    throw new Error(`${who}: rootUrl "${args.rootUrl}" must be https://<host> without a path`);
  }
  if (args.redirectUris.length === 0) {
    throw new Error(`${who}: at least one redirect URI is required`);
  }
  for (const role of args.roles ?? []) {
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(role.name)) {
      throw new Error(`${who}: role "${role.name}" must match [a-z][a-z0-9_-]{0,62}`);
    }
  }
  if (args.groupsClaim === "clientRoles" && (args.roles ?? []).length === 0) {
    throw new Error(`${who}: groupsClaim "clientRoles" needs at least one role`);
  }
  for (const uri of [...args.redirectUris, ...(args.postLogoutRedirectUris ?? [])]) {
    if (uri.includes("*")) throw new Error(`${who}: redirect URI "${uri}" must be exact (no wildcard)`);
    if (!uri.startsWith(`${args.rootUrl}/`) && uri !== args.rootUrl) {
      throw new Error(`${who}: redirect URI "${uri}" is not under ${args.rootUrl}`);
    }
  }
}

/**
 * A confidential client of `realm`, shared by `OidcClient` (login flow) and
 * `SogoDirectory` (service account): a generated secret (`${name}-secret`,
 * RandomPassword, returned as a secret output) and `${name}-client`, with the
 * implicit flow and direct access grants off and exactly one of the standard
 * (authorization code) flow or a service account on.
 */
export function confidentialClient(
  name: string,
  args: {
    realm: KeycloakRealm;
    clientId: string;
    secretLength: number;
    flow: "standard" | "serviceAccount";
    /** The login flow's URLs (`rootUrl`, redirect URIs, web origins). */
    urls?: Pick<
      keycloak.openid.ClientArgs,
      "rootUrl" | "baseUrl" | "validRedirectUris" | "validPostLogoutRedirectUris" | "webOrigins"
    >;
  },
  parent: pulumi.Resource,
): { client: keycloak.openid.Client; secret: pulumi.Output<string> } {
  const secret = generatedPassword(`${name}-secret`, parent, args.secretLength);
  const client = new keycloak.openid.Client(
    `${name}-client`,
    {
      realmId: args.realm.realmId,
      clientId: args.clientId,
      name: args.clientId,
      enabled: true,
      accessType: "CONFIDENTIAL",
      clientSecret: secret,
      standardFlowEnabled: args.flow === "standard",
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: args.flow === "serviceAccount",
      ...args.urls,
    },
    { parent, provider: args.realm.provider, dependsOn: args.realm.dependsOn },
  );
  return { client, secret };
}

/**
 * OidcClient — one confidential OpenID Connect client per app instance, in
 * its tenant's realm: standard (authorization code) flow only, exact redirect
 * URIs, a generated secret (RandomPassword, so Pulumi knows it as a secret and
 * the app gets the same value), and a `groups` claim (group membership,
 * short names) in the ID token, access token and userinfo.
 *
 * Type token `socle:apps:OidcClient`; children `${name}-secret`
 * (RandomPassword), `${name}-client` (keycloak.openid.Client), `${name}-groups`
 * (keycloak.openid.GroupMembershipProtocolMapper).
 */
export class OidcClient extends pulumi.ComponentResource {
  readonly clientId: string;
  readonly clientSecret: pulumi.Output<string>;
  readonly issuerUrl: string;
  readonly discoveryUrl: string;

  constructor(name: string, args: OidcClientArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOidcClientArgs(args);
    super("socle:apps:OidcClient", name, {}, opts);
    this.clientId = args.clientId;
    this.issuerUrl = args.realm.issuerUrl;
    this.discoveryUrl = args.realm.discoveryUrl;

    const { client, secret } = confidentialClient(
      name,
      {
        realm: args.realm,
        clientId: args.clientId,
        secretLength: OIDC_DEFAULTS.secretLength,
        flow: "standard",
        urls: {
          rootUrl: args.rootUrl,
          baseUrl: args.rootUrl,
          validRedirectUris: [...args.redirectUris],
          validPostLogoutRedirectUris: [...(args.postLogoutRedirectUris ?? [])],
          webOrigins: [args.rootUrl],
        },
      },
      this,
    );
    this.clientSecret = secret;
    const kcOpts = { parent: this, provider: args.realm.provider, dependsOn: args.realm.dependsOn };
    for (const role of args.roles ?? []) {
      const r = new keycloak.Role(
        `${name}-role-${role.name}`,
        { realmId: args.realm.realmId, clientId: client.id, name: role.name },
        kcOpts,
      );
      if (role.admins) {
        new keycloak.GroupRoles(
          `${name}-role-${role.name}-admins`,
          {
            realmId: args.realm.realmId,
            groupId: args.realm.adminsGroupId,
            roleIds: [r.id],
            exhaustive: false,
          },
          kcOpts,
        );
      }
    }
    if (args.groupsClaim === "clientRoles") {
      new keycloak.openid.UserClientRoleProtocolMapper(
        `${name}-groups`,
        {
          realmId: args.realm.realmId,
          clientId: client.id,
          name: OIDC_DEFAULTS.groupsClaim,
          claimName: OIDC_DEFAULTS.groupsClaim,
          clientIdForRoleMappings: args.clientId,
          multivalued: true,
          addToIdToken: true,
          addToAccessToken: true,
          addToUserinfo: true,
        },
        kcOpts,
      );
    } else {
      new keycloak.openid.GroupMembershipProtocolMapper(
        `${name}-groups`,
        {
          realmId: args.realm.realmId,
          clientId: client.id,
          name: OIDC_DEFAULTS.groupsClaim,
          claimName: OIDC_DEFAULTS.groupsClaim,
          fullPath: false,
          addToIdToken: true,
          addToAccessToken: true,
          addToUserinfo: true,
        },
        kcOpts,
      );
    }

    this.registerOutputs({ clientId: this.clientId, clientSecret: this.clientSecret });
  }
}

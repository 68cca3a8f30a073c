/**
 * Delegated administration: a town's `admins` group manages the town's users in
 * its own realm only and administers its Nextcloud; the operators hold the
 * master realm's admin role; each client lives in its own town's realm.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, settle, type Recorder } from "./mocks.js";
import { LocalDockerHost } from "../../components/hosts/local-docker-host.js";
import { Platform } from "../../components/platform/platform.js";
import { Keycloak } from "../../components/apps/keycloak.js";
import { KeycloakRealm } from "../../components/apps/keycloak-realm.js";
import { KeycloakOperators } from "../../components/apps/keycloak-operators.js";
import { Nextcloud } from "../../components/apps/nextcloud.js";
import { OidcClient } from "../../components/apps/oidc-client.js";

let rec: Recorder;
beforeAll(async () => {
  rec = await installMocks();
  const host = new LocalDockerHost("local");
  const platform = new Platform("p", { host });
  const kc = new Keycloak("kc", { platform, domain: "sso.epci.fr" });
  new KeycloakOperators("ops", { keycloak: kc });
  for (const town of ["alpha", "beta"]) {
    const realm = new KeycloakRealm(`${town}-realm`, { keycloak: kc, realm: town, displayName: town });
    new Nextcloud(`${town}-nc`, { tenant: town, domain: `cloud.${town}.fr`, platform, realm, office: false });
  }
  await settle();
});

const GROUP_ROLES = "keycloak:index/groupRoles:GroupRoles";

describe("delegated administration", () => {
  it("lets each town's admins manage users in their own realm only", () => {
    for (const town of ["alpha", "beta"]) {
      const gr = rec.get(GROUP_ROLES, `${town}-realm-admins-roles`).inputs;
      expect(gr.realmId).toBe(`${town}-realm-realm-id`);
      expect(gr.groupId).toBe(`${town}-realm-admins-id`);
      expect(gr.exhaustive).toBe(true);
      const roles = gr.roleIds as string[];
      expect(roles).toHaveLength(4);
      for (const [i, role] of ["manage-users", "query-groups", "query-users", "view-users"].entries()) {
        expect(roles[i]).toContain(`"name":"${role}"`);
        expect(roles[i]).toContain(`"realmId":"${town}-realm-realm-id"`);
      }
    }
  });

  it("makes the town's admins Nextcloud admins through the client role in the groups claim", () => {
    for (const town of ["alpha", "beta"]) {
      const role = rec.get("keycloak:index/role:Role", `${town}-nc-oidc-role-admin`).inputs;
      expect(role).toEqual({
        realmId: `${town}-realm-realm-id`,
        clientId: `${town}-nc-oidc-client-id`,
        name: "admin",
      });
      expect(rec.get(GROUP_ROLES, `${town}-nc-oidc-role-admin-admins`).inputs).toEqual({
        realmId: `${town}-realm-realm-id`,
        groupId: `${town}-realm-admins-id`,
        roleIds: [`${town}-nc-oidc-role-admin-id`],
        exhaustive: false,
      });
      expect(
        rec.get(
          "keycloak:openid/userClientRoleProtocolMapper:UserClientRoleProtocolMapper",
          `${town}-nc-oidc-groups`,
        ).inputs,
      ).toMatchObject({
        realmId: `${town}-realm-realm-id`,
        clientId: `${town}-nc-oidc-client-id`,
        claimName: "groups",
        clientIdForRoleMappings: "nextcloud",
        multivalued: true,
        addToIdToken: true,
        addToUserinfo: true,
      });
    }
  });

  it("gives the operators the master realm's admin role, in a group of the master realm", () => {
    expect(rec.get("keycloak:index/group:Group", "ops-group").inputs).toEqual({
      realmId: "master",
      name: "operators",
    });
    const gr = rec.get(GROUP_ROLES, "ops-roles").inputs;
    expect(gr.realmId).toBe("master");
    expect(gr.groupId).toBe("ops-group-id");
    expect(gr.roleIds as string[]).toHaveLength(1);
    expect((gr.roleIds as string[])[0]).toContain('"name":"admin","realmId":"master"');
  });

  it("keeps every client and group in its own town's realm", () => {
    for (const type of ["keycloak:openid/client:Client", "keycloak:index/role:Role", GROUP_ROLES]) {
      for (const r of rec.byType(type)) {
        const town = r.name.split("-")[0]!;
        if (town === "ops") continue;
        expect(r.inputs.realmId, r.name).toBe(`${town}-realm-realm-id`);
      }
    }
  });

  it("refuses a clientRoles groups claim without roles, and malformed role names", () => {
    const realm = { issuerUrl: "x", discoveryUrl: "y" } as unknown as KeycloakRealm;
    const base = { realm, clientId: "app", rootUrl: "https://a.fr", redirectUris: ["https://a.fr/cb"] };
    expect(() => new OidcClient("bad1", { ...base, groupsClaim: "clientRoles" })).toThrow(
      'OidcClient app: groupsClaim "clientRoles" needs at least one role',
    );
    expect(() => new OidcClient("bad2", { ...base, roles: [{ name: "Admin!", admins: true }] })).toThrow(
      'OidcClient app: role "Admin!" must match [a-z][a-z0-9_-]{0,62}',
    );
  });
});

package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// clientFlags are the openid Client's boolean inputs, named as in the
// ClientRepresentation.
var clientFlags = []string{"enabled", "standardFlowEnabled", "implicitFlowEnabled",
	"directAccessGrantsEnabled", "serviceAccountsEnabled"}

// clientKind is keycloak:openid/client:Client; its id is the client's UUID.
func clientKind() kind {
	return kind{
		inputs: props{
			"realmId": nil, "clientId": nil, "name": nil, "description": nil, "enabled": true,
			"accessType": nil, "clientSecret": nil, "standardFlowEnabled": false,
			"implicitFlowEnabled": false, "directAccessGrantsEnabled": false, "serviceAccountsEnabled": false,
			"rootUrl": nil, "baseUrl": nil, "validRedirectUris": nil, "validPostLogoutRedirectUris": nil,
			"webOrigins": nil,
		},
		required: []string{"realmId", "clientId", "accessType"},
		replaces: []string{"realmId"},
		computed: []string{"serviceAccountUserId"},
		create: func(ctx context.Context, api *adminAPI, in props) (string, props, error) {
			if err := checkAccessType(in); err != nil {
				return "", nil, err
			}
			id, err := api.call(ctx, "POST", "/"+seg(str(in, "realmId"))+"/clients", clientRep(in), nil)
			if err != nil {
				return "", nil, err
			}
			out, err := clientOutputs(ctx, api, id, in)
			return id, out, err
		},
		read: func(ctx context.Context, api *adminAPI, id string, state props) (props, error) {
			var got map[string]any
			if _, err := api.call(ctx, "GET", "/"+seg(str(state, "realmId"))+"/clients/"+seg(id), nil, &got); err != nil {
				return nil, err
			}
			return clientFromRep(got, state), nil
		},
		update: func(ctx context.Context, api *adminAPI, id string, _, news props) (props, error) {
			if err := checkAccessType(news); err != nil {
				return nil, err
			}
			rep := clientRep(news)
			rep["id"] = id
			if _, err := api.call(ctx, "PUT", "/"+seg(str(news, "realmId"))+"/clients/"+seg(id), rep, nil); err != nil {
				return nil, err
			}
			return clientOutputs(ctx, api, id, news)
		},
		delete: func(ctx context.Context, api *adminAPI, id string, state props) error {
			_, err := api.call(ctx, "DELETE", "/"+seg(str(state, "realmId"))+"/clients/"+seg(id), nil, nil)
			return ignoreGone(err)
		},
	}
}

func checkAccessType(in props) error {
	switch str(in, "accessType") {
	case "CONFIDENTIAL", "PUBLIC", "BEARER-ONLY":
		return nil
	}
	return fmt.Errorf("accessType %q is not CONFIDENTIAL, PUBLIC or BEARER-ONLY", str(in, "accessType"))
}

// clientRep is the ClientRepresentation of the inputs.
func clientRep(in props) map[string]any {
	access := str(in, "accessType")
	rep := map[string]any{
		"clientId": str(in, "clientId"), "name": str(in, "name"), "description": str(in, "description"),
		"protocol": "openid-connect", "publicClient": access == "PUBLIC", "bearerOnly": access == "BEARER-ONLY",
		"clientAuthenticatorType": "client-secret",
		"rootUrl":                 str(in, "rootUrl"), "baseUrl": str(in, "baseUrl"),
		"redirectUris": anyList(strs(in, "validRedirectUris")), "webOrigins": anyList(strs(in, "webOrigins")),
		"attributes": map[string]any{
			"post.logout.redirect.uris": strings.Join(strs(in, "validPostLogoutRedirectUris"), "##"),
		},
	}
	for _, k := range clientFlags {
		rep[k] = boolean(in, k)
	}
	if secret := str(in, "clientSecret"); secret != "" && access == "CONFIDENTIAL" {
		rep["secret"] = secret
	}
	return rep
}

// clientOutputs: the inputs plus what Keycloak assigned (the service
// account's user, the secret it generated when none was given).
func clientOutputs(ctx context.Context, api *adminAPI, id string, in props) (props, error) {
	out := merge(in, props{"serviceAccountUserId": ""})
	base := "/" + seg(str(in, "realmId")) + "/clients/" + seg(id)
	if boolean(in, "serviceAccountsEnabled") {
		var user map[string]any
		if _, err := api.call(ctx, "GET", base+"/service-account-user", nil, &user); err != nil {
			return nil, err
		}
		out["serviceAccountUserId"] = str(user, "id")
	}
	if str(in, "clientSecret") == "" && str(in, "accessType") == "CONFIDENTIAL" {
		var secret map[string]any
		if _, err := api.call(ctx, "GET", base+"/client-secret", nil, &secret); err != nil {
			return nil, err
		}
		out["clientSecret"] = str(secret, "value")
	}
	return out, nil
}

// clientFromRep maps a ClientRepresentation back onto the tracked properties.
func clientFromRep(got map[string]any, state props) props {
	out := merge(state, props{"clientId": got["clientId"]})
	for _, k := range append([]string{"name", "description", "rootUrl", "baseUrl"}, clientFlags...) {
		if _, tracked := state[k]; tracked {
			out[k] = got[k]
		}
	}
	switch {
	case got["bearerOnly"] == true:
		out["accessType"] = "BEARER-ONLY"
	case got["publicClient"] == true:
		out["accessType"] = "PUBLIC"
	default:
		out["accessType"] = "CONFIDENTIAL"
	}
	if _, tracked := state["clientSecret"]; tracked && got["secret"] != nil {
		out["clientSecret"] = got["secret"]
	}
	if _, tracked := state["validRedirectUris"]; tracked {
		out["validRedirectUris"] = got["redirectUris"]
	}
	if _, tracked := state["webOrigins"]; tracked {
		out["webOrigins"] = got["webOrigins"]
	}
	if _, tracked := state["validPostLogoutRedirectUris"]; tracked {
		attrs, _ := got["attributes"].(map[string]any)
		var uris []string
		if s := str(attrs, "post.logout.redirect.uris"); s != "" {
			uris = strings.Split(s, "##")
		}
		out["validPostLogoutRedirectUris"] = anyList(uris)
	}
	return out
}

// getClient is keycloak:openid/getClient:getClient: a client by its clientId.
func getClient(ctx context.Context, api *adminAPI, args props) (props, error) {
	var found []map[string]any
	p := "/" + seg(str(args, "realmId")) + "/clients?clientId=" + url.QueryEscape(str(args, "clientId"))
	if _, err := api.call(ctx, "GET", p, nil, &found); err != nil {
		return nil, err
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("client %q of realm %q: %d found", str(args, "clientId"), str(args, "realmId"), len(found))
	}
	c := found[0]
	return props{
		"id": c["id"], "realmId": str(args, "realmId"), "clientId": c["clientId"], "name": str(c, "name"),
		"enabled": c["enabled"], "rootUrl": str(c, "rootUrl"), "baseUrl": str(c, "baseUrl"),
		"serviceAccountsEnabled": c["serviceAccountsEnabled"],
	}, nil
}

// clientServiceAccountRoleKind is
// keycloak:openid/clientServiceAccountRole:ClientServiceAccountRole: one role
// of a client (clientId: that client's UUID) granted to a service account.
// Its id is `<serviceAccountUserId>/<roleId>`.
func clientServiceAccountRoleKind() kind {
	return kind{
		inputs:   props{"realmId": nil, "serviceAccountUserId": nil, "clientId": nil, "role": nil},
		required: []string{"realmId", "serviceAccountUserId", "clientId", "role"},
		replaces: []string{"realmId", "serviceAccountUserId", "clientId", "role"},
		create: func(ctx context.Context, api *adminAPI, in props) (string, props, error) {
			rep, err := serviceAccountRole(ctx, api, in)
			if err != nil {
				return "", nil, err
			}
			if _, err := api.call(ctx, "POST", serviceAccountRolesPath(in), []any{rep}, nil); err != nil {
				return "", nil, err
			}
			return str(in, "serviceAccountUserId") + "/" + str(rep, "id"), in, nil
		},
		read: func(ctx context.Context, api *adminAPI, id string, state props) (props, error) {
			var held []map[string]any
			if _, err := api.call(ctx, "GET", serviceAccountRolesPath(state), nil, &held); err != nil {
				return nil, err
			}
			for _, r := range held {
				if str(r, "name") == str(state, "role") {
					return state, nil
				}
			}
			return nil, fmt.Errorf("service account role %s: %w", id, errNotFound)
		},
		delete: func(ctx context.Context, api *adminAPI, _ string, state props) error {
			rep, err := serviceAccountRole(ctx, api, state)
			if err != nil {
				return ignoreGone(err)
			}
			_, err = api.call(ctx, "DELETE", serviceAccountRolesPath(state), []any{rep}, nil)
			return ignoreGone(err)
		},
	}
}

func serviceAccountRole(ctx context.Context, api *adminAPI, in props) (map[string]any, error) {
	var rep map[string]any
	p := rolesPath(str(in, "realmId"), str(in, "clientId")) + "/" + seg(str(in, "role"))
	_, err := api.call(ctx, "GET", p, nil, &rep)
	return rep, err
}

func serviceAccountRolesPath(in props) string {
	return "/" + seg(str(in, "realmId")) + "/users/" + seg(str(in, "serviceAccountUserId")) +
		"/role-mappings/clients/" + seg(str(in, "clientId"))
}

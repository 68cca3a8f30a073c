package main

import (
	"context"
	"strconv"
)

// mapper describes one openid protocol mapper type: Keycloak's mapper id
// and how its inputs become the mapper's config.
type mapper struct {
	protocolMapper string
	inputs         props
	required       []string
	config         func(in props) map[string]any
}

var claimFlags = map[string]string{
	"addToIdToken": "id.token.claim", "addToAccessToken": "access.token.claim", "addToUserinfo": "userinfo.token.claim",
}

func claimConfig(in props, extra map[string]any) map[string]any {
	cfg := map[string]any{"claim.name": str(in, "claimName")}
	for input, key := range claimFlags {
		cfg[key] = strconv.FormatBool(boolean(in, input))
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

// groupMembershipMapper: keycloak:openid/groupMembershipProtocolMapper (the groups claim).
var groupMembershipMapper = mapper{
	protocolMapper: "oidc-group-membership-mapper",
	inputs: props{"realmId": nil, "clientId": nil, "clientScopeId": nil, "name": nil, "claimName": nil,
		"fullPath": true, "addToIdToken": true, "addToAccessToken": true, "addToUserinfo": true},
	required: []string{"realmId", "name", "claimName"},
	config: func(in props) map[string]any {
		return claimConfig(in, map[string]any{"full.path": strconv.FormatBool(boolean(in, "fullPath"))})
	},
}

// userClientRoleMapper: keycloak:openid/userClientRoleProtocolMapper (a client's roles as a claim).
var userClientRoleMapper = mapper{
	protocolMapper: "oidc-usermodel-client-role-mapper",
	inputs: props{"realmId": nil, "clientId": nil, "clientScopeId": nil, "name": nil, "claimName": nil,
		"clientIdForRoleMappings": nil, "clientRolePrefix": nil, "multivalued": false, "claimValueType": "String",
		"addToIdToken": true, "addToAccessToken": true, "addToUserinfo": true},
	required: []string{"realmId", "name", "claimName"},
	config: func(in props) map[string]any {
		return claimConfig(in, map[string]any{
			"usermodel.clientRoleMapping.clientId":   str(in, "clientIdForRoleMappings"),
			"usermodel.clientRoleMapping.rolePrefix": str(in, "clientRolePrefix"),
			"multivalued":                            strconv.FormatBool(boolean(in, "multivalued")),
			"jsonType.label":                         str(in, "claimValueType"),
		})
	},
}

// mappersPath: the protocol mappers of a client (clientId: its UUID) or of a client scope.
func mappersPath(in props) string {
	owner := "/clients/" + seg(str(in, "clientId"))
	if scope := str(in, "clientScopeId"); scope != "" {
		owner = "/client-scopes/" + seg(scope)
	}
	return "/" + seg(str(in, "realmId")) + owner + "/protocol-mappers/models"
}

func (m mapper) rep(in props) map[string]any {
	return map[string]any{
		"name": str(in, "name"), "protocol": "openid-connect", "protocolMapper": m.protocolMapper,
		"config": m.config(in),
	}
}

// kind: a protocol mapper resource; its id is the mapper's UUID.
func (m mapper) kind() kind {
	return kind{
		inputs:   m.inputs,
		required: m.required,
		replaces: []string{"realmId", "clientId", "clientScopeId"},
		create: func(ctx context.Context, api *adminAPI, in props) (string, props, error) {
			id, err := api.call(ctx, "POST", mappersPath(in), m.rep(in), nil)
			return id, in, err
		},
		read: func(ctx context.Context, api *adminAPI, id string, state props) (props, error) {
			var got map[string]any
			if _, err := api.call(ctx, "GET", mappersPath(state)+"/"+seg(id), nil, &got); err != nil {
				return nil, err
			}
			out := merge(state, props{"name": got["name"]})
			cfg, _ := got["config"].(map[string]any)
			want := m.config(state)
			for input, key := range claimFlags {
				if want[key] != cfg[key] {
					out[input] = cfg[key] == "true"
				}
			}
			if want["claim.name"] != cfg["claim.name"] {
				out["claimName"] = cfg["claim.name"]
			}
			return out, nil
		},
		update: func(ctx context.Context, api *adminAPI, id string, _, news props) (props, error) {
			rep := m.rep(news)
			rep["id"] = id
			_, err := api.call(ctx, "PUT", mappersPath(news)+"/"+seg(id), rep, nil)
			return news, err
		},
		delete: func(ctx context.Context, api *adminAPI, id string, state props) error {
			_, err := api.call(ctx, "DELETE", mappersPath(state)+"/"+seg(id), nil, nil)
			return ignoreGone(err)
		},
	}
}

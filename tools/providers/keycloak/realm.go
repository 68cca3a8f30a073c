package main

import (
	"context"
	"errors"
)

// realmKind is keycloak:index/realm:Realm; its id is the realm's name.
func realmKind() kind {
	return kind{
		inputs: props{
			"realm": nil, "displayName": nil, "enabled": true, "sslRequired": "external",
			"loginWithEmailAllowed": nil, "duplicateEmailsAllowed": nil, "resetPasswordAllowed": nil,
			"registrationAllowed": nil, "internationalization": nil,
		},
		required: []string{"realm"},
		replaces: []string{"realm"},
		computed: []string{"internalId"},
		create: func(ctx context.Context, api *adminAPI, in props) (string, props, error) {
			if _, err := api.call(ctx, "POST", "", realmRep(in), nil); err != nil {
				return "", nil, err
			}
			var got map[string]any
			if _, err := api.call(ctx, "GET", "/"+seg(str(in, "realm")), nil, &got); err != nil {
				return "", nil, err
			}
			return str(in, "realm"), merge(in, props{"internalId": got["id"]}), nil
		},
		read: func(ctx context.Context, api *adminAPI, id string, state props) (props, error) {
			var got map[string]any
			if _, err := api.call(ctx, "GET", "/"+seg(id), nil, &got); err != nil {
				return nil, err
			}
			out := props{"realm": got["realm"], "internalId": got["id"]}
			for _, k := range []string{"displayName", "enabled", "sslRequired", "loginWithEmailAllowed",
				"duplicateEmailsAllowed", "resetPasswordAllowed", "registrationAllowed"} {
				if _, tracked := state[k]; tracked {
					out[k] = got[k]
				}
			}
			if _, tracked := state["internationalization"]; tracked && got["internationalizationEnabled"] == true {
				out["internationalization"] = props{
					"supportedLocales": got["supportedLocales"], "defaultLocale": got["defaultLocale"],
				}
			}
			return out, nil
		},
		update: func(ctx context.Context, api *adminAPI, id string, olds, news props) (props, error) {
			if _, err := api.call(ctx, "PUT", "/"+seg(id), realmRep(news), nil); err != nil {
				return nil, err
			}
			return merge(news, props{"internalId": olds["internalId"]}), nil
		},
		delete: func(ctx context.Context, api *adminAPI, id string, _ props) error {
			_, err := api.call(ctx, "DELETE", "/"+seg(id), nil, nil)
			if errors.Is(err, errNotFound) {
				return nil
			}
			return err
		},
	}
}

// realmRep is the RealmRepresentation of the inputs.
func realmRep(in props) map[string]any {
	rep := map[string]any{"realm": str(in, "realm")}
	for _, k := range []string{"displayName", "sslRequired"} {
		if _, set := in[k]; set {
			rep[k] = str(in, k)
		}
	}
	for _, k := range []string{"enabled", "loginWithEmailAllowed", "duplicateEmailsAllowed",
		"resetPasswordAllowed", "registrationAllowed"} {
		if _, set := in[k]; set {
			rep[k] = boolean(in, k)
		}
	}
	if i18n, ok := in["internationalization"].(map[string]any); ok {
		rep["internationalizationEnabled"] = true
		rep["supportedLocales"] = anyList(strs(i18n, "supportedLocales"))
		rep["defaultLocale"] = str(i18n, "defaultLocale")
	}
	return rep
}

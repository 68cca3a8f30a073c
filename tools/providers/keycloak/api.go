package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

// dialLoopbackNames dials `localhost` and every `*.localhost` name on
// 127.0.0.1 (RFC 6761 §6.3: they are the loopback, which Go's resolver does
// not know): the embedded default serves Keycloak on sso.<town>.localhost.
func dialLoopbackNames(ctx context.Context, network, addr string) (net.Conn, error) {
	if host, port, err := net.SplitHostPort(addr); err == nil &&
		(host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext(ctx, network, addr)
}

// errNotFound is what the admin API's 404 becomes: the object is gone.
var errNotFound = errors.New("not found")

// adminAPI is a client of Keycloak's admin REST API (/admin/realms/...),
// logged in through the OpenID Connect token endpoint of `realm` with the
// password grant (username/password) or client credentials (clientSecret).
type adminAPI struct {
	base, realm, clientID, clientSecret, username, password string
	// patience: how long transient failures (connection refused, 502/503/504:
	// Keycloak or the proxy still starting) are retried before giving up.
	patience time.Duration
	http     *http.Client

	mu    sync.Mutex
	token string
}

type apiConfig struct {
	url, realm, clientID, clientSecret, username, password, rootCA string
	insecure                                                       bool
	timeout                                                        time.Duration
}

func newAdminAPI(c apiConfig) (*adminAPI, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = dialLoopbackNames
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: c.insecure} //nolint:gosec // the user's explicit choice (*.localhost)
	if c.rootCA != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(c.rootCA)) {
			return nil, fmt.Errorf("rootCaCertificate holds no PEM certificate")
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("url %q is not an http(s) URL", c.url)
	}
	return &adminAPI{
		base: strings.TrimRight(c.url, "/"), realm: c.realm, clientID: c.clientID,
		clientSecret: c.clientSecret, username: c.username, password: c.password,
		patience: c.timeout, http: &http.Client{Transport: tr, Timeout: c.timeout},
	}, nil
}

// login gets an access token from the token endpoint.
func (a *adminAPI) login(ctx context.Context) error {
	form := url.Values{"client_id": {a.clientID}}
	if a.clientSecret != "" {
		form.Set("client_secret", a.clientSecret)
	}
	if a.username != "" {
		form.Set("grant_type", "password")
		form.Set("username", a.username)
		form.Set("password", a.password)
	} else {
		form.Set("grant_type", "client_credentials")
	}
	endpoint := fmt.Sprintf("%s/realms/%s/protocol/openid-connect/token", a.base, url.PathEscape(a.realm))
	resp, body, err := a.send(ctx, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return req, err
	})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("login to %s as %q refused: HTTP %d %s", endpoint, a.username, resp.StatusCode, snippet(body))
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return fmt.Errorf("login to %s: no access_token in the answer", endpoint)
	}
	a.mu.Lock()
	a.token = tok.AccessToken
	a.mu.Unlock()
	return nil
}

// send runs one request, retrying transient failures for `patience`.
func (a *adminAPI) send(ctx context.Context, mk func() (*http.Request, error)) (*http.Response, []byte, error) {
	deadline := time.Now().Add(a.patience)
	for wait := 250 * time.Millisecond; ; wait = min(wait*2, 5*time.Second) {
		req, err := mk()
		if err != nil {
			return nil, nil, err
		}
		resp, err := a.http.Do(req)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		transient := err != nil || resp.StatusCode == 502 || resp.StatusCode == 503 || resp.StatusCode == 504
		if !transient {
			return resp, body, nil
		}
		if time.Now().Add(wait).After(deadline) {
			if err == nil {
				err = fmt.Errorf("HTTP %d %s", resp.StatusCode, snippet(body))
			}
			return nil, nil, fmt.Errorf("Keycloak at %s is unreachable (retried for %s): %w", a.base, a.patience, err)
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// call sends a JSON request to /admin/realms/<p> and decodes the JSON answer
// into out (when not nil). It returns the Location header's last segment (the
// id of what a POST created). 404 is errNotFound; 401 triggers one new login.
func (a *adminAPI) call(ctx context.Context, method, p string, in, out any) (string, error) {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return "", err
		}
	}
	full := a.base + "/admin/realms" + p
	for attempt := 0; ; attempt++ {
		a.mu.Lock()
		token := a.token
		a.mu.Unlock()
		if token == "" {
			if err := a.login(ctx); err != nil {
				return "", err
			}
			continue
		}
		resp, body, err := a.send(ctx, func() (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, method, full, bytes.NewReader(payload))
			if err == nil {
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json")
			}
			return req, err
		})
		if err != nil {
			return "", err
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized && attempt == 0:
			a.mu.Lock()
			a.token = ""
			a.mu.Unlock()
			continue
		case resp.StatusCode == http.StatusNotFound:
			return "", fmt.Errorf("%s %s: %w", method, p, errNotFound)
		case resp.StatusCode >= 300:
			return "", fmt.Errorf("%s %s: HTTP %d %s", method, p, resp.StatusCode, snippet(body))
		}
		if out != nil && len(body) > 0 {
			if err := json.Unmarshal(body, out); err != nil {
				return "", fmt.Errorf("%s %s: %w", method, p, err)
			}
		}
		return path.Base(resp.Header.Get("Location")), nil
	}
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/gateway"
	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/openimis"
)

const (
	clientSecret   = "client-test-secret"
	clientPassword = "correct horse battery staple"
)

// inProcess invokes the handler as the local stack's runtime would.
type inProcess struct{ h *Handler }

func (i inProcess) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	resp, err := i.h.Handle(ctx, ev)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

// newClientAPI is the API in the openIMIS client mode: the real handler
// over the in-memory store behind the local gateway with its cookie
// authorizer, the dev signer knowing "officer" (GrievanceOfficer) and
// "admin" (GrievanceAdmin). cfgDoc, when set, is stored as the module
// configuration.
func newClientAPI(t *testing.T, cfgDoc string, attempts int) *httptest.Server {
	t.Helper()
	e := newEnv(t)
	if cfgDoc != "" {
		e.ok(t, adminClaims, `mutation { updateGrievanceConfig(input: {clientMutationId: "cfg", config: `+jsonQuote(cfgDoc)+`}) { clientMutationId } }`)
		e.mustSucceed(t, adminClaims, "cfg")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sessions := &openimis.Service{Log: log, Limiter: &openimis.MemoryLimiter{Max: attempts, Window: time.Minute},
		Signer: &openimis.Dev{Secret: []byte(clientSecret), Issuer: "redress-local", Audience: "redress", Password: clientPassword,
			AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour, Users: map[string]openimis.DevUser{
				"officer": {Sub: officerID, Groups: []string{"GrievanceOfficer"}},
				"admin":   {Sub: adminID, Groups: []string{"GrievanceAdmin"}},
			}}}
	srv, err := gql.New(e.svc, gql.Options{Logger: log, Client: &gql.Client{Sessions: sessions}})
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Config: e.svc, GraphQL: srv, Log: log, NewID: uuid.NewString, Now: time.Now, Client: sessions, People: e.svc}
	gw := gateway.New(gateway.Config{Invoker: inProcess{h}, Cookies: true, Routes: gateway.ClientRoutes,
		Verifier: &gateway.Verifier{Secret: []byte(clientSecret), Issuer: "redress-local", Audience: "redress"}})
	gw.SetReady(true)
	ts := httptest.NewServer(gw)
	t.Cleanup(ts.Close)
	return ts
}

func jsonQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// browser sends requests as the openIMIS client in a browser does: the
// cookies the API set, X-CSRFToken once it has one, and the one
// "Authorization: JWT <token>" call after sign-in.
type browser struct {
	t       *testing.T
	base    string
	cookies map[string]string
	// setCookies are the raw Set-Cookie values of the last answer.
	setCookies []string
	csrf       string
}

type answer struct {
	Status int
	Body   map[string]any
	Raw    string
}

func (a answer) errorMessages() []string {
	var out []string
	errs, _ := a.Body["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["message"].(string))
	}
	return out
}

func (b *browser) do(method, path, body, authorization string) answer {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if b.csrf != "" {
		req.Header.Set("X-CSRFToken", b.csrf)
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	b.setCookies = resp.Header.Values("Set-Cookie")
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	a := answer{Status: resp.StatusCode, Raw: string(raw)}
	json.Unmarshal(raw, &a.Body)
	return a
}

func (b *browser) gql(query string, vars map[string]any) answer {
	b.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b.do(http.MethodPost, "/api/graphql", string(body), "")
}

const signIn = `mutation authenticate($username: String!, $password: String!) { tokenAuth(username: $username, password: $password) { refreshExpiresIn token } }`

// sessionExpired says whether the client would open its "session expired"
// dialog for the answer.
func sessionExpired(a answer) bool {
	for _, m := range a.errorMessages() {
		if strings.Contains(m, "Unauthorized") || strings.Contains(m, "User not authorized for this operation") {
			return true
		}
	}
	return false
}

func TestClientModeAnonymousStartUpCallsOpenNoSessionExpiredDialog(t *testing.T) {
	for _, tc := range []struct {
		name, cfg string
		query     string
		status    int
		wantData  string // JSON of data, "" when data is null/absent
	}{
		{"moduleConfigurations answers an empty list", "", `{ moduleConfigurations(validity: "2026-11-30", layer: "fe") { module config controls { field usage } } }`, 200, `{"moduleConfigurations":[]}`},
		{"refreshToken without a session says to sign in", "", `mutation { refreshToken { refreshExpiresIn } }`, 200, `{"refreshToken":null}`},
		{"grievanceConfig not configured for anonymous says to sign in", "", `{ grievanceConfig { grievanceTypes } }`, 200, `{"grievanceConfig":null}`},
		{"grievanceConfig configured for anonymous answers", `{"anonymous_grievance_config": true}`, `{ grievanceConfig { grievanceTypes } }`, 200, `{"grievanceConfig":{"grievanceTypes":["Default","Category A","Category B"]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &browser{t: t, base: newClientAPI(t, tc.cfg, 10).URL, cookies: map[string]string{}}
			a := b.gql(tc.query, nil)
			if a.Status != tc.status || sessionExpired(a) {
				t.Fatalf("status %d (want %d), body %s", a.Status, tc.status, a.Raw)
			}
			got, _ := json.Marshal(a.Body["data"])
			if string(got) != tc.wantData {
				t.Fatalf("data %s, want %s", got, tc.wantData)
			}
		})
	}
}

func TestClientModeAnonymousReachesNothingElse(t *testing.T) {
	b := &browser{t: t, base: newClientAPI(t, "", 10).URL, cookies: map[string]string{}}
	for _, q := range []string{
		`{ tickets { totalCount } }`,
		`{ moduleConfigurations { module } tickets { totalCount } }`,
		`{ languages { code } }`,
		`{ ...F } fragment F on Query { moduleConfigurations { module } }`,
		`mutation { createTicket(input: {clientMutationId: "x", category: "Default"}) { clientMutationId } }`,
		`mutation { getCsrfToken { csrfToken } }`,
	} {
		if a := b.gql(q, nil); a.Status != http.StatusUnauthorized || !strings.Contains(a.Raw, `"code":"UNAUTHENTICATED"`) {
			t.Errorf("%s: status %d body %s, want 401 UNAUTHENTICATED", q, a.Status, a.Raw)
		}
	}
	if a := b.do(http.MethodGet, CurrentUserPath, "", ""); a.Status != http.StatusUnauthorized {
		t.Fatalf("current_user signed out: %d %s, want 401", a.Status, a.Raw)
	}
}

// TestClientModeFlowWithCookiesAndCSRF drives sign-in → current_user →
// tickets → create → mutation log → refresh → sign-out as the client
// sends them.
func TestClientModeFlowWithCookiesAndCSRF(t *testing.T) {
	b := &browser{t: t, base: newClientAPI(t, "", 10).URL, cookies: map[string]string{}}

	if a := b.gql(signIn, map[string]any{"username": "officer", "password": "wrong"}); len(b.cookies) != 0 || sessionExpired(a) ||
		len(a.errorMessages()) != 1 || a.errorMessages()[0] != "Please enter valid credentials." {
		t.Fatalf("wrong password: cookies %v, body %s", b.cookies, a.Raw)
	}
	a := b.gql(signIn, map[string]any{"username": "officer", "password": clientPassword})
	token, _ := a.Body["data"].(map[string]any)["tokenAuth"].(map[string]any)["token"].(string)
	if a.Status != 200 || token == "" || b.cookies[openimis.AccessCookie] == "" || b.cookies[openimis.RefreshCookie] == "" {
		t.Fatalf("sign-in: cookies %v, body %s", b.cookies, a.Raw)
	}
	for _, c := range b.setCookies {
		for _, attr := range []string{"Path=/api", "Secure", "HttpOnly", "SameSite=Strict", "Max-Age="} {
			if !strings.Contains(c, attr) {
				t.Errorf("Set-Cookie %q lacks %s", c[:strings.Index(c, "=")], attr)
			}
		}
	}

	a = b.do(http.MethodPost, "/api/graphql", `{"query":"mutation { getCsrfToken { csrfToken } }"}`, "JWT "+token)
	b.csrf, _ = a.Body["data"].(map[string]any)["getCsrfToken"].(map[string]any)["csrfToken"].(string)
	if b.csrf == "" {
		t.Fatalf("getCsrfToken: %s", a.Raw)
	}

	a = b.do(http.MethodGet, CurrentUserPath, "", "")
	iUser, _ := a.Body["i_user"].(map[string]any)
	rights, _ := json.Marshal(iUser["rights"])
	if a.Status != 200 || a.Body["username"] != "officer" || iUser["last_name"] != "Icer" || iUser["other_names"] != "Off" ||
		string(rights) != "[127000,127001,127002,127003,127004,127005,127006]" {
		t.Fatalf("current_user: %d %s", a.Status, a.Raw)
	}
	if a := b.gql(`{ languages { name code } userDistricts { id uuid code name parent { id } } }`, nil); a.Raw != `{"data":{"languages":[{"code":"en","name":"English"}],"userDistricts":[]}}` {
		t.Fatalf("languages, userDistricts: %s", a.Raw)
	}
	if a := b.gql(`{ tickets { totalCount } }`, nil); a.Raw != `{"data":{"tickets":{"totalCount":0}}}` {
		t.Fatalf("tickets: %s", a.Raw)
	}

	create := `mutation { createTicket(input: {clientMutationId: "c1", clientMutationLabel: "Create", category: "Default", title: "From the browser"}) { clientMutationId } }`
	for _, tc := range []struct{ name, csrf string }{{"no X-CSRFToken", ""}, {"another session's token", "AAAA" + b.csrf[4:]}} {
		good := b.csrf
		b.csrf = tc.csrf
		if a := b.gql(create, nil); a.Status != http.StatusForbidden || !strings.Contains(a.Raw, "CSRF") {
			t.Errorf("createTicket with %s: %d %s, want 403", tc.name, a.Status, a.Raw)
		}
		b.csrf = good
	}
	if a := b.gql(create, nil); a.Status != 200 || len(a.errorMessages()) != 0 {
		t.Fatalf("createTicket with the CSRF token: %s", a.Raw)
	}
	a = b.gql(`{ mutationLogs(clientMutationId: "c1") { edges { node { status error } } } }`, nil)
	if !strings.Contains(a.Raw, `"status":2`) {
		t.Fatalf("mutation log: %s", a.Raw)
	}
	if a := b.gql(`{ tickets { totalCount } }`, nil); a.Raw != `{"data":{"tickets":{"totalCount":1}}}` {
		t.Fatalf("tickets after create: %s", a.Raw)
	}

	before := b.cookies[openimis.AccessCookie]
	if a := b.gql(`mutation { refreshToken { refreshExpiresIn } }`, nil); len(a.errorMessages()) != 0 || b.cookies[openimis.AccessCookie] == before {
		t.Fatalf("refreshToken: %s", a.Raw)
	}
	b.gql(`mutation { deleteTokenCookie { deleted } }`, nil)
	b.gql(`mutation { deleteRefreshTokenCookie { deleted } }`, nil)
	if len(b.cookies) != 0 {
		t.Fatalf("after sign-out the browser keeps %v", b.cookies)
	}
	for _, c := range b.setCookies {
		if !strings.Contains(c, "Max-Age=0") {
			t.Errorf("sign-out Set-Cookie %q does not expire the cookie", c)
		}
	}
	if a := b.do(http.MethodGet, CurrentUserPath, "", ""); a.Status != http.StatusUnauthorized {
		t.Fatalf("current_user after sign-out: %d", a.Status)
	}
}

func TestClientModeLimitsSignInAttemptsPerUser(t *testing.T) {
	b := &browser{t: t, base: newClientAPI(t, "", 3).URL, cookies: map[string]string{}}
	for i := 0; i < 3; i++ {
		b.gql(signIn, map[string]any{"username": "officer", "password": "guess"})
	}
	for _, tc := range []struct{ name, user, password, want string }{
		{"the right password after the limit is refused", "Officer", clientPassword, "Too many sign-in attempts for this user; try again later."},
		{"another user is not limited", "admin", clientPassword, ""},
	} {
		a := b.gql(signIn, map[string]any{"username": tc.user, "password": tc.password})
		got := strings.Join(a.errorMessages(), "")
		if got != tc.want {
			t.Errorf("%s: errors %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Ensure one request carries one password guess: aliases of tokenAuth (or
// refreshToken) are refused before any is tried, so the per-user limit
// and the route throttle count every guess.
func TestClientModeRefusesManySignInsInOneRequest(t *testing.T) {
	b := &browser{t: t, base: newClientAPI(t, "", 1).URL, cookies: map[string]string{}}
	for _, q := range []string{
		`mutation { a: tokenAuth(username: "officer", password: "x") { token } b: tokenAuth(username: "officer", password: "y") { token } }`,
		`mutation { tokenAuth(username: "officer", password: "x") { token } refreshToken { token } }`,
	} {
		a := b.do(http.MethodPost, "/api/graphql", `{"query":`+jsonQuote(q)+`}`, "")
		if a.Status != http.StatusBadRequest || strings.Join(a.errorMessages(), "") != "One tokenAuth or refreshToken field per request." {
			t.Fatalf("%s: %d %s", q, a.Status, a.Raw)
		}
	}
	// Nothing was tried: the one attempt the limit allows is still there.
	if a := b.gql(signIn, map[string]any{"username": "officer", "password": clientPassword}); len(a.errorMessages()) != 0 {
		t.Fatalf("sign-in after the refused requests: %s", a.Raw)
	}
}

func TestClientModeIsOffByDefault(t *testing.T) {
	e := newEnv(t)
	if e.h.Client != nil {
		t.Fatal("the test handler has the client mode on")
	}
	for _, tc := range []struct{ name, query string }{
		{"tokenAuth", signIn},
		{"moduleConfigurations", `{ moduleConfigurations { module } }`},
		{"getCsrfToken", `mutation { getCsrfToken { csrfToken } }`},
	} {
		if r := e.gql(t, officerClaims, tc.query, map[string]any{"username": "u", "password": "p"}); r.Status != 400 {
			t.Errorf("%s: status %d, want 400 (no such field): %s", tc.name, r.Status, r.Raw)
		}
	}
	ev := event(nil, "")
	ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = http.MethodGet, CurrentUserPath
	if resp, _ := e.h.Handle(context.Background(), ev); resp.StatusCode != http.StatusMethodNotAllowed || len(resp.Cookies) != 0 {
		t.Errorf("current_user with the mode off: %d, want 405", resp.StatusCode)
	}
	if c, err := clientMode(func(string) string { return "" }, nil, nil, nil); c != nil || err != nil {
		t.Errorf("clientMode with no settings = %v, %v; want off", c, err)
	}
}

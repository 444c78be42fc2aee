package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/infra/local/gateway"
	"github.com/redress-grm/redress/infra/local/moto"
	localstack "github.com/redress-grm/redress/infra/local/stack"
	"github.com/redress-grm/redress/shared/bus/bustest"
	"github.com/redress-grm/redress/shared/openimis"
)

// TestOpenIMISClientThroughTheLocalStack is issue #21's done-when: the
// real graphql binary behind the local gateway in the openIMIS client
// mode, driven over HTTP exactly as the web client sends its calls:
// anonymous start-up, sign-in, the CSRF token, current_user, tickets,
// a create and its mutation log, all with cookies.
func TestOpenIMISClientThroughTheLocalStack(t *testing.T) {
	root, err := bustest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("function output:\n%s", out.String())
		}
	})
	prefix := "e2ec" + itoa(os.Getpid()) + "-"
	ls, err := localstack.Start(context.Background(), localstack.Options{
		Root: root, Endpoint: moto.ForTest(t).Endpoint(), TablePrefix: prefix,
		SeedFile:     filepath.Join(root, "infra", "local", "seed.json"),
		ImportBucket: prefix + "imports", ImportQueue: prefix + "imports", UserPool: prefix + "users",
		Functions: []string{localstack.GraphQL, localstack.Importer, localstack.StaffSync}, BinDir: binDir, DLQDir: t.TempDir(), Output: out, Env: callLog(),
		Listen:         "127.0.0.1:0",
		Verifier:       &gateway.Verifier{Secret: []byte("e2e-secret"), Issuer: "redress-local", Audience: "redress"},
		OpenIMISClient: true, DevPassword: "e2e-password",
		DevUsers: map[string]openimis.DevUser{"alice": {Sub: aliceID, Groups: []string{"GrievanceOfficer"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ls.Stop)
	c := &client{t: t, base: "http://" + ls.Addr, cookies: map[string]string{}}

	// Before sign-in: what the login page asks.
	for _, q := range []string{
		`{ moduleConfigurations(validity: "2026-11-30", layer: "fe") { module config controls { field usage } } }`,
		`mutation { refreshToken { refreshExpiresIn } }`,
		`{ grievanceConfig { grievanceTypes } }`,
	} {
		if status, body := c.post(q, nil, ""); status != 200 || strings.Contains(body, "Unauthorized") {
			t.Fatalf("anonymous %s: %d %s", q, status, body)
		}
	}
	if status, _ := c.get("/api/core/users/current_user/"); status != 401 {
		t.Fatalf("current_user signed out: %d, want 401", status)
	}

	_, body := c.post(`mutation authenticate($username: String!, $password: String!) { tokenAuth(username: $username, password: $password) { refreshExpiresIn token } }`,
		map[string]any{"username": "alice", "password": "e2e-password"}, "")
	var signed struct {
		Data struct{ TokenAuth struct{ Token string } }
	}
	json.Unmarshal([]byte(body), &signed)
	if signed.Data.TokenAuth.Token == "" || c.cookies[openimis.AccessCookie] == "" || c.cookies[openimis.RefreshCookie] == "" {
		t.Fatalf("tokenAuth: %s, cookies %v", body, c.cookies)
	}
	_, body = c.post(`mutation { getCsrfToken { csrfToken } }`, nil, "JWT "+signed.Data.TokenAuth.Token)
	var csrf struct {
		Data struct{ GetCsrfToken struct{ CsrfToken string } }
	}
	json.Unmarshal([]byte(body), &csrf)
	if c.csrf = csrf.Data.GetCsrfToken.CsrfToken; c.csrf == "" {
		t.Fatalf("getCsrfToken: %s", body)
	}

	status, body := c.get("/api/core/users/current_user/")
	if status != 200 || !strings.Contains(body, `"username":"alice"`) || !strings.Contains(body, `"rights":[127000,127001,127002,127003,127004,127005,127006]`) ||
		!strings.Contains(body, `"last_name":"Officer"`) {
		t.Fatalf("current_user: %d %s", status, body)
	}
	if status, body := c.post(`{ tickets(first: 10) { totalCount } }`, nil, ""); status != 200 || !strings.Contains(body, `"totalCount"`) {
		t.Fatalf("tickets: %d %s", status, body)
	}
	create := `mutation { createTicket(input: {clientMutationId: "e2e-client-1", clientMutationLabel: "Create ticket", category: "Default", title: "Filed from the web client"}) { clientMutationId } }`
	saved := c.csrf
	c.csrf = ""
	if status, _ := c.post(create, nil, ""); status != http.StatusForbidden {
		t.Fatalf("createTicket without X-CSRFToken: %d, want 403", status)
	}
	c.csrf = saved
	if status, body := c.post(create, nil, ""); status != 200 || strings.Contains(body, "errors") {
		t.Fatalf("createTicket: %d %s", status, body)
	}
	if _, body := c.post(`{ mutationLogs(clientMutationId: "e2e-client-1") { edges { node { status error } } } }`, nil, ""); !strings.Contains(body, `"status":2`) {
		t.Fatalf("mutation log: %s", body)
	}
	c.post(`mutation { deleteTokenCookie { deleted } }`, nil, "")
	c.post(`mutation { deleteRefreshTokenCookie { deleted } }`, nil, "")
	if status, _ := c.get("/api/core/users/current_user/"); status != 401 || len(c.cookies) != 0 {
		t.Fatalf("after sign-out: current_user %d, cookies %v", status, c.cookies)
	}
}

// client is a browser as far as the API can tell: cookies it was given,
// X-CSRFToken once it has one.
type client struct {
	t       *testing.T
	base    string
	cookies map[string]string
	csrf    string
}

func (c *client) do(method, path, body, authorization string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRFToken", c.csrf)
	}
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	return resp.StatusCode, string(raw)
}

func (c *client) post(query string, vars map[string]any, authorization string) (int, string) {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return c.do(http.MethodPost, "/api/graphql", string(b), authorization)
}

func (c *client) get(path string) (int, string) { return c.do(http.MethodGet, path, "", "") }

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

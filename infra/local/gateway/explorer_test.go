package gateway_test

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/redress-grm/redress/infra/local/gateway"
	"github.com/redress-grm/redress/shared/explorer"
)

// Ensure the explorer is off unless configured: a gateway without it
// answers GET / and browser GETs of the GraphQL path like API Gateway.
func TestExplorer_OffByDefault(t *testing.T) {
	g := newGateway(&fakeFunction{resp: `{}`})
	for _, path := range []string{"/", "/graphql"} {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept", "text/html")
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code != 404 {
			t.Errorf("GET %s=%d %s, want 404 with the explorer off", path, w.Code, w.Body)
		}
	}
}

// Ensure the page is served on GET / and to browsers on the GraphQL paths,
// without a token, shows the token command and loads nothing from another
// origin; GraphQL clients' GETs still get 404 and POSTs still need a token.
func TestExplorer_ServedToBrowsersWithoutExternalAssets(t *testing.T) {
	fn := &fakeFunction{resp: `{}`}
	g := gateway.New(gateway.Config{
		Invoker:  fn,
		Verifier: &gateway.Verifier{Secret: secret},
		Explorer: &explorer.Config{Endpoint: "/api/graphql", TokenHint: "go run ./infra/local token -username alice -groups GrievanceOfficer"},
	})
	g.SetReady(true)
	get := func(path, accept string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		return w
	}
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, tt := range []struct{ path, accept string }{{"/", ""}, {"/", browser}, {"/graphql", browser}, {"/api/graphql", browser}} {
		w := get(tt.path, tt.accept)
		body := w.Body.String()
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s (Accept %q)=%d %s, want the page", tt.path, tt.accept, w.Code, w.Header().Get("Content-Type"))
		}
		if !strings.Contains(body, "go run ./infra/local token -username alice -groups GrievanceOfficer") || !strings.Contains(body, `id="token"`) {
			t.Fatalf("page lacks the token field or the token command")
		}
		if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).FindString(body); m != "" {
			t.Fatalf("page loads an external asset: %s", m)
		}
		if !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("page served without a policy that forbids other origins")
		}
	}
	if w := get("/graphql", "application/json"); w.Code != 404 {
		t.Fatalf("GraphQL client's GET /graphql=%d, want 404", w.Code)
	}
	if w := serve(g, "POST", "/graphql", "", strings.NewReader(`{}`)); w.Code != 401 {
		t.Fatalf("POST without a token=%d, want 401 (the page must not open the API)", w.Code)
	}
	if len(fn.calls) != 0 {
		t.Fatalf("function invoked %d times, want 0", len(fn.calls))
	}
}

package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/redress-grm/redress/infra/local/gateway"
)

// The openIMIS client mode's authorizer: the header wins and is strict;
// the cookie is checked alike; no token, or a cookie that no longer
// verifies, passes as anonymous.
func TestGateway_CookieMode(t *testing.T) {
	good := sign(t, secret, jwt.SigningMethodHS256, validClaims())
	expiredClaims := validClaims()
	expiredClaims["exp"] = time.Now().Add(-time.Minute).Unix()
	expired := sign(t, secret, jwt.SigningMethodHS256, expiredClaims)
	forged := sign(t, []byte("other"), jwt.SigningMethodHS256, validClaims())
	for _, tc := range []struct {
		name        string
		cookies     bool
		auth        string
		cookie      string
		path        string
		wantStatus  int
		wantClaimed bool // the function got the token's claims
	}{
		{"cookie verified like a bearer token", true, "", good, "/api/graphql", 200, true},
		{"JWT header prefix accepted", true, "JWT " + good, "", "/api/graphql", 200, true},
		{"bearer header still accepted", true, "Bearer " + good, "", "/api/graphql", 200, true},
		{"no token passes as anonymous", true, "", "", "/api/graphql", 200, false},
		{"expired cookie passes as anonymous", true, "", expired, "/api/graphql", 200, false},
		{"forged cookie passes as anonymous", true, "", forged, "/api/graphql", 200, false},
		{"bad header is refused even with a good cookie", true, "Bearer " + forged, good, "/api/graphql", 401, false},
		{"current_user route served in the mode", true, "", good, "/api/core/users/current_user/", 200, true},
		{"mode off: the cookie is not read", false, "", good, "/api/graphql", 401, false},
		{"mode off: no current_user route", false, "Bearer " + good, "", "/api/core/users/current_user/", 404, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := &fakeFunction{resp: `{"statusCode":200,"body":"{}"}`}
			c := gateway.Config{Invoker: fn, Verifier: &gateway.Verifier{Secret: secret, Issuer: "redress-local", Audience: "redress"}}
			if tc.cookies {
				c.Cookies, c.Routes = true, gateway.ClientRoutes
			}
			g := gateway.New(c)
			method := http.MethodPost
			if strings.HasSuffix(tc.path, "/") {
				method = http.MethodGet
			}
			r := httptest.NewRequest(method, tc.path, strings.NewReader(`{"query":"{ __typename }"}`))
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			if tc.cookie != "" {
				r.AddCookie(&http.Cookie{Name: gateway.CookieName, Value: tc.cookie})
			}
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.wantStatus, w.Body)
			}
			claimed := len(fn.calls) == 1 && fn.calls[0].RequestContext.Authorizer != nil && fn.calls[0].RequestContext.Authorizer.JWT.Claims["username"] == "alice"
			if claimed != tc.wantClaimed {
				t.Fatalf("function got claims: %v, want %v", claimed, tc.wantClaimed)
			}
		})
	}
}

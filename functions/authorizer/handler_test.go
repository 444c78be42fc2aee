package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST"
	testClient = "app-client-id"
)

type issuer struct {
	key     *rsa.PrivateKey
	fetches atomic.Int32
	srv     *httptest.Server
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: k}
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		is.fetches.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kid": "k1", "kty": "RSA", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
		}}})
	}))
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) handler() *Handler {
	return &Handler{Issuer: testIssuer, Audience: []string{testClient}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Keys: keys{newJWKS(is.srv.URL)}}
}

// accessClaims are shaped like a Cognito access token's.
func accessClaims() jwt.MapClaims {
	return jwt.MapClaims{"sub": "00000000-0000-4000-a000-000000000002", "username": "officer", "client_id": testClient,
		"cognito:groups": []string{"GrievanceOfficer"}, "token_use": "access", "iss": testIssuer,
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
}

func (is *issuer) sign(t *testing.T, claims jwt.MapClaims, change func(*jwt.Token)) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "k1"
	var key any = is.key
	if change != nil {
		change(tok)
		if tok.Method == jwt.SigningMethodHS256 {
			// Algorithm confusion: the public key's bytes as an HMAC secret.
			key = is.key.N.Bytes()
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuthorizerChecksHeaderAndCookieAlike(t *testing.T) {
	is := newIssuer(t)
	h := is.handler()
	with := func(f func(jwt.MapClaims)) jwt.MapClaims { c := accessClaims(); f(c); return c }
	good := is.sign(t, accessClaims(), nil)
	idToken := is.sign(t, with(func(c jwt.MapClaims) { delete(c, "client_id"); c["aud"] = testClient; c["token_use"] = "id" }), nil)
	expired := is.sign(t, with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), nil)
	otherIssuer := is.sign(t, with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }), nil)
	otherClient := is.sign(t, with(func(c jwt.MapClaims) { c["client_id"] = "another-client" }), nil)
	noExpiry := is.sign(t, with(func(c jwt.MapClaims) { delete(c, "exp") }), nil)
	unknownKid := is.sign(t, accessClaims(), func(tok *jwt.Token) { tok.Header["kid"] = "k2" })
	hmacConfusion := is.sign(t, accessClaims(), func(tok *jwt.Token) {
		tok.Method = jwt.SigningMethodHS256
		tok.Header["alg"] = "HS256"
	})
	for _, tc := range []struct {
		name       string
		authz      string
		cookie     string
		authorized bool
		user       string // "" for anonymous
	}{
		{"bearer access token", "Bearer " + good, "", true, "officer"},
		{"JWT scheme (the client's getCsrfToken)", "JWT " + good, "", true, "officer"},
		{"ID token by its aud", "Bearer " + idToken, "", true, "officer"},
		{"cookie", "", good, true, "officer"},
		{"no token: anonymous", "", "", true, ""},
		{"expired header refused", "Bearer " + expired, "", false, ""},
		{"other issuer refused", "Bearer " + otherIssuer, "", false, ""},
		{"other app client refused", "Bearer " + otherClient, "", false, ""},
		{"no expiry refused", "Bearer " + noExpiry, "", false, ""},
		{"unknown key refused", "Bearer " + unknownKid, "", false, ""},
		{"HS256 with the public key refused", "Bearer " + hmacConfusion, "", false, ""},
		{"bad header refused even with a good cookie", "Bearer " + expired, good, false, ""},
		{"expired cookie: anonymous", "", expired, true, ""},
		{"forged cookie: anonymous", "", hmacConfusion, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := events.APIGatewayV2CustomAuthorizerV2Request{Headers: map[string]string{}}
			if tc.authz != "" {
				ev.Headers["authorization"] = tc.authz
			}
			if tc.cookie != "" {
				ev.Cookies = []string{"other=1", "JWT=" + tc.cookie}
			}
			resp, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			user, _ := resp.Context["username"].(string)
			if resp.IsAuthorized != tc.authorized || user != tc.user {
				t.Fatalf("authorized %v user %q; want %v %q", resp.IsAuthorized, user, tc.authorized, tc.user)
			}
			if tc.user != "" && resp.Context["cognito:groups"] != "[GrievanceOfficer]" {
				t.Fatalf("groups rendered as %q, want the JWT authorizer's [GrievanceOfficer]", resp.Context["cognito:groups"])
			}
		})
	}
}

func TestJWKSIsCachedAndRefetchIsThrottled(t *testing.T) {
	is := newIssuer(t)
	h := is.handler()
	good := is.sign(t, accessClaims(), nil)
	unknown := is.sign(t, accessClaims(), func(tok *jwt.Token) { tok.Header["kid"] = "k9" })
	for i := 0; i < 5; i++ {
		h.Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{Headers: map[string]string{"authorization": good}})
		h.Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{Headers: map[string]string{"authorization": unknown}})
	}
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times for 10 requests, want 1", n)
	}
}

package gateway_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"

	"github.com/redress-grm/redress/infra/local/gateway"
)

var secret = []byte("test-secret")

// fakeFunction records the events it gets and answers with resp/err.
type fakeFunction struct {
	calls []events.APIGatewayV2HTTPRequest
	resp  string
	err   error
}

func (f *fakeFunction) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	f.calls = append(f.calls, ev)
	if f.err != nil {
		return nil, f.err
	}
	return []byte(f.resp), nil
}

func sign(t *testing.T, key any, method jwt.SigningMethod, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub":            "8f0d2a6e-0000-5000-8000-000000000001",
		"username":       "alice",
		"cognito:groups": []string{"GrievanceOfficer", "GrievanceAdmin"},
		"custom:rights":  "127000,127001",
		"iss":            "redress-local",
		"aud":            "redress",
		"exp":            time.Now().Add(time.Hour).Unix(),
		"iat":            1764200000,
		"email_verified": true,
		"address":        map[string]any{"city": "Dili"},
	}
}

func newGateway(fn *fakeFunction) *gateway.Gateway {
	g := gateway.New(gateway.Config{
		Invoker:  fn,
		Verifier: &gateway.Verifier{Secret: secret, Issuer: "redress-local", Audience: "redress"},
	})
	g.SetReady(true)
	return g
}

func serve(g http.Handler, method, target, auth string, body io.Reader) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	return w
}

// Ensure the authorizer rejects bad tokens with 401 and never invokes,
// and tells why in WWW-Authenticate as API Gateway does.
func TestGateway_Unauthorized(t *testing.T) {
	expired := validClaims()
	expired["exp"] = time.Now().Add(-time.Minute).Unix()
	noExp := validClaims()
	delete(noExp, "exp")
	notYet := validClaims()
	notYet["nbf"] = time.Now().Add(time.Hour).Unix()
	wrongIss := validClaims()
	wrongIss["iss"] = "someone-else"
	wrongAud := validClaims()
	wrongAud["aud"] = "other"
	for _, tt := range []struct {
		name   string
		auth   string
		reason string // in WWW-Authenticate; "" for no header
	}{
		{"missing", "", ""},
		{"empty bearer", "Bearer ", ""},
		{"malformed", "Bearer not.a.jwt", "the token is malformed"},
		{"bad signature", "Bearer " + sign(t, []byte("wrong-secret"), jwt.SigningMethodHS256, validClaims()), "the token signature is invalid"},
		{"other algorithm", "Bearer " + sign(t, secret, jwt.SigningMethodHS512, validClaims()), "the token signature is invalid"},
		{"unsigned", "Bearer " + sign(t, jwt.UnsafeAllowNoneSignatureType, jwt.SigningMethodNone, validClaims()), "the token signature is invalid"},
		{"expired", "Bearer " + sign(t, secret, jwt.SigningMethodHS256, expired), "the token has expired"},
		{"no exp", "Bearer " + sign(t, secret, jwt.SigningMethodHS256, noExp), "the token does not have an expiration time"},
		{"not yet valid", "Bearer " + sign(t, secret, jwt.SigningMethodHS256, notYet), "the token is not valid yet"},
		{"wrong issuer", "Bearer " + sign(t, secret, jwt.SigningMethodHS256, wrongIss), "the token does not have a valid issuer"},
		{"wrong audience", "Bearer " + sign(t, secret, jwt.SigningMethodHS256, wrongAud), "the token does not have a valid audience"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fn := &fakeFunction{resp: `{}`}
			w := serve(newGateway(fn), "POST", "/api/graphql", tt.auth, strings.NewReader(`{}`))
			if w.Code != http.StatusUnauthorized || w.Body.String() != `{"message":"Unauthorized"}` {
				t.Fatalf("response=%d %s, want 401 Unauthorized", w.Code, w.Body)
			}
			want := ""
			if tt.reason != "" {
				want = `Bearer scope="" error="invalid_token" error_description="` + tt.reason + `"`
			}
			if got := w.Header().Get("WWW-Authenticate"); got != want {
				t.Errorf("WWW-Authenticate=%q, want %q", got, want)
			}
			if len(fn.calls) != 0 {
				t.Fatalf("function invoked %d times, want 0", len(fn.calls))
			}
		})
	}
}

// Ensure a valid token reaches the function with claims rendered as API
// Gateway renders them, and the event carries the request.
func TestGateway_Event(t *testing.T) {
	fn := &fakeFunction{resp: `{"statusCode":201,"headers":{"content-type":"application/json","x-one":"1"},` +
		`"multiValueHeaders":{"x-many":["a","b"]},"cookies":["s=1; Path=/"],"body":"{\"data\":{}}"}`}
	g := newGateway(fn)
	r := httptest.NewRequest("POST", "/api/graphql?x=1&x=2&y=3", strings.NewReader(`{"query":"{ me { id } }"}`))
	r.Header.Set("Authorization", "Bearer "+sign(t, secret, jwt.SigningMethodHS256, validClaims()))
	r.Header.Add("X-Multi", "a")
	r.Header.Add("X-Multi", "b")
	r.Header.Set("Cookie", "a=1; b=2")
	r.Header.Set("User-Agent", "test-agent")
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)

	if w.Code != 201 || w.Body.String() != `{"data":{}}` {
		t.Fatalf("response=%d %s", w.Code, w.Body)
	}
	if got := w.Header().Values("X-Many"); strings.Join(got, ",") != "a,b" {
		t.Fatalf("x-many=%v", got)
	}
	if got := w.Header().Get("Set-Cookie"); got != "s=1; Path=/" {
		t.Fatalf("set-cookie=%q", got)
	}
	if w.Header().Get("Access-Control-Allow-Origin") != "*" || w.Header().Get("X-One") != "1" {
		t.Fatalf("headers=%v", w.Header())
	}
	if len(fn.calls) != 1 {
		t.Fatalf("calls=%d, want 1", len(fn.calls))
	}
	ev := fn.calls[0]
	claims := ev.RequestContext.Authorizer.JWT.Claims
	for k, want := range map[string]string{
		"username":       "alice",
		"cognito:groups": "[GrievanceOfficer GrievanceAdmin]",
		"custom:rights":  "127000,127001",
		"iat":            "1764200000",
		"email_verified": "true",
		"address":        `{"city":"Dili"}`,
		"aud":            "redress",
	} {
		if got := claims[k]; got != want {
			t.Errorf("claim %s=%q, want %q", k, got, want)
		}
	}
	if ev.RequestContext.Authorizer.JWT.Scopes != nil {
		t.Errorf("scopes=%v, want nil", ev.RequestContext.Authorizer.JWT.Scopes)
	}
	for _, c := range []struct{ name, got, want string }{
		{"version", ev.Version, "2.0"},
		{"routeKey", ev.RouteKey, "POST /api/graphql"},
		{"rawPath", ev.RawPath, "/api/graphql"},
		{"rawQueryString", ev.RawQueryString, "x=1&x=2&y=3"},
		{"query x", ev.QueryStringParameters["x"], "1,2"},
		{"header x-multi", ev.Headers["x-multi"], "a,b"},
		{"header cookie", ev.Headers["cookie"], ""},
		{"cookies", strings.Join(ev.Cookies, "|"), "a=1|b=2"},
		{"body", ev.Body, `{"query":"{ me { id } }"}`},
		{"stage", ev.RequestContext.Stage, "$default"},
		{"apiId", ev.RequestContext.APIID, "local"},
		{"method", ev.RequestContext.HTTP.Method, "POST"},
		{"path", ev.RequestContext.HTTP.Path, "/api/graphql"},
		{"userAgent", ev.RequestContext.HTTP.UserAgent, "test-agent"},
		{"sourceIp", ev.RequestContext.HTTP.SourceIP, "192.0.2.1"},
	} {
		if c.got != c.want {
			t.Errorf("%s=%q, want %q", c.name, c.got, c.want)
		}
	}
	if ev.RequestContext.RequestID == "" || ev.RequestContext.TimeEpoch == 0 || ev.IsBase64Encoded {
		t.Errorf("requestContext=%+v", ev.RequestContext)
	}
	if _, err := time.Parse("02/Jan/2006:15:04:05 -0700", ev.RequestContext.Time); err != nil {
		t.Errorf("time %q: %v", ev.RequestContext.Time, err)
	}
}

// Ensure binary bodies travel base64-encoded both ways.
func TestGateway_BinaryBodies(t *testing.T) {
	fn := &fakeFunction{resp: `{"statusCode":200,"isBase64Encoded":true,"body":"` + base64.StdEncoding.EncodeToString([]byte{0xff, 0}) + `"}`}
	tok := "Bearer " + sign(t, secret, jwt.SigningMethodHS256, validClaims())
	w := serve(newGateway(fn), "POST", "/graphql", tok, bytes.NewReader([]byte{0xfe, 0x01}))
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), []byte{0xff, 0}) {
		t.Fatalf("response=%d %v", w.Code, w.Body.Bytes())
	}
	if ev := fn.calls[0]; !ev.IsBase64Encoded || ev.Body != base64.StdEncoding.EncodeToString([]byte{0xfe, 0x01}) {
		t.Fatalf("event body=%q base64=%v", ev.Body, ev.IsBase64Encoded)
	}
}

// Ensure function failures and invalid responses become API Gateway's 500,
// and a plain JSON result becomes a 200 JSON body.
func TestGateway_Responses(t *testing.T) {
	tok := "Bearer " + sign(t, secret, jwt.SigningMethodHS256, validClaims())
	for _, tt := range []struct {
		name     string
		fn       *fakeFunction
		wantCode int
		wantBody string
	}{
		{"function error", &fakeFunction{err: errors.New("boom")}, 500, `{"message":"Internal Server Error"}`},
		{"not json", &fakeFunction{resp: `oops`}, 500, `{"message":"Internal Server Error"}`},
		{"bad status", &fakeFunction{resp: `{"statusCode":42}`}, 500, `{"message":"Internal Server Error"}`},
		{"bad base64", &fakeFunction{resp: `{"statusCode":200,"isBase64Encoded":true,"body":"%%"}`}, 500, `{"message":"Internal Server Error"}`},
		{"inferred", &fakeFunction{resp: `{"data":{"ok":true}}`}, 200, `{"data":{"ok":true}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(newGateway(tt.fn), "POST", "/api/graphql", tok, strings.NewReader(`{}`))
			if w.Code != tt.wantCode || w.Body.String() != tt.wantBody {
				t.Fatalf("response=%d %s, want %d %s", w.Code, w.Body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

// Ensure only the API's routes exist, health follows readiness, and CORS
// preflights are answered.
func TestGateway_Routes(t *testing.T) {
	fn := &fakeFunction{resp: `{}`}
	g := gateway.New(gateway.Config{Invoker: fn, Verifier: &gateway.Verifier{Secret: secret}})
	if w := serve(g, "GET", "/health", "", nil); w.Code != 503 {
		t.Fatalf("health before ready=%d, want 503", w.Code)
	}
	g.SetReady(true)
	if w := serve(g, "GET", "/health", "", nil); w.Code != 200 || w.Body.String() != `{"status":"ok"}` {
		t.Fatalf("health=%d %s", w.Code, w.Body)
	}
	for _, tt := range []struct{ method, path string }{
		{"GET", "/api/graphql"}, {"POST", "/api/other"}, {"POST", "/"}, {"PUT", "/graphql"},
	} {
		if w := serve(g, tt.method, tt.path, "", nil); w.Code != 404 || w.Body.String() != `{"message":"Not Found"}` {
			t.Errorf("%s %s=%d %s, want 404", tt.method, tt.path, w.Code, w.Body)
		}
	}
	w := serve(g, "OPTIONS", "/api/graphql", "", nil)
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Headers") != "authorization,content-type,idempotency-key,x-proof-of-work" {
		t.Fatalf("preflight=%d %v", w.Code, w.Header())
	}
	if len(fn.calls) != 0 {
		t.Fatalf("function invoked %d times", len(fn.calls))
	}
}

// Ensure bodies over 10 MB are refused like API Gateway does.
func TestGateway_TooLarge(t *testing.T) {
	fn := &fakeFunction{resp: `{}`}
	tok := "Bearer " + sign(t, secret, jwt.SigningMethodHS256, validClaims())
	big := bytes.Repeat([]byte("a"), gateway.MaxBody+1)
	w := serve(newGateway(fn), "POST", "/api/graphql", tok, bytes.NewReader(big))
	if w.Code != 413 || w.Body.String() != `{"message":"Request Entity Too Large"}` {
		t.Fatalf("response=%d %s", w.Code, w.Body)
	}
	// Without a Content-Length the limit still holds.
	r := httptest.NewRequest("POST", "/api/graphql", io.MultiReader(bytes.NewReader(big)))
	r.ContentLength = -1
	r.Header.Set("Authorization", tok)
	w = httptest.NewRecorder()
	newGateway(fn).ServeHTTP(w, r)
	if w.Code != 413 {
		t.Fatalf("chunked response=%d", w.Code)
	}
	if len(fn.calls) != 0 {
		t.Fatalf("function invoked %d times", len(fn.calls))
	}
}

// Ensure public routes reach their own function without a token, while
// the GraphQL routes keep the authorizer: a token is neither needed nor
// forwarded on a public route.
func TestGateway_PublicRoutesSkipTheAuthorizer(t *testing.T) {
	graphql := &fakeFunction{resp: `{"statusCode":200,"body":"{}"}`}
	intake := &fakeFunction{resp: `{"statusCode":201,"body":"{\"code\":\"GRS00000001\"}"}`}
	g := gateway.New(gateway.Config{
		Invoker:  graphql,
		Verifier: &gateway.Verifier{Secret: secret, Issuer: "redress-local", Audience: "redress"},
		Public:   map[string]gateway.Invoker{"POST /intake": intake, "GET /intake": intake},
	})
	g.SetReady(true)
	tok := "Bearer " + sign(t, secret, jwt.SigningMethodHS256, validClaims())
	for _, tt := range []struct {
		name, method, path, auth string
		want                     int
	}{
		{"public route without a token", "POST", "/intake", "", 201},
		{"public route with a token", "POST", "/intake", tok, 201},
		{"public GET", "GET", "/intake", "", 201},
		{"graphql without a token", "POST", "/graphql", "", 401},
		{"unknown route", "POST", "/track", "", 404},
		{"preflight of a public route", "OPTIONS", "/intake", "", 204},
	} {
		w := serve(g, tt.method, tt.path, tt.auth, strings.NewReader(`{}`))
		if w.Code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, w.Code, tt.want)
		}
	}
	if len(graphql.calls) != 0 {
		t.Fatalf("graphql function called %d times", len(graphql.calls))
	}
	if len(intake.calls) != 3 {
		t.Fatalf("intake function called %d times, want 3", len(intake.calls))
	}
	for _, ev := range intake.calls {
		if ev.RequestContext.Authorizer != nil {
			t.Fatal("claims forwarded on a public route")
		}
	}
}

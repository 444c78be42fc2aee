// Package gateway emulates the API Gateway HTTP API in front of the
// graphql function: it turns HTTP requests into payload-format-2.0 events
// (events.APIGatewayV2HTTPRequest), runs the JWT authorizer, invokes the
// function and writes its events.APIGatewayV2HTTPResponse back, with API
// Gateway's error bodies, size limit and CORS handling.
package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/explorer"
)

// Invoker runs the integration function with an event and returns its
// response payload; an error is a failed invocation.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// DefaultRoutes are the routes of the deployed HTTP API.
var DefaultRoutes = []string{"POST /api/graphql", "POST /graphql"}

// ClientRoutes are DefaultRoutes plus openIMIS core's REST call for the
// signed-in user, served in the openIMIS client mode.
var ClientRoutes = append(slices.Clone(DefaultRoutes), "GET /api/core/users/current_user/")

// MaxBody is API Gateway's request payload limit.
const MaxBody = 10 << 20

// Config configures a Gateway.
type Config struct {
	// Invoker is the function behind every route.
	Invoker Invoker
	// Verifier is the JWT authorizer of every route; nil leaves the routes
	// open (no authorizer).
	Verifier *Verifier
	// Routes are "METHOD /path" keys. Default DefaultRoutes.
	Routes []string
	// AccountID is reported in requestContext.accountId. Default 123456789012.
	AccountID string
	// Logger receives invocation failures. Default: discarded.
	Logger *slog.Logger
	// Now is the clock for requestContext.time. Default time.Now.
	Now func() time.Time
	// Cookies is the openIMIS web client mode (docs/openimis-client.md),
	// what the stack's Lambda REQUEST authorizer does in AWS: the token
	// comes from the Authorization header ("Bearer <jwt>", "JWT <jwt>" or
	// bare) or else from the JWT cookie, checked alike; a request with
	// neither, or with a cookie that no longer verifies (an expired
	// session), passes as anonymous for the function to answer. A bad
	// header is still 401.
	Cookies bool
	// Explorer, when set, serves the GraphQL explorer page on GET / and on
	// GET of the GraphQL paths from browsers. API Gateway itself has no such
	// page, so it is a local convenience only; nil leaves it off.
	Explorer *explorer.Config
	// Public maps the routes served without the JWT authorizer (the
	// public intake routes) to their function.
	Public map[string]Invoker
}

// Gateway is an http.Handler for the local API endpoint. GET /health is
// answered by the gateway itself: 503 until SetReady(true), then 200.
type Gateway struct {
	c      Config
	routes map[string]bool
	log    *slog.Logger
	ready  atomic.Bool
	// explorer is the rendered page; nil when the explorer is off.
	explorer []byte
}

// New returns a gateway that is not ready yet. It panics if the explorer
// page does not render, which only a broken template can cause.
func New(c Config) *Gateway {
	if c.Routes == nil {
		c.Routes = DefaultRoutes
	}
	if c.AccountID == "" {
		c.AccountID = "123456789012"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	g := &Gateway{c: c, routes: map[string]bool{}, log: c.Logger}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	for _, r := range c.Routes {
		g.routes[r] = true
	}
	if c.Explorer != nil {
		page, err := explorer.Render(*c.Explorer)
		if err != nil {
			panic(err)
		}
		g.explorer = page
	}
	return g
}

// SetReady switches /health between 503 and 200.
func (g *Gateway) SetReady(ready bool) { g.ready.Store(ready) }

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setCORS(w.Header())
	if r.URL.Path == "/health" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		if g.ready.Load() {
			writeJSON(w, http.StatusOK, `{"status":"ok"}`)
		} else {
			writeJSON(w, http.StatusServiceUnavailable, `{"status":"starting"}`)
		}
		return
	}
	if g.wantsExplorer(r) {
		g.serveExplorer(w, r)
		return
	}
	if r.Method == http.MethodOptions && g.hasPath(r.URL.Path) {
		// CORS preflight, answered by API Gateway without the authorizer.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	routeKey := r.Method + " " + r.URL.Path
	invoker, public := g.c.Public[routeKey]
	if !g.routes[routeKey] && !public {
		writeJSON(w, http.StatusNotFound, `{"message":"Not Found"}`)
		return
	}
	if !public {
		invoker = g.c.Invoker
	}
	var claims map[string]string
	if g.c.Verifier != nil && !public {
		var err error
		if claims, err = g.authorize(r); err != nil {
			g.log.Debug("request rejected by the JWT authorizer", "route", routeKey, "err", err)
			if c := Challenge(err); c != "" {
				w.Header().Set("Www-Authenticate", c)
			}
			writeJSON(w, http.StatusUnauthorized, `{"message":"Unauthorized"}`)
			return
		}
	}
	if r.ContentLength > MaxBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, `{"message":"Request Entity Too Large"}`)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, `{"message":"Bad Request"}`)
		return
	} else if len(body) > MaxBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, `{"message":"Request Entity Too Large"}`)
		return
	}

	ev := g.event(r, routeKey, body, claims)
	w.Header().Set("Apigw-Requestid", ev.RequestContext.RequestID)
	payload, err := json.Marshal(ev)
	if err != nil {
		g.fail(w, routeKey, err)
		return
	}
	out, err := invoker.Invoke(r.Context(), payload)
	if err != nil {
		g.fail(w, routeKey, err)
		return
	}
	if err := writeResponse(w, out); err != nil {
		g.fail(w, routeKey, err)
	}
}

// authorize returns the claims of the request's token; nil claims and no
// error is an anonymous request (cookie mode only).
func (g *Gateway) authorize(r *http.Request) (map[string]string, error) {
	h := r.Header.Get("Authorization")
	if !g.c.Cookies {
		return g.c.Verifier.Verify(h)
	}
	if strings.TrimSpace(h) != "" {
		return g.c.Verifier.Verify(StripJWTPrefix(h))
	}
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if claims, err := g.c.Verifier.Verify(c.Value); err == nil {
			return claims, nil
		}
		g.log.Debug("access cookie refused; request passes as anonymous")
	}
	return nil, nil
}

// CookieName is the openIMIS client's access cookie (django-graphql-jwt's).
const CookieName = "JWT"

// StripJWTPrefix turns django-graphql-jwt's "JWT <token>" header value
// into the bare token; other values are returned as they are.
func StripJWTPrefix(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 4 && strings.EqualFold(v[:4], "jwt ") {
		return strings.TrimSpace(v[4:])
	}
	return v
}

func (g *Gateway) fail(w http.ResponseWriter, route string, err error) {
	g.log.Error("integration failed", "route", route, "err", err)
	writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
}

func (g *Gateway) hasPath(path string) bool {
	for r := range g.c.Public {
		if _, p, _ := strings.Cut(r, " "); p == path {
			return true
		}
	}
	for r := range g.routes {
		if _, p, _ := strings.Cut(r, " "); p == path {
			return true
		}
	}
	return false
}

// event builds the payload-format-2.0 event API Gateway sends.
func (g *Gateway) event(r *http.Request, routeKey string, body []byte, claims map[string]string) events.APIGatewayV2HTTPRequest {
	now := g.c.Now()
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	sourceIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		sourceIP = r.RemoteAddr
	}
	rawPath := r.URL.RawPath
	if rawPath == "" {
		rawPath = r.URL.Path
	}

	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		k = strings.ToLower(k)
		if k == "cookie" {
			// Payload 2.0 moves cookies out of the headers into their own field.
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[k] = strings.Join(vs, ",")
	}
	headers["host"] = r.Host
	if _, ok := headers["content-length"]; !ok && len(body) > 0 {
		headers["content-length"] = strconv.Itoa(len(body))
	}
	headers["x-forwarded-for"] = sourceIP
	headers["x-forwarded-proto"] = "http"

	var query map[string]string
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(q) > 0 {
		query = make(map[string]string, len(q))
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}

	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               rawPath,
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    g.c.AccountID,
			Stage:        "$default",
			RequestID:    uuid.NewString(),
			APIID:        "local",
			DomainName:   host,
			DomainPrefix: strings.SplitN(host, ".", 2)[0],
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims},
		}
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body = base64.StdEncoding.EncodeToString(body)
		ev.IsBase64Encoded = true
	}
	return ev
}

// writeResponse writes a function's response as API Gateway does for
// payload format 2.0: a JSON object with statusCode is a structured
// response; any other valid JSON is the body of a 200 application/json
// response; anything else is an error.
func writeResponse(w http.ResponseWriter, out []byte) error {
	var probe map[string]json.RawMessage
	if json.Unmarshal(out, &probe) != nil || probe["statusCode"] == nil {
		if !json.Valid(out) {
			return errInvalidResponse
		}
		writeJSON(w, http.StatusOK, string(out))
		return nil
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return err
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return errInvalidResponse
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return err
		}
	}
	h := w.Header()
	cors := h.Clone() // API Gateway's CORS settings win over the function's
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	for k, v := range cors {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
	return nil
}

type responseError string

func (e responseError) Error() string { return string(e) }

const errInvalidResponse = responseError("gateway: invalid function response")

func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "authorization,content-type,idempotency-key,x-proof-of-work")
	h.Set("Access-Control-Allow-Methods", "GET,POST,OPTIONS")
	h.Set("Access-Control-Max-Age", "600")
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/auth"
	"github.com/redress-grm/redress/shared/explorer"
	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/openimis"
)

// configSource is what the handler needs to turn claims into rights.
type configSource interface {
	Config(ctx context.Context) (*grievance.Config, error)
}

// executor runs GraphQL requests.
type executor interface {
	Do(ctx context.Context, req gql.Request) gql.Response
}

// Handler translates API Gateway HTTP API (payload 2.0) events into GraphQL
// requests: it decodes the body, builds the principal from the claims the
// JWT authorizer verified, and writes the GraphQL response back.
type Handler struct {
	Config   configSource
	GraphQL  executor
	Auth     auth.Options
	Log      *slog.Logger
	MaxBody  int // bytes; larger bodies get 413
	NewID    func() string
	Now      func() time.Time
	Fallback string // request id when API Gateway sent none
	// Explorer is the explorer page served to browsers' GETs; nil (the
	// default, EXPLORER unset) answers every GET with 405.
	Explorer []byte
	// Client is the openIMIS web client's compatibility mode
	// (OPENIMIS_CLIENT; docs/openimis-client.md): cookies in and out,
	// and GET CurrentUserPath. Nil (the default) leaves it off.
	Client *openimis.Service
	// People names the signed-in user in current_user.
	People peopleSource
}

// peopleSource finds directory records.
type peopleSource interface {
	People(ctx context.Context, ids []string) (map[string]*grievance.Person, error)
}

// CurrentUserPath is openIMIS core's REST call for the signed-in user.
const CurrentUserPath = "/api/core/users/current_user/"

// DefaultMaxBody is the largest request body accepted (the client's
// biggest documents are a few KB; API Gateway itself stops at 10 MB).
const DefaultMaxBody = 256 << 10

// answerReserve is the time kept back from the invocation's deadline to
// write the answer of a request that ran out of time.
const answerReserve = 250 * time.Millisecond

// Handle serves one API request.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := h.Now()
	reqID := ev.RequestContext.RequestID
	if reqID == "" {
		reqID = h.NewID()
	}
	ctx = gql.WithRequestID(ctx, reqID)
	if dl, ok := ctx.Deadline(); ok {
		// Lambda's deadline is when the process is stopped: a request
		// that used all of it would never send its coded "try again".
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-answerReserve))
		defer cancel()
	}
	resp := h.serveSafely(ctx, ev, reqID)
	h.Log.InfoContext(ctx, "request",
		"requestId", reqID, "route", ev.RouteKey, "status", resp.StatusCode,
		"bytes", len(resp.Body), "ms", float64(h.Now().Sub(start).Microseconds())/1000)
	return resp, nil
}

// serveSafely is serve with a last line of defence: a panic outside the
// resolvers (which recover their own) becomes the generic internal error
// with the request id, logged in full, instead of a crashed invocation
// whose text API Gateway would turn into a bare 500.
func (h *Handler) serveSafely(ctx context.Context, ev events.APIGatewayV2HTTPRequest, reqID string) (resp events.APIGatewayV2HTTPResponse) {
	defer func() {
		if x := recover(); x != nil {
			h.Log.ErrorContext(ctx, "panic serving request", "requestId", reqID, "panic", x, "stack", string(debug.Stack()))
			resp = h.fail(reqID, http.StatusInternalServerError, string(grievance.CodeInternal), "Internal error.")
		}
	}()
	return h.serve(ctx, ev, reqID)
}

func (h *Handler) serve(ctx context.Context, ev events.APIGatewayV2HTTPRequest, reqID string) events.APIGatewayV2HTTPResponse {
	if h.Explorer != nil && ev.RequestContext.HTTP.Method == http.MethodGet && explorer.AcceptsHTML(header(ev.Headers, "accept")) {
		resp := response(reqID, http.StatusOK, h.Explorer)
		resp.Headers["content-type"] = "text/html; charset=utf-8"
		resp.Headers["content-security-policy"] = explorer.ContentSecurityPolicy
		return resp
	}
	if h.Client != nil {
		sess := openimis.NewSession(ev.Cookies, func(n string) string { return header(ev.Headers, n) })
		sess.Source = ev.RequestContext.HTTP.SourceIP
		ctx = openimis.NewContext(ctx, sess)
		switch path := ev.RequestContext.HTTP.Path; {
		case ev.RequestContext.HTTP.Method == http.MethodGet && path == CurrentUserPath:
			return h.currentUser(ctx, ev, reqID)
		case strings.HasPrefix(path, "/api/core/"):
			// The deployed route is greedy (/api/core/users/{proxy+}).
			return response(reqID, http.StatusNotFound, []byte(`{"detail":"Not found."}`))
		}
		resp := h.serveGraphQL(ctx, ev, reqID)
		resp.Cookies = sess.SetCookies()
		return resp
	}
	return h.serveGraphQL(ctx, ev, reqID)
}

func (h *Handler) serveGraphQL(ctx context.Context, ev events.APIGatewayV2HTTPRequest, reqID string) events.APIGatewayV2HTTPResponse {
	if m := ev.RequestContext.HTTP.Method; m != "" && m != http.MethodPost {
		return h.fail(reqID, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Send GraphQL requests with POST.")
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return h.fail(reqID, http.StatusBadRequest, "BAD_REQUEST", "The request body is not valid base64.")
		}
		body = b
	}
	max := h.MaxBody
	if max <= 0 {
		max = DefaultMaxBody
	}
	if len(body) > max {
		return h.fail(reqID, http.StatusRequestEntityTooLarge, string(grievance.CodeLimit), "The request body is larger than the limit of "+itoa(max)+" bytes.")
	}
	req, status, msg := decodeRequest(header(ev.Headers, "content-type"), body)
	if status != 0 {
		return h.fail(reqID, status, "BAD_REQUEST", msg)
	}
	ctx, _, failed := h.principal(ctx, ev, reqID)
	if failed != nil {
		return *failed
	}
	out := h.GraphQL.Do(ctx, req)
	return response(reqID, out.Status, out.Body)
}

// principal puts the principal of the verified claims (if any) in ctx.
func (h *Handler) principal(ctx context.Context, ev events.APIGatewayV2HTTPRequest, reqID string) (context.Context, *grievance.Config, *events.APIGatewayV2HTTPResponse) {
	claims := jwtClaims(ev)
	if len(claims) == 0 {
		return ctx, nil, nil
	}
	cfg, err := h.Config.Config(ctx)
	if err != nil {
		h.Log.ErrorContext(ctx, "load configuration", "requestId", reqID, "err", err)
		resp := h.fail(reqID, http.StatusInternalServerError, string(grievance.CodeInternal), "Internal error.")
		if grievance.ErrorCode(err) == grievance.CodeUnavailable {
			resp = h.fail(reqID, http.StatusServiceUnavailable, string(grievance.CodeUnavailable), grievance.ErrorMessage(err))
		}
		return ctx, nil, &resp
	}
	if p := auth.Principal(claims, cfg, h.Auth); p != nil {
		ctx = grievance.NewContext(ctx, p)
	}
	return ctx, cfg, nil
}

// decodeRequest reads a GraphQL request from a JSON body ({"query": …}) or
// an application/graphql body (the document itself). It returns a status
// and message when the body cannot be a request.
func decodeRequest(contentType string, body []byte) (gql.Request, int, string) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/graphql" {
		return gql.Request{Query: string(body)}, 0, ""
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return gql.Request{}, http.StatusBadRequest, "The request body is empty; send {\"query\": \"…\"}."
	}
	if trimmed[0] == '[' {
		return gql.Request{}, http.StatusBadRequest, "Batched requests are not supported; send one operation per request."
	}
	var req gql.Request
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return gql.Request{}, http.StatusBadRequest, "The request body is not a JSON GraphQL request."
	}
	if strings.TrimSpace(req.Query) == "" {
		return gql.Request{}, http.StatusBadRequest, "The request has no query."
	}
	req.Variables = numbersToNative(req.Variables)
	return req, 0, ""
}

// numbersToNative turns json.Number variables into int or float64, the
// types graphql-go coerces from (UseNumber keeps large ints exact).
func numbersToNative(m map[string]any) map[string]any {
	for k, v := range m {
		m[k] = nativeValue(v)
	}
	return m
}

func nativeValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil && int64(int(i)) == i {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		return numbersToNative(x)
	case []any:
		for i := range x {
			x[i] = nativeValue(x[i])
		}
	}
	return v
}

// jwtClaims returns the claims the edge verified: the JWT authorizer's,
// or, in the openIMIS client mode, the Lambda authorizer's context (the
// same claims, rendered the same way, from the bearer token or the
// access cookie).
func jwtClaims(ev events.APIGatewayV2HTTPRequest) map[string]string {
	a := ev.RequestContext.Authorizer
	if a == nil {
		return nil
	}
	if a.JWT != nil {
		return a.JWT.Claims
	}
	if len(a.Lambda) > 0 {
		out := make(map[string]string, len(a.Lambda))
		for k, v := range a.Lambda {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
		return out
	}
	return nil
}

func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func response(reqID string, status int, body []byte) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{
			"content-type":           "application/json",
			"x-request-id":           reqID,
			"cache-control":          "no-store",
			"x-content-type-options": "nosniff",
		},
		Body: string(body),
	}
}

// fail answers in the GraphQL error format, without data.
func (h *Handler) fail(reqID string, status int, code, msg string) events.APIGatewayV2HTTPResponse {
	body, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{
		"message":    msg,
		"extensions": map[string]any{"code": code, "requestId": reqID},
	}}})
	return response(reqID, status, body)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

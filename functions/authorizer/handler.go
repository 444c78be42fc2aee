package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"

	"github.com/redress-grm/redress/shared/auth"
	"github.com/redress-grm/redress/shared/openimis"
)

// Handler is the openIMIS client mode's Lambda REQUEST authorizer (HTTP
// API, simple responses). It checks a token exactly as the stack's JWT
// authorizer does (RS256 signature against the issuer's JWKS, issuer,
// audience or client_id, expiry, not-before) and hands the function the
// claims rendered as that authorizer renders them, as context:
//   - an Authorization header ("Bearer <jwt>", "JWT <jwt>" or bare) must
//     verify, or the request is refused;
//   - otherwise the JWT cookie is checked the same way; one that does not
//     verify (expired, signed out elsewhere) is a signed-out browser;
//   - a request with neither passes with no claims: anonymous, for the
//     function's allow-list of start-up calls.
type Handler struct {
	Issuer   string
	Audience []string
	Keys     keySource
	Log      *slog.Logger
	Now      func() time.Time
}

type keySource interface {
	key(ctx context.Context, kid string) (any, error)
}

// Handle answers one authorization request.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	if v := header(ev.Headers, "authorization"); strings.TrimSpace(v) != "" {
		claims, err := h.verify(ctx, bareToken(v))
		if err != nil {
			h.Log.InfoContext(ctx, "authorizer: header token refused", "requestId", ev.RequestContext.RequestID, "reason", err.Error())
			return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, nil
		}
		return allow(claims), nil
	}
	if tok := cookie(ev.Cookies, openimis.AccessCookie); tok != "" {
		claims, err := h.verify(ctx, tok)
		if err == nil {
			return allow(claims), nil
		}
		h.Log.InfoContext(ctx, "authorizer: access cookie refused, anonymous", "requestId", ev.RequestContext.RequestID, "reason", err.Error())
	}
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: map[string]any{}}, nil
}

func allow(claims map[string]string) events.APIGatewayV2CustomAuthorizerSimpleResponse {
	ctx := make(map[string]any, len(claims))
	for k, v := range claims {
		ctx[k] = v
	}
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: ctx}
}

var errAudience = errors.New("the token does not have a valid audience")

// verify checks a token and returns its rendered claims. Errors say why
// without quoting the token.
func (h *Handler) verify(ctx context.Context, tok string) (map[string]string, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(h.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithJSONNumber(),
	}
	if h.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(h.Now))
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(opts...).ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return h.Keys.key(ctx, kid)
	})
	if err != nil {
		return nil, fmt.Errorf("invalid token: %w", err)
	}
	// Like API Gateway's JWT authorizer: aud (ID tokens) or client_id
	// (access tokens) must name one of the audiences.
	auds, _ := claims.GetAudience()
	if cid, ok := claims["client_id"].(string); ok {
		auds = append(auds, cid)
	}
	if !slices.ContainsFunc(auds, func(a string) bool { return slices.Contains(h.Audience, a) }) {
		return nil, errAudience
	}
	return auth.RenderClaims(claims), nil
}

// bareToken strips the "Bearer " or "JWT " scheme of a header value.
func bareToken(v string) string {
	v = strings.TrimSpace(v)
	for _, scheme := range []string{"bearer ", "jwt "} {
		if len(v) > len(scheme) && strings.EqualFold(v[:len(scheme)], scheme) {
			return strings.TrimSpace(v[len(scheme):])
		}
	}
	return v
}

func cookie(cookies []string, name string) string {
	for _, c := range cookies {
		for _, part := range strings.Split(c, ";") {
			if n, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && n == name {
				return v
			}
		}
	}
	return ""
}

func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

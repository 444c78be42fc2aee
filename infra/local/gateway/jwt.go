package gateway

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/redress-grm/redress/shared/auth"
)

// Verifier checks bearer tokens the way an HTTP API JWT authorizer does,
// except that the key is a shared HS256 secret instead of the issuer's
// JWKS: locally there is no Cognito, and `local token` signs with the
// same secret.
type Verifier struct {
	// Secret is the HS256 key.
	Secret []byte
	// Issuer, when set, must equal the token's iss.
	Issuer string
	// Audience, when set, must be in the token's aud.
	Audience string
	// Now is the clock for exp and nbf. Default time.Now.
	Now func() time.Time
}

// ErrNoToken reports a request without a bearer token.
var ErrNoToken = errors.New("gateway: no bearer token")

// Verify checks the token in an Authorization header value ("Bearer
// <jwt>"; API Gateway also accepts the bare token) and returns its claims
// rendered as API Gateway passes them to the function. The token must be
// signed with HS256 and have an exp in the future; nbf, iss and aud are
// checked when present or configured.
func (v *Verifier) Verify(authorization string) (map[string]string, error) {
	tok := strings.TrimSpace(authorization)
	if len(tok) >= 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	}
	if tok == "" || strings.EqualFold(tok, "bearer") {
		return nil, ErrNoToken
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithJSONNumber(), // keep numbers as their decimal text
		jwt.WithExpirationRequired(),
	}
	if v.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(v.Now))
	}
	if v.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.Issuer))
	}
	if v.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.Audience))
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.NewParser(opts...).ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) {
		return v.Secret, nil
	}); err != nil {
		return nil, fmt.Errorf("gateway: invalid token: %w", err)
	}
	return RenderClaims(claims), nil
}

// Challenge is the WWW-Authenticate value API Gateway's JWT authorizer
// sends with a 401 for a token it refused, in the format its
// troubleshooting guide shows (`Bearer scope="" error="invalid_token"
// error_description="the token does not have a valid audience"`), so a
// client developer sees locally why a token was refused. A request without
// a token gets no challenge. Only the audience wording is quoted in AWS's
// documentation; the other reasons follow its style.
func Challenge(err error) string {
	if err == nil || errors.Is(err, ErrNoToken) {
		return ""
	}
	return `Bearer scope="" error="invalid_token" error_description="` + reason(err) + `"`
}

func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "the token does not have a valid audience"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "the token does not have a valid issuer"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "the token does not have an expiration time"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "the token signature is invalid"
	default:
		return "the token is malformed"
	}
}

// RenderClaims flattens JWT claims into the map[string]string that API
// Gateway puts in requestContext.authorizer.jwt.claims (auth.RenderClaims).
func RenderClaims(claims map[string]any) map[string]string { return auth.RenderClaims(claims) }

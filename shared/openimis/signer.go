package openimis

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Tokens are what a sign-in or a refresh yields.
type Tokens struct {
	// Access is the JWT the edge verifies (the user pool's access token).
	Access        string
	AccessExpires time.Time
	// Refresh is empty after a refresh that did not rotate it.
	Refresh        string
	RefreshExpires time.Time
}

// Signer signs users in against the identity provider.
type Signer interface {
	// SignIn checks a username and password; ErrCredentials when they
	// are wrong, whatever the reason (unknown user, bad password,
	// disabled), so that the answer tells an attacker nothing.
	SignIn(ctx context.Context, username, password string) (Tokens, error)
	// Refresh trades a refresh token for a new access token;
	// ErrCredentials when the refresh token is no longer valid.
	Refresh(ctx context.Context, refresh string) (Tokens, error)
	// Revoke ends the session of a refresh token.
	Revoke(ctx context.Context, refresh string) error
}

// ErrCredentials is a refused sign-in or refresh.
var ErrCredentials = errors.New("openimis: credentials refused")

// ErrChallenge is a sign-in the password alone cannot finish (MFA, a new
// password required): the client's login form cannot answer it.
var ErrChallenge = errors.New("openimis: sign-in needs a challenge answered")

// unverifiedClaims reads a JWT's payload without checking it: only for
// tokens this process just received from the identity provider itself.
func unverifiedClaims(token string) map[string]any {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

func claimTime(m map[string]any, name string) (time.Time, bool) {
	if f, ok := m[name].(float64); ok {
		return time.Unix(int64(f), 0), true
	}
	return time.Time{}, false
}

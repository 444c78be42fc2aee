package openimis

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// DevUser is a user the dev signer knows.
type DevUser struct {
	Sub    string   `json:"sub"`
	Groups []string `json:"groups"`
}

// Dev signs users in without an identity provider, for the local stack
// only: one shared password, tokens signed with the local gateway's HS256
// secret (the same tokens `local token` prints). Deployed stages use
// Cognito; the stack never configures this signer.
type Dev struct {
	Secret           []byte
	Issuer, Audience string
	Password         string
	Users            map[string]DevUser
	AccessTTL        time.Duration
	RefreshTTL       time.Duration
	Now              func() time.Time
}

func (d *Dev) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// SignIn implements Signer.
func (d *Dev) SignIn(_ context.Context, username, password string) (Tokens, error) {
	u, known := d.Users[username]
	// Compare even for unknown users so that timing does not tell them apart.
	ok := subtle.ConstantTimeCompare([]byte(password), []byte(d.Password)) == 1
	if !known || !ok || d.Password == "" {
		return Tokens{}, ErrCredentials
	}
	now := d.now()
	session := uuid.NewString()
	access, err := d.sign(username, u, session, "access", now, now.Add(d.AccessTTL), now)
	if err != nil {
		return Tokens{}, err
	}
	refresh, err := d.sign(username, u, session, "refresh", now, now.Add(d.RefreshTTL), now)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{Access: access, AccessExpires: now.Add(d.AccessTTL), Refresh: refresh, RefreshExpires: now.Add(d.RefreshTTL)}, nil
}

// Refresh implements Signer.
func (d *Dev) Refresh(_ context.Context, refresh string) (Tokens, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(d.now)).ParseWithClaims(refresh, claims, func(*jwt.Token) (any, error) { return d.Secret, nil })
	if err != nil || claims["token_use"] != "refresh" {
		return Tokens{}, ErrCredentials
	}
	username, _ := claims["username"].(string)
	u, known := d.Users[username]
	if !known {
		return Tokens{}, ErrCredentials
	}
	session, _ := claims["origin_jti"].(string)
	authTime, _ := claimTime(claims, "auth_time")
	now := d.now()
	access, err := d.sign(username, u, session, "access", now, now.Add(d.AccessTTL), authTime)
	if err != nil {
		return Tokens{}, err
	}
	t := Tokens{Access: access, AccessExpires: now.Add(d.AccessTTL)}
	if exp, ok := claimTime(claims, "exp"); ok {
		t.RefreshExpires = exp
	}
	return t, nil
}

// Revoke implements Signer; dev refresh tokens are not tracked, so
// sign-out only clears the cookies.
func (d *Dev) Revoke(context.Context, string) error { return nil }

func (d *Dev) sign(username string, u DevUser, session, use string, now, exp, authTime time.Time) (string, error) {
	groups := u.Groups
	if groups == nil {
		groups = []string{}
	}
	claims := jwt.MapClaims{
		"sub": u.Sub, "username": username, "cognito:groups": groups, "token_use": use,
		"origin_jti": session, "jti": uuid.NewString(),
		"iat": now.Unix(), "exp": exp.Unix(), "auth_time": authTime.Unix(),
	}
	if d.Issuer != "" {
		claims["iss"] = d.Issuer
	}
	if d.Audience != "" && use == "access" {
		claims["aud"] = d.Audience
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(d.Secret)
	if err != nil {
		return "", fmt.Errorf("openimis: dev sign: %w", err)
	}
	return tok, nil
}

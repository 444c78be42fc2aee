// Package openimis is the openIMIS web client's compatibility mode
// (docs/openimis-client.md): the browser session the client expects from
// django-graphql-jwt (tokenAuth, refreshToken, getCsrfToken, the two
// cookie-deleting mutations) kept in HttpOnly cookies that hold the user
// pool's own tokens, and the CSRF token bound to that session.
//
// The edge (API Gateway's Lambda authorizer, the local gateway) verifies
// the access cookie exactly as it verifies a bearer token; this package
// only issues, refreshes and clears the cookies and checks CSRF.
package openimis

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// Cookie and header names of django-graphql-jwt and Django, which the
// client relies on.
const (
	AccessCookie  = "JWT"
	RefreshCookie = "JWT-refresh-token"
	CSRFHeader    = "X-CSRFToken"
)

// CookiePath scopes both cookies to the API (/api/graphql and
// /api/core/users/current_user/): no other path of the site receives them.
const CookiePath = "/api"

// Session is what one request carries of the browser session, and the
// cookies its answer sets.
type Session struct {
	// Cookies are the request's cookies by name.
	Cookies map[string]string
	// HeaderAuth says the request carried an Authorization header, so the
	// principal (if any) came from it and not from the access cookie.
	HeaderAuth bool
	// CSRF is the X-CSRFToken header.
	CSRF string
	// Source is the caller's address as API Gateway saw it (never a
	// header the caller can set): sign-in attempts are counted per
	// source.
	Source string

	set []string
}

// NewSession reads a request's cookies ("name=value" pairs, as API
// Gateway's payload 2.0 lists them) and headers.
func NewSession(cookies []string, header func(string) string) *Session {
	s := &Session{Cookies: map[string]string{}, HeaderAuth: strings.TrimSpace(header("authorization")) != "", CSRF: header(strings.ToLower(CSRFHeader))}
	for _, c := range cookies {
		for _, part := range strings.Split(c, ";") {
			name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && name != "" {
				if _, dup := s.Cookies[name]; !dup {
					s.Cookies[name] = value
				}
			}
		}
	}
	return s
}

// SetCookies are the Set-Cookie values of the answer.
func (s *Session) SetCookies() []string { return s.set }

func (s *Session) setCookie(name, value string, maxAge time.Duration) {
	secs := int(maxAge / time.Second)
	if secs <= 0 {
		secs = 0
		value = ""
	}
	// Secure and HttpOnly keep the tokens off plain HTTP and away from
	// scripts; SameSite=Strict keeps other sites' requests from carrying
	// them (and from setting them: a cross-site answer's Set-Cookie is
	// dropped), which is the first line against CSRF.
	s.set = append(s.set, (&http.Cookie{Name: name, Value: value, Path: CookiePath, MaxAge: secs,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}).String())
	if secs == 0 {
		// http.Cookie renders MaxAge 0 as no Max-Age at all (a session
		// cookie); clearing needs the explicit zero.
		s.set[len(s.set)-1] += "; Max-Age=0"
	}
}

type sessionKey struct{}

// NewContext returns ctx carrying s.
func NewContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// FromContext returns the request's session, or an empty one.
func FromContext(ctx context.Context) *Session {
	if s, ok := ctx.Value(sessionKey{}).(*Session); ok && s != nil {
		return s
	}
	return &Session{Cookies: map[string]string{}}
}

// csrfToken derives the CSRF token of a session from its refresh token.
// The refresh token is the session (sign-out revokes it, a new sign-in
// makes another) and never leaves the HttpOnly cookie, so another site can
// neither read nor compute the token, and no server-side key is needed.
func csrfToken(refresh string) string {
	m := hmac.New(sha256.New, []byte(refresh))
	m.Write([]byte("redress openimis csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CSRFValid says the request's X-CSRFToken belongs to its session
// (constant-time compare).
func (s *Session) CSRFValid() bool {
	refresh := s.Cookies[RefreshCookie]
	if refresh == "" || s.CSRF == "" {
		return false
	}
	return hmac.Equal([]byte(s.CSRF), []byte(csrfToken(refresh)))
}

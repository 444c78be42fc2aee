package openimis

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

// Service answers the session mutations of the client for one request's
// Session (in the context).
type Service struct {
	Signer Signer
	// Limiter counts sign-in attempts per user and source address;
	// SourceLimiter counts sign-in and refresh attempts per source
	// address, whatever the user (nil: none).
	Limiter       Limiter
	SourceLimiter Limiter
	Log           *slog.Logger
}

// SignedIn is the answer of tokenAuth and refreshToken.
type SignedIn struct {
	// Token is the access token; the client sends it once, as
	// "Authorization: JWT <token>", to fetch its CSRF token.
	Token string
	// RefreshExpiresIn is when the refresh token expires (Unix seconds),
	// as django-graphql-jwt reports it.
	RefreshExpiresIn int64
}

// Errors the client sees. None says "Unauthorized": the client opens its
// "session expired" dialog for that word, which is wrong on the login page.
var (
	errCredentials = grievance.Errorf(grievance.CodeUnauthenticated, "Please enter valid credentials.")
	errNoSession   = grievance.Errorf(grievance.CodeUnauthenticated, "No session to refresh; please sign in.")
	errChallenge   = grievance.Errorf(grievance.CodeUnauthenticated, "This account must finish signing in with the identity provider (MFA or a new password).")
	errTooMany     = grievance.Errorf(grievance.CodeLimit, "Too many sign-in attempts for this user; try again later.")
	errTooManyHere = grievance.Errorf(grievance.CodeLimit, "Too many sign-in attempts from this address; try again later.")
	errUnavailable = grievance.Errorf(grievance.CodeUnavailable, "Sign-in is unavailable; try again later.")
	errCSRFSession = grievance.Errorf(grievance.CodeUnauthenticated, "No session; please sign in.")
)

// TokenAuth signs a user in and sets both cookies.
func (s *Service) TokenAuth(ctx context.Context, username, password string) (SignedIn, error) {
	username = strings.TrimSpace(username)
	if username == "" || password == "" || len(username) > 128 || len(password) > 256 {
		return SignedIn{}, errCredentials
	}
	// The limits count attempts before Cognito sees them, so a guessing
	// run stops here, on every container alike, whatever the password
	// (docs/openimis-client.md, brute force): per source address, so one
	// machine cannot spray passwords over many users nor spend Cognito's
	// sign-in quota for everyone; per user from that address, so a
	// stranger's guesses cannot lock a user out everywhere (Cognito's own
	// lockout answers guessing spread over many addresses).
	source := FromContext(ctx).Source
	if err := s.allow(ctx, s.SourceLimiter, "signIn@"+source, errTooManyHere); err != nil {
		return SignedIn{}, err
	}
	if err := s.allow(ctx, s.Limiter, "tokenAuth#"+strings.ToLower(username)+"@"+source, errTooMany); err != nil {
		return SignedIn{}, err
	}
	t, err := s.Signer.SignIn(ctx, username, password)
	switch {
	case errors.Is(err, ErrCredentials):
		return SignedIn{}, errCredentials
	case errors.Is(err, ErrChallenge):
		return SignedIn{}, errChallenge
	case err != nil:
		s.logError(ctx, "sign-in", err)
		return SignedIn{}, errUnavailable
	}
	sess := FromContext(ctx)
	now := time.Now()
	sess.setCookie(AccessCookie, t.Access, t.AccessExpires.Sub(now))
	sess.setCookie(RefreshCookie, t.Refresh, t.RefreshExpires.Sub(now))
	// The client's getCsrfToken right after sign-in carries the new
	// cookies; the CSRF check of this request's later fields must too.
	sess.Cookies[AccessCookie], sess.Cookies[RefreshCookie] = t.Access, t.Refresh
	return SignedIn{Token: t.Access, RefreshExpiresIn: t.RefreshExpires.Unix()}, nil
}

// RefreshToken renews the access cookie from the refresh cookie.
func (s *Service) RefreshToken(ctx context.Context) (SignedIn, error) {
	sess := FromContext(ctx)
	refresh := sess.Cookies[RefreshCookie]
	if refresh == "" {
		return SignedIn{}, errNoSession
	}
	// A junk cookie costs the identity provider a call: counted with
	// the source's sign-in attempts.
	if err := s.allow(ctx, s.SourceLimiter, "signIn@"+sess.Source, errTooManyHere); err != nil {
		return SignedIn{}, err
	}
	t, err := s.Signer.Refresh(ctx, refresh)
	switch {
	case errors.Is(err, ErrCredentials):
		// A dead refresh token: clear both so the browser stops sending them.
		sess.setCookie(AccessCookie, "", 0)
		sess.setCookie(RefreshCookie, "", 0)
		return SignedIn{}, errNoSession
	case err != nil:
		s.logError(ctx, "refresh", err)
		return SignedIn{}, errUnavailable
	}
	now := time.Now()
	sess.setCookie(AccessCookie, t.Access, t.AccessExpires.Sub(now))
	if t.Refresh != "" && t.Refresh != refresh {
		sess.setCookie(RefreshCookie, t.Refresh, t.RefreshExpires.Sub(now))
	}
	return SignedIn{Token: t.Access, RefreshExpiresIn: t.RefreshExpires.Unix()}, nil
}

// CSRFToken is the CSRF token of the request's session.
func (s *Service) CSRFToken(ctx context.Context) (string, error) {
	refresh := FromContext(ctx).Cookies[RefreshCookie]
	if refresh == "" || grievance.PrincipalFrom(ctx) == nil {
		return "", errCSRFSession
	}
	return csrfToken(refresh), nil
}

// DeleteTokenCookie clears the access cookie.
func (s *Service) DeleteTokenCookie(ctx context.Context) bool {
	FromContext(ctx).setCookie(AccessCookie, "", 0)
	return true
}

// DeleteRefreshTokenCookie revokes the session at the identity provider
// (so a copied refresh token dies with it) and clears the refresh cookie.
func (s *Service) DeleteRefreshTokenCookie(ctx context.Context) bool {
	sess := FromContext(ctx)
	if refresh := sess.Cookies[RefreshCookie]; refresh != "" {
		if err := s.Signer.Revoke(ctx, refresh); err != nil {
			s.logError(ctx, "revoke refresh token", err)
		}
	}
	sess.setCookie(RefreshCookie, "", 0)
	return true
}

// CookieAuthenticated says the request's principal came from the access
// cookie (no Authorization header), so its mutations need the CSRF token.
func (s *Service) CookieAuthenticated(ctx context.Context) bool {
	return grievance.PrincipalFrom(ctx) != nil && !FromContext(ctx).HeaderAuth
}

// CSRFValid says the request's X-CSRFToken belongs to its session.
func (s *Service) CSRFValid(ctx context.Context) bool { return FromContext(ctx).CSRFValid() }

func (s *Service) logError(ctx context.Context, what string, err error) {
	if s.Log != nil {
		// err never holds a password or token: the SDK's errors name the
		// operation and the service's message only.
		s.Log.ErrorContext(ctx, "openimis: "+what, "err", err)
	}
}

// allow counts an attempt against key with l (none when l is nil) and
// answers refused when it is over the limit.
func (s *Service) allow(ctx context.Context, l Limiter, key string, refused error) error {
	if l == nil {
		return nil
	}
	ok, err := l.Allow(ctx, key)
	if err != nil {
		s.logError(ctx, "sign-in rate limit", err)
		return errUnavailable
	}
	if !ok {
		return refused
	}
	return nil
}

// Limiter bounds attempts per key.
type Limiter interface {
	Allow(ctx context.Context, key string) (bool, error)
}

// MemoryLimiter allows Max attempts per key in each Window, in one
// process. The deployed function uses the table-backed limiter, which all
// containers share.
type MemoryLimiter struct {
	Max    int
	Window time.Duration
	Now    func() time.Time

	mu   sync.Mutex
	hits map[string][]time.Time
}

// Allow implements Limiter (a sliding window).
func (l *MemoryLimiter) Allow(_ context.Context, key string) (bool, error) {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hits == nil {
		l.hits = map[string][]time.Time{}
	}
	kept := l.hits[key][:0]
	for _, t := range l.hits[key] {
		if now.Sub(t) < l.Window {
			kept = append(kept, t)
		}
	}
	if len(kept) >= l.Max {
		l.hits[key] = kept
		return false, nil
	}
	l.hits[key] = append(kept, now)
	return true, nil
}

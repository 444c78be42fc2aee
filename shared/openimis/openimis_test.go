package openimis

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/redress-grm/redress/infra/local/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	good := csrfToken("refresh-A")
	for _, tc := range []struct {
		name    string
		refresh string
		header  string
		want    bool
	}{
		{"the session's own token", "refresh-A", good, true},
		{"another session's token", "refresh-B", good, false},
		{"no header", "refresh-A", "", false},
		{"no session", "", good, false},
		{"a truncated token", "refresh-A", good[:len(good)-1], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Session{Cookies: map[string]string{}, CSRF: tc.header}
			if tc.refresh != "" {
				s.Cookies[RefreshCookie] = tc.refresh
			}
			if got := s.CSRFValid(); got != tc.want {
				t.Fatalf("CSRFValid = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSetCookieAttributes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		maxAge time.Duration
		want   string
	}{
		{"a live cookie", time.Hour, "JWT=tok; Path=/api; Max-Age=3600; HttpOnly; Secure; SameSite=Strict"},
		{"a cleared cookie", 0, "JWT=; Path=/api; HttpOnly; Secure; SameSite=Strict; Max-Age=0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Session{}
			s.setCookie(AccessCookie, "tok", tc.maxAge)
			if got := s.SetCookies()[0]; got != tc.want {
				t.Fatalf("Set-Cookie %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewSessionReadsCookiesAndHeaders(t *testing.T) {
	headers := map[string]string{"authorization": "JWT x", "x-csrftoken": "c"}
	s := NewSession([]string{"JWT=a", "JWT-refresh-token=b; other=c", "JWT=second"}, func(n string) string { return headers[n] })
	if s.Cookies[AccessCookie] != "a" || s.Cookies[RefreshCookie] != "b" || s.Cookies["other"] != "c" || !s.HeaderAuth || s.CSRF != "c" {
		t.Fatalf("session %+v", s)
	}
}

func TestMemoryLimiterWindow(t *testing.T) {
	now := time.Unix(1000, 0)
	l := &MemoryLimiter{Max: 2, Window: time.Minute, Now: func() time.Time { return now }}
	for _, step := range []struct {
		name    string
		advance time.Duration
		key     string
		want    bool
	}{
		{"first attempt", 0, "u", true},
		{"second attempt", time.Second, "u", true},
		{"third within the window", time.Second, "u", false},
		{"another key", 0, "v", true},
		{"after the window", time.Minute, "u", true},
	} {
		now = now.Add(step.advance)
		if got, _ := l.Allow(context.Background(), step.key); got != step.want {
			t.Errorf("%s: Allow = %v, want %v", step.name, got, step.want)
		}
	}
}

// Ensure sign-in attempts are counted per source address over every user
// (no spraying, no spending the provider's quota for everyone), and per
// user from one address (a stranger's guesses do not lock a user out from
// elsewhere); a refresh with a junk cookie counts with the source.
func TestTokenAuthLimitsPerSourceAndPerUserFromASource(t *testing.T) {
	svc := &Service{Log: slog.New(slog.DiscardHandler),
		Limiter:       &MemoryLimiter{Max: 2, Window: time.Minute},
		SourceLimiter: &MemoryLimiter{Max: 4, Window: time.Minute},
		Signer: &Dev{Secret: []byte("s"), Password: "pw", AccessTTL: time.Hour, RefreshTTL: time.Hour,
			Users: map[string]DevUser{"alice": {Sub: "00000000-0000-4000-a000-000000000001"}}}}
	from := func(source string, cookies ...string) context.Context {
		s := NewSession(cookies, func(string) string { return "" })
		s.Source = source
		return NewContext(context.Background(), s)
	}
	for _, step := range []struct {
		name, source, user, password string
		want                         error
	}{
		{"a wrong guess", "198.51.100.7", "alice", "x", errCredentials},
		{"another", "198.51.100.7", "Alice", "x", errCredentials},
		{"the user's limit from that address", "198.51.100.7", "alice", "pw", errTooMany},
		{"the same user from elsewhere", "203.0.113.9", "alice", "pw", nil},
		{"spraying another user", "198.51.100.7", "bob", "x", errCredentials},
		{"the source's limit, whatever the user", "198.51.100.7", "carol", "x", errTooManyHere},
	} {
		_, err := svc.TokenAuth(from(step.source), step.user, step.password)
		if err != step.want {
			t.Errorf("%s: err %v, want %v", step.name, err, step.want)
		}
	}
	if _, err := svc.RefreshToken(from("198.51.100.7", RefreshCookie+"=junk")); err != errTooManyHere {
		t.Errorf("refresh from the limited source: err %v, want %v", err, errTooManyHere)
	}
	if _, err := svc.RefreshToken(from("203.0.113.9", RefreshCookie+"=junk")); err != errNoSession {
		t.Errorf("refresh with a junk cookie from elsewhere: err %v, want %v", err, errNoSession)
	}
}

func TestDevSignerRefusesWrongAndRefreshesRight(t *testing.T) {
	d := &Dev{Secret: []byte("s"), Password: "pw", AccessTTL: time.Hour, RefreshTTL: time.Hour,
		Users: map[string]DevUser{"alice": {Sub: "00000000-0000-4000-a000-000000000001"}}}
	for _, tc := range []struct{ name, user, pw string }{{"unknown user", "mallory", "pw"}, {"wrong password", "alice", "px"}} {
		if _, err := d.SignIn(context.Background(), tc.user, tc.pw); !errors.Is(err, ErrCredentials) {
			t.Errorf("%s: err %v, want ErrCredentials", tc.name, err)
		}
	}
	tok, err := d.SignIn(context.Background(), "alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Refresh(context.Background(), tok.Access); !errors.Is(err, ErrCredentials) {
		t.Errorf("an access token used as refresh token: err %v, want ErrCredentials", err)
	}
	if r, err := d.Refresh(context.Background(), tok.Refresh); err != nil || r.Access == "" || !r.RefreshExpires.Equal(tok.RefreshExpires.Truncate(time.Second)) {
		t.Errorf("refresh: %+v, %v", r, err)
	}
}

// TestCognitoSignerAgainstMoto signs in through the user pool API as the
// deployed function does (USER_PASSWORD_AUTH), then refreshes. moto 5.1
// does not serve RevokeToken (HTTP 500), so sign-out's revocation is
// exercised in AWS only; sign-out clears the cookies either way.
func TestCognitoSignerAgainstMoto(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	c := cip.NewFromConfig(cfg)
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("openimis-test")})
	if err != nil {
		t.Fatal(err)
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("web"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String("officer")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool.UserPool.Id, Username: aws.String("officer"),
		Password: aws.String("Correct-Horse-1"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	s := &Cognito{API: c, ClientID: aws.ToString(client.UserPoolClient.ClientId), RefreshTTL: 24 * time.Hour}
	for _, tc := range []struct{ name, user, pw string }{{"wrong password", "officer", "nope"}, {"unknown user", "nobody", "Correct-Horse-1"}} {
		if _, err := s.SignIn(ctx, tc.user, tc.pw); !errors.Is(err, ErrCredentials) {
			t.Errorf("%s: err %v, want ErrCredentials", tc.name, err)
		}
	}
	tok, err := s.SignIn(ctx, "officer", "Correct-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(tok.Access, ".") != 2 || tok.Refresh == "" || !tok.AccessExpires.After(time.Now()) {
		t.Fatalf("tokens %+v", tok)
	}
	if r, err := s.Refresh(ctx, tok.Refresh); err != nil || r.Access == "" {
		t.Fatalf("refresh: %+v, %v", r, err)
	}
}

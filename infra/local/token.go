package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Local token defaults, shared by the token command and the gateway's
// verifier so that a token printed by one is accepted by the other.
const (
	defaultJWTSecret   = "redress-local-dev-secret"
	defaultJWTIssuer   = "redress-local"
	defaultJWTAudience = "redress"
)

// userNamespace is the UUID namespace of local users' subjects:
// uuid.NewSHA1(uuid.NameSpaceDNS, "users.redress.local"). A username
// always gets the same sub, so the seed's staff records (alice, bob,
// carol) are the people their tokens sign in as.
var userNamespace = uuid.MustParse("2795dbf6-ce0b-5425-9ff7-4526c5c182ed")

// userID returns the stable subject of a local username.
func userID(username string) string {
	return uuid.NewSHA1(userNamespace, []byte(username)).String()
}

type tokenRequest struct {
	Username string
	Groups   []string
	Sub      string
	Rights   string
	TTL      time.Duration
	Issuer   string
	Audience string
	Now      time.Time
}

// signToken returns an HS256 JWT shaped like a Cognito ID token as the API
// sees it: sub, username, cognito:groups, and optionally custom:rights.
func signToken(secret []byte, r tokenRequest) (string, error) {
	if r.Username == "" {
		return "", fmt.Errorf("token: a username is required")
	}
	sub := r.Sub
	if sub == "" {
		sub = userID(r.Username)
	}
	groups := r.Groups
	if groups == nil {
		groups = []string{}
	}
	claims := jwt.MapClaims{
		"sub":            sub,
		"username":       r.Username,
		"cognito:groups": groups,
		"iat":            r.Now.Unix(),
		"exp":            r.Now.Add(r.TTL).Unix(),
	}
	if r.Rights != "" {
		claims["custom:rights"] = r.Rights
	}
	if r.Issuer != "" {
		claims["iss"] = r.Issuer
	}
	if r.Audience != "" {
		claims["aud"] = r.Audience
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return tok, nil
}

func tokenCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: local token -username NAME [-groups G1,G2] [-sub UUID] [-rights 127000,127001] [-ttl 1h]\n\n"+
			"Prints an HS256 JWT signed with $JWT_SECRET (default %q).\n"+
			"The sub of a username is stable (UUID v5), matching the seed's staff users.\n\n", defaultJWTSecret)
		fs.PrintDefaults()
	}
	var (
		r      tokenRequest
		groups string
	)
	fs.StringVar(&r.Username, "username", "", "username (required)")
	fs.StringVar(&groups, "groups", "", "comma-separated Cognito groups, e.g. GrievanceOfficer,GrievanceAdmin")
	fs.StringVar(&r.Sub, "sub", "", "subject UUID (default: stable UUID of the username)")
	fs.StringVar(&r.Rights, "rights", "", "comma-separated rights for the custom:rights claim, e.g. 127000,127001")
	fs.DurationVar(&r.TTL, "ttl", time.Hour, "lifetime of the token")
	fs.StringVar(&r.Issuer, "iss", envOr(getenv, "JWT_ISSUER", defaultJWTIssuer), "issuer (iss)")
	fs.StringVar(&r.Audience, "aud", envOr(getenv, "JWT_AUDIENCE", defaultJWTAudience), "audience (aud)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if r.Username == "" {
		fs.Usage()
		return fmt.Errorf("token: -username is required")
	}
	if r.Sub != "" {
		if _, err := uuid.Parse(r.Sub); err != nil {
			return fmt.Errorf("token: -sub %q is not a UUID", r.Sub)
		}
	}
	for _, g := range strings.Split(groups, ",") {
		if g = strings.TrimSpace(g); g != "" {
			r.Groups = append(r.Groups, g)
		}
	}
	r.Now = time.Now()
	tok, err := signToken([]byte(envOr(getenv, "JWT_SECRET", defaultJWTSecret)), r)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

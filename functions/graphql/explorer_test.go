package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/gql"
)

func getEvent(accept string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		RouteKey: "GET /api/graphql",
		Headers:  map[string]string{"accept": accept},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-explorer",
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodGet, Path: "/api/graphql"},
		},
	}
	return ev
}

// Ensure the function serves the explorer page only when EXPLORER is on,
// and only to browsers: off (the default of deployed stages) every GET is
// the 405 it always was, and GraphQL clients' GETs stay 405 either way.
func TestExplorer_ServedOnlyWhenSwitchedOn(t *testing.T) {
	const browser = "text/html,application/xhtml+xml,*/*;q=0.8"
	for _, tt := range []struct {
		env      string
		accept   string
		wantCode int
	}{
		{"", browser, http.StatusMethodNotAllowed},
		{"false", browser, http.StatusMethodNotAllowed},
		{"true", browser, http.StatusOK},
		{"true", "application/json", http.StatusMethodNotAllowed},
	} {
		page, err := explorerPage(func(k string) string {
			if k == "EXPLORER" {
				return tt.env
			}
			return ""
		})
		if err != nil {
			t.Fatal(err)
		}
		m := newMemHandler(t, gql.Options{})
		m.h.Explorer = page
		resp, err := m.h.Handle(context.Background(), getEvent(tt.accept))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tt.wantCode {
			t.Fatalf("EXPLORER=%q Accept %q: status %d, want %d", tt.env, tt.accept, resp.StatusCode, tt.wantCode)
		}
		if tt.wantCode != http.StatusOK {
			continue
		}
		if ct := resp.Headers["content-type"]; !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("content-type=%q, want HTML", ct)
		}
		if !strings.Contains(resp.Headers["content-security-policy"], "default-src 'none'") {
			t.Fatal("page served without the policy that keeps it to its own origin")
		}
		if !strings.Contains(resp.Body, `id="token"`) || !strings.Contains(resp.Body, "docs/deploy.md") {
			t.Fatal("page lacks the token field or where a deployed stage's token comes from")
		}
	}
}

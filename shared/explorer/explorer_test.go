package explorer_test

import (
	"strings"
	"testing"

	"github.com/redress-grm/redress/shared/explorer"
)

// Ensure a browser's navigation asks for the page and GraphQL clients'
// requests do not.
func TestAcceptsHTML(t *testing.T) {
	for accept, want := range map[string]bool{
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": true,
		"TEXT/HTML":                              true,
		"application/json":                       false,
		"application/graphql-response+json, */*": false,
		"":                                       false,
		"*/*":                                    false,
	} {
		if got := explorer.AcceptsHTML(accept); got != want {
			t.Errorf("AcceptsHTML(%q)=%v, want %v", accept, got, want)
		}
	}
}

// Ensure the configured endpoint and hint reach the page escaped: a hint
// is shown as text, never run as markup.
func TestRender_ShowsEndpointAndHintAsText(t *testing.T) {
	page, err := explorer.Render(explorer.Config{Endpoint: "/api/graphql", TokenHint: `JWT_SECRET=<secret> go run ./infra/local token`})
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if !strings.Contains(s, `<code id="endpoint">/api/graphql</code>`) {
		t.Error("endpoint missing from the page")
	}
	if !strings.Contains(s, "JWT_SECRET=&lt;secret&gt; go run ./infra/local token") || strings.Contains(s, "<secret>") {
		t.Error("token hint not shown escaped")
	}
}

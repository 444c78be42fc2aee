// Package explorer is the GraphQL explorer page: a query editor with a
// bearer-token field, served by the local stack and, when a deployment
// turns it on, by the graphql function.
//
// The page is written here, inline CSS and script, rather than vendored
// from a GraphQL IDE: it must work offline and on a fresh CI machine, and
// a page of its own needs neither a CDN nor a JavaScript build.
package explorer

import (
	"bytes"
	_ "embed"
	"html/template"
	"mime"
	"strings"
)

//go:embed explorer.html
var pageHTML string

var pageTemplate = template.Must(template.New("explorer").Parse(pageHTML))

// Config is what the page shows and where it sends queries.
type Config struct {
	// Endpoint is the GraphQL path the page posts to.
	Endpoint string
	// TokenHint tells where a token comes from (locally the command that
	// prints one).
	TokenHint string
}

// Render returns the page.
func Render(c Config) ([]byte, error) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ContentSecurityPolicy lets the page talk to its own origin only; the
// browser then enforces what the page promises, so an accidental external
// asset fails loudly instead of quietly needing the network.
const ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'"

// AcceptsHTML reports whether an Accept header asks for HTML, as a
// browser's navigation does and a GraphQL client's request does not.
func AcceptsHTML(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/html" {
			return true
		}
	}
	return false
}

// Package explorer is the GraphQL explorer page: a query editor with a
// bearer-token field, served by the local stack and, when a deployment
// turns it on, by the graphql function.
//
// The page is written here, inline CSS and script, rather than vendored
// from a GraphQL IDE: it must work offline and on a fresh CI machine, and
// a page of its own needs neither a CDN nor a JavaScript build.
package explorer

import (
	_ "embed"
	"html"
	"mime"
	"strings"
)

//go:embed explorer.html
var pageHTML string

// Config is what the page shows and where it sends queries.
type Config struct {
	// Endpoint is the GraphQL path the page posts to.
	Endpoint string
	// TokenHint tells where a token comes from (locally the command that
	// prints one).
	TokenHint string
}

// Render returns the page. Its two values stand in element text only, so
// escaping them for HTML text is all html/template would do here; the
// graphql function links this package, and html/template keeps the linker
// from dropping unused methods (about 10 MB of the bootstrap).
func Render(c Config) ([]byte, error) {
	r := strings.NewReplacer("{{.Endpoint}}", html.EscapeString(c.Endpoint), "{{.TokenHint}}", html.EscapeString(c.TokenHint))
	return []byte(r.Replace(pageHTML)), nil
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

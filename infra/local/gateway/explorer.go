package gateway

import (
	"bytes"
	_ "embed"
	"html/template"
	"mime"
	"net/http"
	"strings"
)

// The explorer page is written here, inline CSS and script, rather than
// vendored from a GraphQL IDE: the stack must work offline and on a fresh
// CI machine, and a page of its own needs neither a CDN nor a JavaScript
// build.
//
//go:embed explorer.html
var explorerHTML string

var explorerTemplate = template.Must(template.New("explorer").Parse(explorerHTML))

// ExplorerConfig turns on the explorer page.
type ExplorerConfig struct {
	// Endpoint is the GraphQL path the page posts to.
	Endpoint string
	// TokenCommand is the command shown on the page that prints a token.
	TokenCommand string
}

func renderExplorer(c ExplorerConfig) ([]byte, error) {
	var b bytes.Buffer
	if err := explorerTemplate.Execute(&b, c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// wantsExplorer reports whether a request asks for the page: GET / always,
// GET on a GraphQL path only from a browser (Accept: text/html), so a GET
// from a GraphQL client there still gets API Gateway's 404.
func (g *Gateway) wantsExplorer(r *http.Request) bool {
	if g.explorer == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	if r.URL.Path == "/" {
		return true
	}
	return g.routes[http.MethodPost+" "+r.URL.Path] && acceptsHTML(r.Header.Get("Accept"))
}

func acceptsHTML(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/html" {
			return true
		}
	}
	return false
}

func (g *Gateway) serveExplorer(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page talks to its own origin only; the policy makes that a rule
	// the browser enforces, so an accidental external asset fails loudly.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(g.explorer)
	}
}

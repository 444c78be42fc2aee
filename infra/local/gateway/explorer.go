package gateway

import (
	"net/http"

	"github.com/redress-grm/redress/shared/explorer"
)

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
	return g.routes[http.MethodPost+" "+r.URL.Path] && explorer.AcceptsHTML(r.Header.Get("Accept"))
}

func (g *Gateway) serveExplorer(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", explorer.ContentSecurityPolicy)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(g.explorer)
	}
}

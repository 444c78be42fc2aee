package main

import (
	"bytes"
	"context"
	"html/template"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
)

// The web form is plain HTML that posts to POST /intake: it works without
// JavaScript, loads nothing from elsewhere (the policy forbids it) and
// carries a fresh idempotency key, so a double submit or a reload files
// one complaint.

var pages = template.Must(template.New("form").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>File a complaint</title>
<style>body{font-family:sans-serif;max-width:40em;margin:1em auto;padding:0 1em}label{display:block;margin-top:.8em}input,select,textarea{width:100%;box-sizing:border-box}</style>
</head><body>
<h1>File a complaint</h1>
<p>Tell us what happened. You may stay anonymous; then we cannot contact you, but you can follow your case with the code and secret you receive.</p>
<form id="intake" method="post" action="intake">
<input type="hidden" name="idempotency_key" value="{{.Key}}">
<label for="category">What is it about?</label>
<select id="category" name="category" required>{{range .Categories}}<option>{{.}}</option>{{end}}</select>
<label for="description">What happened?</label>
<textarea id="description" name="description" rows="6" maxlength="10000" required></textarea>
<label for="title">Short title (optional)</label>
<input id="title" name="title" maxlength="255">
<label><input type="checkbox" id="anonymous" name="anonymous" value="true" style="width:auto"> Stay anonymous (we keep no contact details)</label>
<fieldset><legend>How can we reach you? (optional)</legend>
<label for="contact.name">Name</label><input id="contact.name" name="contact.name" maxlength="255">
<label for="contact.phone">Phone</label><input id="contact.phone" name="contact.phone" type="tel" maxlength="32">
<label for="contact.email">E-mail</label><input id="contact.email" name="contact.email" type="email" maxlength="254">
<label for="contact.location">Where do you live? (Region/District/Village)</label><input id="contact.location" name="contact.location" maxlength="500">
</fieldset>
<p><button id="send" type="submit">Send</button></p>
</form>
` + trackForm + `
</body></html>
`))

// trackForm follows a case without JavaScript: it posts to POST /track,
// which answers a form post with a page.
const trackForm = `<h2>Follow your case</h2>
<form id="track" method="post" action="track">
<label for="code">Case code</label><input id="code-input" name="code" maxlength="32" required>
<label for="secret-input">Tracking secret</label><input id="secret-input" name="secret" maxlength="32" autocomplete="off" required>
<p><button id="follow" type="submit">Show my case</button></p>
</form>`

var tracked = template.Must(template.New("track").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Case {{.Code}}</title></head><body>
<h1 id="title">Case {{.Code}}</h1>
<p>Status: <strong id="status">{{.Status}}</strong></p>
<p>Received: {{.DateCreated.Format "2006-01-02"}}{{if .DueDate}}; due by <span id="due">{{.DueDate}}</span>{{end}}</p>
{{range .Comments}}<p class="comment">{{.Date.Format "2006-01-02"}}: {{.Text}}</p>
{{else}}<p id="no-comments">No news yet.</p>{{end}}
</body></html>
`))

var result = template.Must(template.New("result").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title></head><body>
<h1 id="title">{{.Title}}</h1>
<p id="message">{{.Message}}</p>
{{if .Code}}<p>Case code: <strong id="code">{{.Code}}</strong></p>{{end}}
{{if .Secret}}<p>Tracking secret: <strong id="secret">{{.Secret}}</strong></p>
<p>To follow your case, enter the code and the secret below, or send by SMS: STATUS {{.Code}} {{.Secret}}</p>{{end}}
` + trackForm + `
</body></html>
`))

func (h *Handler) form(ctx context.Context, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	cfg, err := h.Service.Config(ctx)
	if err != nil {
		return h.failure(ctx, err)
	}
	var b bytes.Buffer
	if err := pages.Execute(&b, map[string]any{"Key": "form-" + h.NewID(), "Categories": cfg.GrievanceTypes}); err != nil {
		return h.failure(ctx, err)
	}
	return htmlPage(http.StatusOK, b.String())
}

func trackPage(v *grievance.PublicView) string {
	var b bytes.Buffer
	_ = tracked.Execute(&b, v)
	return b.String()
}

func resultPage(title, message, code, secret string) string {
	var b bytes.Buffer
	_ = result.Execute(&b, map[string]string{"Title": title, "Message": message, "Code": code, "Secret": secret})
	return b.String()
}

func htmlPage(status int, body string) events.APIGatewayV2HTTPResponse {
	h := baseHeaders("text/html; charset=utf-8")
	h["content-security-policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: h, Body: body}
}

package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
)

// service is what the handler needs from the domain.
type service interface {
	Intake(ctx context.Context, req grievance.IntakeRequest) (*grievance.IntakeResult, error)
	Track(ctx context.Context, code, secret string) (*grievance.PublicView, error)
	RateTracked(ctx context.Context, source, code, secret string, rating int) (*grievance.PublicView, *grievance.RatingResult, error)
	InboundSMS(ctx context.Context, source, messageID, from, text string) (string, error)
	Config(ctx context.Context) (*grievance.Config, error)
}

// limiter counts requests per key in a sliding window (store.Allow).
type limiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error)
}

// Limits are the abuse limits of the public routes (docs/intake.md).
type Limits struct {
	// Window is the length of every rate-limit window.
	Window time.Duration
	// IntakePerSource, TrackPerSource and WebhookPerSender bound the
	// requests of one source address (one sender number for webhooks)
	// per window; IntakeTotal bounds all intake requests per window.
	IntakePerSource int
	TrackPerSource  int
	// TrackPerCode bounds one source's attempts on one code per window,
	// below the failures that lock the code
	// (intake.tracking_max_failures, counted over its lockout's length):
	// one address alone cannot lock a complainant out of their case.
	TrackPerCode     int
	WebhookPerSender int
	IntakeTotal      int
	// MaxBody is the largest request body in bytes.
	MaxBody int
	// ProofBits, when above 0, requires a proof of work on POST /intake
	// (docs/intake.md); 0 turns the hook off.
	ProofBits int
}

// DefaultLimits are the documented defaults.
var DefaultLimits = Limits{Window: 10 * time.Minute, IntakePerSource: 10, TrackPerSource: 30, TrackPerCode: 8,
	WebhookPerSender: 10, IntakeTotal: 2000, MaxBody: 64 << 10}

// Handler serves the public routes of the HTTP API (payload 2.0), which
// have no JWT authorizer: the web form and its JSON API, tracking, and
// the Twilio inbound-SMS webhook.
type Handler struct {
	Service service
	Limiter limiter
	Limits  Limits
	// WebhookToken returns the Twilio auth token (from Secrets Manager).
	WebhookToken func(ctx context.Context) (string, error)
	// PublicURL, when set, is the API's base URL as providers call it
	// (e.g. https://grm.example.org); else it is taken from the request.
	PublicURL string
	Log       *slog.Logger
	Now       func() time.Time
	NewID     func() string
}

// Routes of the function.
const (
	routeForm    = "GET /intake"
	routeIntake  = "POST /intake"
	routeTrack   = "POST /track"
	routeWebhook = "POST /webhooks/twilio"
)

// Routes lists every route the function serves, for the API's wiring.
var Routes = []string{routeForm, routeIntake, routeTrack, routeWebhook}

// Handle serves one request.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := h.Now()
	resp := h.serveSafely(ctx, ev)
	// No body, address or number is logged: they are personal data.
	h.Log.InfoContext(ctx, "request", "requestId", ev.RequestContext.RequestID, "route", ev.RouteKey,
		"status", resp.StatusCode, "ms", float64(h.Now().Sub(start).Microseconds())/1000)
	return resp, nil
}

func (h *Handler) serveSafely(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse) {
	defer func() {
		if x := recover(); x != nil {
			h.Log.ErrorContext(ctx, "panic serving request", "panic", x, "stack", string(debug.Stack()))
			resp = jsonError(http.StatusInternalServerError, grievance.CodeInternal, "Internal error.")
		}
	}()
	route := ev.RequestContext.HTTP.Method + " " + ev.RequestContext.HTTP.Path
	if ev.RouteKey != "" && ev.RouteKey != "$default" {
		route = ev.RouteKey
	}
	switch route {
	case routeForm:
		return h.form(ctx, ev)
	case routeIntake, routeTrack, routeWebhook:
	default:
		return jsonError(http.StatusNotFound, grievance.CodeNotFound, "Not found.")
	}
	body, resp, ok := h.body(ev)
	if !ok {
		return resp
	}
	switch route {
	case routeIntake:
		return h.intake(ctx, ev, body)
	case routeTrack:
		return h.track(ctx, ev, body)
	}
	return h.webhook(ctx, ev, body)
}

// body returns the request body within the size limit.
func (h *Handler) body(ev events.APIGatewayV2HTTPRequest) ([]byte, events.APIGatewayV2HTTPResponse, bool) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, jsonError(http.StatusBadRequest, grievance.CodeInvalid, "The request body is not valid base64."), false
		}
		body = b
	}
	if len(body) > h.Limits.MaxBody {
		return nil, jsonError(http.StatusRequestEntityTooLarge, grievance.CodeLimit,
			fmt.Sprintf("The request body is larger than the limit of %d bytes.", h.Limits.MaxBody)), false
	}
	return body, events.APIGatewayV2HTTPResponse{}, true
}

// allow applies one rate limit; key is hashed so that no address or phone
// number is stored.
func (h *Handler) allow(ctx context.Context, key string, limit int) (bool, events.APIGatewayV2HTTPResponse) {
	sum := sha256.Sum256([]byte(key))
	ok, err := h.Limiter.Allow(ctx, hex.EncodeToString(sum[:12]), limit, h.Limits.Window, h.Now())
	if err != nil {
		return false, h.failure(ctx, err)
	}
	if !ok {
		r := jsonError(http.StatusTooManyRequests, grievance.CodeLimit, "Too many requests; try again later.")
		r.Headers["retry-after"] = strconv.Itoa(int(h.Limits.Window.Seconds()))
		return false, r
	}
	return true, events.APIGatewayV2HTTPResponse{}
}

func sourceIP(ev events.APIGatewayV2HTTPRequest) string { return ev.RequestContext.HTTP.SourceIP }

// intakeBody is the wire form of POST /intake (docs/intake.md).
type intakeBody struct {
	Category           string       `json:"category"`
	Description        string       `json:"description"`
	Title              string       `json:"title"`
	Channel            string       `json:"channel"`
	Language           string       `json:"language"`
	Anonymous          bool         `json:"anonymous"`
	Contact            *contactBody `json:"contact"`
	ReporterExternalID string       `json:"reporter_external_id"`
}

type contactBody struct {
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Email    string `json:"email"`
	Sex      string `json:"sex"`
	AgeBand  string `json:"age_band"`
	Location string `json:"location"`
}

// formFields are the form's names: the JSON names, contact fields as
// contact.<name>, plus the form's own idempotency key and proof.
var formFields = map[string]bool{"category": true, "description": true, "title": true, "channel": true,
	"language": true, "anonymous": true, "reporter_external_id": true, "idempotency_key": true, "proof": true,
	"contact.name": true, "contact.phone": true, "contact.email": true, "contact.sex": true,
	"contact.age_band": true, "contact.location": true}

func isForm(ev events.APIGatewayV2HTTPRequest) bool {
	mt, _, _ := mime.ParseMediaType(header(ev.Headers, "content-type"))
	return mt == "application/x-www-form-urlencoded"
}

func (h *Handler) intake(ctx context.Context, ev events.APIGatewayV2HTTPRequest, body []byte) events.APIGatewayV2HTTPResponse {
	form := isForm(ev)
	fail := func(status int, code grievance.Code, msg string) events.APIGatewayV2HTTPResponse {
		if form {
			return htmlPage(status, resultPage("Your complaint was not sent", msg, "", ""))
		}
		return jsonError(status, code, msg)
	}
	// The source's own limit first: a flood from one address must be
	// refused before it spends the total and locks everyone else out.
	if ok, r := h.allow(ctx, "intake:"+sourceIP(ev), h.Limits.IntakePerSource); !ok {
		return r
	}
	var in intakeBody
	var key, proof string
	if form {
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return fail(http.StatusBadRequest, grievance.CodeInvalid, "The form data is malformed.")
		}
		for k, vs := range values {
			if !formFields[k] {
				return fail(http.StatusBadRequest, grievance.CodeInvalid, fmt.Sprintf("Unknown field %q.", k))
			}
			if len(vs) != 1 {
				return fail(http.StatusBadRequest, grievance.CodeInvalid, fmt.Sprintf("Field %q is sent more than once.", k))
			}
		}
		get := values.Get
		in = intakeBody{Category: get("category"), Description: get("description"), Title: get("title"),
			Channel: get("channel"), Language: get("language"), ReporterExternalID: get("reporter_external_id")}
		switch get("anonymous") {
		case "", "false", "off", "0":
		case "true", "on", "1":
			in.Anonymous = true
		default:
			return fail(http.StatusBadRequest, grievance.CodeInvalid, "anonymous must be true or false.")
		}
		c := contactBody{Name: get("contact.name"), Phone: get("contact.phone"), Email: get("contact.email"),
			Sex: get("contact.sex"), AgeBand: get("contact.age_band"), Location: get("contact.location")}
		if c != (contactBody{}) {
			in.Contact = &c
		}
		key, proof = get("idempotency_key"), get("proof")
		if key == "" {
			key = header(ev.Headers, "idempotency-key")
		}
		if key == "" {
			// A form posted without the key its page carries (a hand-made
			// form) is still filed once per request.
			key = "form-" + h.NewID()
		}
	} else {
		mt, _, _ := mime.ParseMediaType(header(ev.Headers, "content-type"))
		if mt != "application/json" {
			return fail(http.StatusUnsupportedMediaType, grievance.CodeInvalid, "Send application/json or application/x-www-form-urlencoded.")
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return fail(http.StatusBadRequest, grievance.CodeInvalid, "The body is not a complaint: "+jsonProblem(err))
		}
		if dec.More() {
			return fail(http.StatusBadRequest, grievance.CodeInvalid, "The body holds more than one JSON value.")
		}
		key, proof = header(ev.Headers, "idempotency-key"), header(ev.Headers, "x-proof-of-work")
		if key == "" {
			return fail(http.StatusBadRequest, grievance.CodeInvalid, "The Idempotency-Key header is required.")
		}
	}
	if h.Limits.ProofBits > 0 && !validProof(key, proof, h.Limits.ProofBits) {
		return fail(http.StatusForbidden, grievance.CodeForbidden, fmt.Sprintf("A proof of work of %d bits is required (docs/intake.md).", h.Limits.ProofBits))
	}
	// The total last: malformed requests, and those without the proof
	// when one is required, must not spend it.
	if ok, r := h.allow(ctx, "intake:*", h.Limits.IntakeTotal); !ok {
		return r
	}
	req := grievance.IntakeRequest{Source: grievance.SourceWeb, MessageID: key, Category: in.Category,
		Description: in.Description, Title: in.Title, Channel: in.Channel, Language: in.Language,
		Anonymous: in.Anonymous, ReporterExternalID: in.ReporterExternalID}
	if c := in.Contact; c != nil {
		req.Contact = &grievance.Contact{Name: c.Name, Phone: c.Phone, Email: c.Email, Sex: c.Sex, AgeBand: c.AgeBand, Location: c.Location}
	}
	res, err := h.Service.Intake(ctx, req)
	if err != nil {
		if c := grievance.ErrorCode(err); c == grievance.CodeInvalid {
			return fail(http.StatusBadRequest, c, grievance.ErrorMessage(err))
		}
		return h.failure(ctx, err)
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	if form {
		if !res.Created {
			return htmlPage(status, resultPage("Already received", "This complaint was already received as case "+res.Code+". The tracking secret was shown when it was first sent.", res.Code, ""))
		}
		return htmlPage(status, resultPage("Complaint received", "Keep the case code and the tracking secret: you need both to follow your case.", res.Code, res.Secret))
	}
	out := map[string]string{"code": res.Code}
	if res.Created {
		out["trackingSecret"] = res.Secret
	}
	return jsonResponse(status, out)
}

// jsonProblem describes a JSON decoding error without repeating input.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type.", te.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ") + "."
	}
	return "malformed JSON."
}

// validProof checks the proof-of-work hook: SHA-256 of key ":" proof must
// start with bits zero bits.
func validProof(key, proof string, bitsWanted int) bool {
	if proof == "" || len(proof) > 64 {
		return false
	}
	sum := sha256.Sum256([]byte(key + ":" + proof))
	zero := 0
	for _, b := range sum {
		if b == 0 {
			zero += 8
			continue
		}
		zero += bits.LeadingZeros8(b)
		break
	}
	return zero >= bitsWanted
}

type trackBody struct {
	Code   string `json:"code"`
	Secret string `json:"secret"`
	// Rating (1–5, optional) rates the outcome of a resolved case.
	Rating *int `json:"rating,omitempty"`
}

type trackComment struct {
	Date string `json:"date"`
	Text string `json:"text"`
}

type trackAnswer struct {
	Code        string         `json:"code"`
	Status      string         `json:"status"`
	DateCreated string         `json:"dateCreated"`
	DueDate     *string        `json:"dueDate"`
	Comments    []trackComment `json:"comments"`
	// Rating echoes a rating the request recorded.
	Rating *int `json:"rating,omitempty"`
}

func (h *Handler) track(ctx context.Context, ev events.APIGatewayV2HTTPRequest, body []byte) events.APIGatewayV2HTTPResponse {
	if ok, r := h.allow(ctx, "track:"+sourceIP(ev), h.Limits.TrackPerSource); !ok {
		return r
	}
	var in trackBody
	if isForm(ev) {
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return jsonError(http.StatusBadRequest, grievance.CodeInvalid, "The form data is malformed.")
		}
		in = trackBody{Code: values.Get("code"), Secret: values.Get("secret")}
		if r := values.Get("rating"); r != "" {
			n, err := strconv.Atoi(r)
			if err != nil {
				return jsonError(http.StatusBadRequest, grievance.CodeInvalid, "A rating is a number from 1 to 5.")
			}
			in.Rating = &n
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || dec.More() {
			return jsonError(http.StatusBadRequest, grievance.CodeInvalid, "Send {\"code\": \"GRS…\", \"secret\": \"…\"} (and optionally \"rating\": 1 to 5).")
		}
	}
	if in.Rating != nil && (*in.Rating < 1 || *in.Rating > 5) {
		return jsonError(http.StatusBadRequest, grievance.CodeInvalid, "A rating is a number from 1 to 5.")
	}
	form := isForm(ev)
	missing := func() events.APIGatewayV2HTTPResponse {
		if form {
			return htmlPage(http.StatusNotFound, resultPage("Not found", "No case has this code and secret.", "", ""))
		}
		return notFound()
	}
	if len(in.Code) > 32 || len(in.Secret) > 32 {
		return missing()
	}
	// Any code, known or not, so the answer tells nothing of it.
	if ok, r := h.allow(ctx, "track:"+grievance.TypedCode(in.Code)+"@"+sourceIP(ev), h.Limits.TrackPerCode); !ok {
		return r
	}
	var v *grievance.PublicView
	var err error
	if in.Rating != nil {
		v, _, err = h.Service.RateTracked(ctx, grievance.SourceWeb, in.Code, in.Secret, *in.Rating)
	} else {
		v, err = h.Service.Track(ctx, in.Code, in.Secret)
	}
	if grievance.ErrorCode(err) == grievance.CodeNotFound {
		return missing()
	}
	if c := grievance.ErrorCode(err); in.Rating != nil && (c == grievance.CodeInvalid || c == grievance.CodeConflict) {
		// The secret was right: the rating itself was refused (not
		// resolved yet, rated already).
		if form {
			return htmlPage(http.StatusBadRequest, resultPage("Not recorded", grievance.ErrorMessage(err), "", ""))
		}
		return jsonError(http.StatusBadRequest, c, grievance.ErrorMessage(err))
	}
	if err != nil {
		return h.failure(ctx, err)
	}
	if form {
		return htmlPage(http.StatusOK, trackPage(v))
	}
	out := trackAnswer{Code: v.Code, Status: string(v.Status), DateCreated: v.DateCreated.UTC().Format(time.RFC3339), Comments: []trackComment{}, Rating: in.Rating}
	if v.DueDate != "" {
		out.DueDate = &v.DueDate
	}
	for _, c := range v.Comments {
		out.Comments = append(out.Comments, trackComment{Date: c.Date.UTC().Format(time.RFC3339), Text: c.Text})
	}
	return jsonResponse(http.StatusOK, out)
}

// notFound is the one answer for an unknown code and a wrong secret.
func notFound() events.APIGatewayV2HTTPResponse {
	return jsonResponse(http.StatusNotFound, map[string]string{"message": "Not found."})
}

// webhook serves Twilio's inbound-SMS webhook: a form post signed with
// X-Twilio-Signature (base64 HMAC-SHA1, keyed with the account's auth
// token, of the URL Twilio called followed by every POST parameter's name
// and value in name order). The reply goes back as TwiML.
func (h *Handler) webhook(ctx context.Context, ev events.APIGatewayV2HTTPRequest, body []byte) events.APIGatewayV2HTTPResponse {
	values, err := url.ParseQuery(string(body))
	if err != nil || !isForm(ev) {
		return jsonError(http.StatusBadRequest, grievance.CodeInvalid, "Send the provider's form post.")
	}
	token, err := h.WebhookToken(ctx)
	if err != nil {
		return h.failure(ctx, fmt.Errorf("webhook token: %w", err))
	}
	if !validTwilioSignature(token, h.requestURL(ev), values, header(ev.Headers, "x-twilio-signature")) {
		return jsonError(http.StatusForbidden, grievance.CodeForbidden, "Invalid signature.")
	}
	sid, from, text := values.Get("MessageSid"), values.Get("From"), values.Get("Body")
	if sid == "" || from == "" {
		return jsonError(http.StatusBadRequest, grievance.CodeInvalid, "MessageSid and From are required.")
	}
	if ok, r := h.allow(ctx, "webhook:"+from, h.Limits.WebhookPerSender); !ok {
		return r
	}
	reply, err := h.Service.InboundSMS(ctx, grievance.SourceTwilio, sid, from, text)
	if err != nil {
		return h.failure(ctx, err)
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK,
		Headers: map[string]string{"content-type": "text/xml; charset=utf-8", "cache-control": "no-store"},
		Body:    `<?xml version="1.0" encoding="UTF-8"?><Response><Message>` + xmlEscape(reply) + `</Message></Response>`}
}

// requestURL is the URL the provider called, as it signed it.
func (h *Handler) requestURL(ev events.APIGatewayV2HTTPRequest) string {
	base := strings.TrimRight(h.PublicURL, "/")
	if base == "" {
		proto := header(ev.Headers, "x-forwarded-proto")
		if proto == "" {
			proto = "https"
		}
		host := header(ev.Headers, "host")
		if host == "" {
			host = ev.RequestContext.DomainName
		}
		base = proto + "://" + host
	}
	u := base + ev.RawPath
	if ev.RawQueryString != "" {
		u += "?" + ev.RawQueryString
	}
	return u
}

// twilioSignature computes Twilio's request signature.
func twilioSignature(token, u string, values url.Values) string {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(u))
	for _, k := range keys {
		vs := append([]string(nil), values[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func validTwilioSignature(token, u string, values url.Values, sig string) bool {
	if token == "" || sig == "" {
		return false
	}
	return hmac.Equal([]byte(twilioSignature(token, u, values)), []byte(sig))
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// failure answers an error that is not the client's: coded, without the
// cause, which is logged.
func (h *Handler) failure(ctx context.Context, err error) events.APIGatewayV2HTTPResponse {
	if grievance.ErrorCode(err) == grievance.CodeUnavailable {
		h.Log.WarnContext(ctx, "dependency unavailable", "err", err)
		return jsonError(http.StatusServiceUnavailable, grievance.CodeUnavailable, "The service is busy; try again shortly.")
	}
	h.Log.ErrorContext(ctx, "intake failed", "err", err)
	return jsonError(http.StatusInternalServerError, grievance.CodeInternal, "Internal error.")
}

func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func baseHeaders(contentType string) map[string]string {
	return map[string]string{"content-type": contentType, "cache-control": "no-store",
		"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
}

func jsonResponse(status int, v any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(v)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: baseHeaders("application/json"), Body: string(b)}
}

// jsonError is the error format of the public routes: {"message", "code"}.
func jsonError(status int, code grievance.Code, msg string) events.APIGatewayV2HTTPResponse {
	return jsonResponse(status, map[string]string{"message": msg, "code": string(code)})
}

// limitsFromEnv reads the documented limits' overrides (docs/intake.md):
// INTAKE_PER_SOURCE, TRACK_PER_SOURCE, TRACK_PER_CODE, WEBHOOK_PER_SENDER, INTAKE_TOTAL,
// RATE_WINDOW_SECONDS and PROOF_OF_WORK_BITS (0, the default, is off).
func limitsFromEnv(env platform.Env) Limits {
	l := DefaultLimits
	l.IntakePerSource = env.Int("INTAKE_PER_SOURCE", l.IntakePerSource)
	l.TrackPerSource = env.Int("TRACK_PER_SOURCE", l.TrackPerSource)
	l.TrackPerCode = env.Int("TRACK_PER_CODE", l.TrackPerCode)
	l.WebhookPerSender = env.Int("WEBHOOK_PER_SENDER", l.WebhookPerSender)
	l.IntakeTotal = env.Int("INTAKE_TOTAL", l.IntakeTotal)
	l.Window = time.Duration(env.Int("RATE_WINDOW_SECONDS", int(l.Window.Seconds()))) * time.Second
	l.ProofBits = env.Int("PROOF_OF_WORK_BITS", 0)
	return l
}

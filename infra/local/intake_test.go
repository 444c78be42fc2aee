package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/infra/local/moto"
)

// Ensure the public intake works through the local stack as in AWS: a
// complaint by the JSON API, by a signed webhook and by `local sms` each
// files exactly one ticket even when redelivered; a bad signature, an
// oversized or malformed body and a flood over the rate limit are refused
// with clear errors and file nothing; tracking with the right secret shows
// the case, with a wrong one the missing ticket's answer.
func TestRun_Intake(t *testing.T) {
	root, err := moto.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	endpoint := moto.ForTest(t).Endpoint()
	c, err := configFromEnv(env(map[string]string{
		"AWS_ENDPOINT_URL":  endpoint,
		"TABLE_PREFIX":      "intake-",
		"LISTEN_ADDR":       "127.0.0.1:0",
		"DLQ_DIR":           t.TempDir(),
		"SMS_TOPIC_NAME":    "intake-sms",
		"SMS_QUEUE_NAME":    "intake-sms",
		"EVENTS_QUEUE_NAME": "intake-events",
		"INTAKE_PER_SOURCE": "8",
		"SLA_INTERVAL":      "0",
		"S3_GATE_ADDR":      "127.0.0.1:0",
	}), root)
	if err != nil {
		t.Fatal(err)
	}
	c.BinDir = t.TempDir()
	c.GraphQLConcurrency = 1
	out := &syncBuffer{}
	c.Output = out
	ctx := context.Background()
	st, err := startStack(ctx, c, slog.New(slog.NewTextHandler(out, nil)))
	if err != nil {
		t.Fatalf("%v\noutput:\n%s", err, out.String())
	}
	defer st.Stop()
	base := st.URL()

	post := func(path, contentType, body string, headers map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	complaint := `{"category": "Category A", "description": "My March payment did not arrive.", "contact": {"phone": "+258841234567"}}`
	key := map[string]string{"Idempotency-Key": "e2e-0b7f3c1e-5a4d-4f7e-9c2b"}

	// JSON API, sent twice.
	status, body := post("/intake", "application/json", complaint, key)
	var created struct{ Code, TrackingSecret string }
	if status != 201 || json.Unmarshal([]byte(body), &created) != nil || created.TrackingSecret == "" {
		t.Fatalf("intake: %d %s\noutput:\n%s", status, body, out.String())
	}
	if status, body := post("/intake", "application/json", complaint, key); status != 200 || body != `{"code":"`+created.Code+`"}` {
		t.Fatalf("redelivery: %d %s", status, body)
	}

	// Refusals: oversized, malformed, bad signature.
	for _, r := range []struct {
		name, path, ct, body string
		headers              map[string]string
		want                 int
	}{
		{"oversized", "/intake", "application/json", `{"description": "` + strings.Repeat("x", 70<<10) + `"}`, map[string]string{"Idempotency-Key": "e2e-big-0000000001"}, 413},
		{"malformed", "/intake", "application/json", `{"category": "Category A",`, map[string]string{"Idempotency-Key": "e2e-bad-0000000001"}, 400},
		{"bad signature", "/webhooks/twilio", "application/x-www-form-urlencoded", "MessageSid=SM1&From=%2B258841234567&Body=hi", map[string]string{"X-Twilio-Signature": "AAAA"}, 403},
	} {
		if status, body := post(r.path, r.ct, r.body, r.headers); status != r.want || !strings.Contains(body, `"message"`) {
			t.Fatalf("%s: %d %s, want %d with a message", r.name, status, body, r.want)
		}
	}

	// A signed webhook, sent twice.
	params := url.Values{"MessageSid": {"SMe2e0000000000000000000000000001"}, "From": {"+258841234568"},
		"To": {"+258840000001"}, "Body": {"The school fees were charged twice"}}
	sig := twilioSign(defaultWebhookToken, base+"/webhooks/twilio", params)
	for i := range 2 {
		status, body := post("/webhooks/twilio", "application/x-www-form-urlencoded", params.Encode(), map[string]string{"X-Twilio-Signature": sig})
		if status != 200 || !strings.Contains(body, "<Response><Message>") {
			t.Fatalf("webhook %d: %d %s", i, status, body)
		}
	}

	// An inbound SMS through the topic, delivered twice.
	for range 2 {
		var buf bytes.Buffer
		if err := dispatch(ctx, []string{"sms", "-from", "+258841234569", "-text", "The water point is broken", "-id", "e2e-sms-1"},
			env(map[string]string{"AWS_ENDPOINT_URL": endpoint, "SMS_TOPIC_NAME": "intake-sms"}), &buf, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(out.String(), "inbound SMS answered") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the sms function did not answer both deliveries; output:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Tracking.
	if status, body := post("/track", "application/json", `{"code":"`+created.Code+`","secret":"`+created.TrackingSecret+`"}`, nil); status != 200 || !strings.Contains(body, `"status":"RECEIVED"`) {
		t.Fatalf("track: %d %s", status, body)
	}
	wrong, _ := json.Marshal(map[string]string{"code": created.Code, "secret": "0000-0000"})
	missing, _ := json.Marshal(map[string]string{"code": "GRS09999999", "secret": created.TrackingSecret})
	for _, b := range [][]byte{wrong, missing} {
		if status, body := post("/track", "application/json", string(b), nil); status != 404 || body != `{"message":"Not found."}` {
			t.Fatalf("track %s: %d %s", b, status, body)
		}
	}

	// A flood from one address: the limit (8 per window, 2 spent above on
	// the JSON API, one on the malformed body; the oversized one is refused
	// before the limiter) holds, also when a window boundary falls between
	// those requests and the flood (the previous window still counts).
	flooded := 0
	for i := range 8 {
		status, _ := post("/intake", "application/json", complaint, map[string]string{"Idempotency-Key": "e2e-flood-" + string(rune('a'+i)) + "-0000000"})
		if status == 429 {
			flooded++
		}
	}
	if flooded == 0 {
		t.Fatal("no request of the flood was refused")
	}

	// Exactly one ticket per complaint and channel, plus the flood's that
	// got through.
	tok, err := signToken([]byte(c.JWTSecret), tokenRequest{Username: "bob", Groups: []string{"GrievanceAdmin"},
		TTL: time.Hour, Issuer: c.JWTIssuer, Audience: c.JWTAudience, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	status, body = post("/api/graphql", "application/json", `{"query":"{ tickets { totalCount } }"}`, map[string]string{"Authorization": "Bearer " + tok})
	wantTotal := 3 + 8 - flooded
	if status != 200 || !strings.Contains(body, `"totalCount":`+itoa(wantTotal)) {
		t.Fatalf("tickets: %d %s, want totalCount %d", status, body, wantTotal)
	}

	// The measures reach the statistics through the stream: every ticket
	// came through a public channel; the web's row is shown, the single
	// SMS and webhook complaints are below the threshold and left out.
	query := `{"query":"{ grievanceStatistics { intake { received bySource { key count } suppressedBelow } } }"}`
	want := `{"data":{"grievanceStatistics":{"intake":{"bySource":[{"count":` + itoa(wantTotal-2) + `,"key":"web"}],"received":` + itoa(wantTotal) + `,"suppressedBelow":5}}}}`
	deadline = time.Now().Add(30 * time.Second)
	for {
		_, body = post("/api/graphql", "application/json", query, map[string]string{"Authorization": "Bearer " + tok})
		if body == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("statistics %s, want %s", body, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// twilioSign signs a webhook as Twilio does (docs/intake.md), independently
// of the function's code.
func twilioSign(token, u string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := u
	for _, k := range keys {
		s += k + params.Get(k)
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

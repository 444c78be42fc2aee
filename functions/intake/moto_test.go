package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

var tableSeq atomic.Int64

// motoHandlers returns handlers standing for two Lambda containers of the
// intake function over one set of fresh tables and a webhook secret in
// moto's Secrets Manager, wired as main.go wires them.
func motoHandlers(t *testing.T, limits Limits) (*Handler, *Handler, *store.Store) {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("in%d-%d-", os.Getpid(), tableSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	arn, err := bootstrap.PutSecret(ctx, cfg, "intake-test-token", testToken)
	if err != nil {
		t.Fatal(err)
	}
	handler := func() *Handler {
		// The function's calls are recorded for the permission check
		// (REDRESS_CALL_LOG); the test's own go through cfg.
		c := cfg.Copy()
		platform.RecordIntakeCalls(&c, "intake", names, arn)
		st := store.New(c, names)
		return &Handler{
			Service:      grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{Tracking: st, Directory: st, OptOuts: st}),
			Limiter:      st,
			Limits:       limits,
			WebhookToken: cachedSecret(secretsmanager.NewFromConfig(c), arn, 5*time.Minute, time.Now),
			Log:          slog.New(slog.DiscardHandler), Now: time.Now, NewID: uuid.NewString,
		}
	}
	return handler(), handler(), store.New(cfg, names)
}

func call(t *testing.T, h *Handler, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Ensure every public route works over DynamoDB and Secrets Manager (moto)
// as deployed: a complaint sent to two containers files one ticket, the
// secret tracks it and a wrong one does not, a signed webhook is filed
// once and a forged one refused, and the per-source limit holds across
// both containers.
func TestPublicRoutes_OverMoto(t *testing.T) {
	limits := DefaultLimits
	limits.IntakePerSource = 5
	a, b, st := motoHandlers(t, limits)
	ctx := context.Background()

	// A registry id is looked up in the directory's index.
	if r := call(t, a, jsonIntake("moto-key-reg-000001", `{"category": "Default", "description": "x", "reporter_external_id": "REG-9"}`)); r.StatusCode != 201 {
		t.Fatalf("intake with a registry id: %d %s", r.StatusCode, r.Body)
	}
	first := call(t, a, jsonIntake("moto-key-0000000001", goodComplaint))
	again := call(t, b, jsonIntake("moto-key-0000000001", goodComplaint))
	var code, secret string
	if _, err := fmt.Sscanf(strings.NewReplacer(`{"code":"`, "", `","trackingSecret":"`, " ", `"}`, "").Replace(first.Body), "%s %s", &code, &secret); err != nil || first.StatusCode != 201 {
		t.Fatalf("intake: %d %s", first.StatusCode, first.Body)
	}
	if again.StatusCode != 200 || again.Body != `{"code":"`+code+`"}` {
		t.Fatalf("redelivery to the other container: %d %s", again.StatusCode, again.Body)
	}

	ok := call(t, b, request(routeTrack, "application/json", `{"code":"`+code+`","secret":"`+secret+`"}`, nil))
	wrong := call(t, a, request(routeTrack, "application/json", `{"code":"`+code+`","secret":"0000-0000"}`, nil))
	if ok.StatusCode != 200 || !strings.Contains(ok.Body, `"status":"RECEIVED"`) || wrong.StatusCode != 404 {
		t.Fatalf("track: %d %s / %d %s", ok.StatusCode, ok.Body, wrong.StatusCode, wrong.Body)
	}

	// Staff resolve the case; the tracking endpoint takes a rating with
	// the secret (the ticket found by number, rated in a logged mutation).
	resolveOverMoto(t, st, code)
	if r := call(t, a, request(routeTrack, "application/json", `{"code":"`+code+`","secret":"`+secret+`","rating":4}`, nil)); r.StatusCode != 200 || !strings.Contains(r.Body, `"rating":4`) {
		t.Fatalf("track with a rating: %d %s", r.StatusCode, r.Body)
	}
	// STOP and START by the webhook write and delete the opt-out.
	for i, text := range []string{"STOP", "START"} {
		p := url.Values{"MessageSid": {fmt.Sprintf("SMmotoopt%025d", i)}, "From": {"+258841234567"}, "Body": {text}}
		ev := request(routeWebhook, "application/x-www-form-urlencoded", p.Encode(), nil)
		ev.Headers["x-twilio-signature"] = twilioSignature(testToken, "http://127.0.0.1:8080/webhooks/twilio", p)
		if r := call(t, a, ev); r.StatusCode != 200 || !strings.Contains(r.Body, "Send ") {
			t.Fatalf("webhook %s: %d %s", text, r.StatusCode, r.Body)
		}
	}

	params := url.Values{"MessageSid": {"SMmoto0000000000000000000000000001"}, "From": {"+258841234567"}, "Body": {"The school charged fees twice"}}
	signed := request(routeWebhook, "application/x-www-form-urlencoded", params.Encode(), nil)
	signed.Headers["x-twilio-signature"] = twilioSignature(testToken, "http://127.0.0.1:8080/webhooks/twilio", params)
	for i, h := range []*Handler{a, b} {
		if r := call(t, h, signed); r.StatusCode != 200 || !strings.Contains(r.Body, "<Message>") {
			t.Fatalf("webhook %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
	forged := request(routeWebhook, "application/x-www-form-urlencoded", params.Encode(), map[string]string{"x-twilio-signature": "AAAA"})
	if r := call(t, a, forged); r.StatusCode != 403 {
		t.Fatalf("forged webhook: %d %s", r.StatusCode, r.Body)
	}

	// 3 of the source's 5 requests are spent; the fourth and fifth pass,
	// whichever container takes them, the rest are refused.
	statuses := []int{}
	for i := range 4 {
		h := []*Handler{a, b}[i%2]
		statuses = append(statuses, call(t, h, jsonIntake(fmt.Sprintf("moto-flood-%012d", i), goodComplaint)).StatusCode)
	}
	if fmt.Sprint(statuses) != "[201 201 429 429]" {
		t.Fatalf("flood statuses %v, want [201 201 429 429]", statuses)
	}
	if n, err := st.CountTickets(ctx, grievance.TicketRange{By: grievance.RangeAll}); err != nil || n != 5 {
		t.Fatalf("%d tickets (%v), want 5: two complaints, the webhook's, two of the flood", n, err)
	}
}

// resolveOverMoto resolves the ticket code as staff do: a comment, then
// resolveGrievanceByComment.
func resolveOverMoto(t *testing.T, st *store.Store, code string) {
	t.Helper()
	ctx := context.Background()
	seq, _ := grievance.ParseCode(code)
	var tk *grievance.Ticket
	st.ScanTickets(ctx, grievance.TicketRange{By: grievance.RangeSeq, Seq: seq}, func(x *grievance.Ticket) (bool, error) { tk = x; return false, nil })
	if tk == nil {
		t.Fatalf("no ticket %s", code)
	}
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{})
	admin := grievance.NewContext(ctx, &grievance.Principal{ID: "s1", Admin: true})
	text := "Paid on 3 March."
	for _, step := range []grievance.Plan{
		func(ctx context.Context) (*grievance.Write, error) {
			return svc.CreateComment(ctx, grievance.CommentInput{TicketID: tk.ID, Comment: &text})
		},
		func(ctx context.Context) (*grievance.Write, error) {
			cs, err := st.CommentsOfTicket(ctx, tk.ID)
			if err != nil || len(cs) != 1 {
				t.Fatalf("comments %v (%v), want 1", cs, err)
			}
			return svc.ResolveByComment(ctx, cs[0].ID, nil)
		},
	} {
		if log, err := svc.Mutate(admin, grievance.MutationRequest{Name: "staff"}, step); err != nil || log.Status != grievance.MutationSuccess {
			t.Fatalf("staff step: %v %+v", err, log)
		}
	}
}

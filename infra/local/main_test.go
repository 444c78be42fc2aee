package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/gateway"
	"github.com/redress-grm/redress/infra/local/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// Ensure a token printed by `token` passes the gateway's authorizer with
// the claims the API expects.
func TestToken_RoundTrip(t *testing.T) {
	var out, errOut bytes.Buffer
	err := dispatch(context.Background(),
		[]string{"token", "-username", "alice", "-groups", "GrievanceOfficer,GrievanceAdmin", "-rights", "127000,127001", "-ttl", "5m"},
		env(map[string]string{}), &out, &errOut)
	if err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	v := &gateway.Verifier{Secret: []byte(defaultJWTSecret), Issuer: defaultJWTIssuer, Audience: defaultJWTAudience}
	claims, err := v.Verify("Bearer " + strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"sub":            "92f6450c-efe8-5899-ae45-671c4543b555",
		"username":       "alice",
		"cognito:groups": "[GrievanceOfficer GrievanceAdmin]",
		"custom:rights":  "127000,127001",
		"iss":            "redress-local",
		"aud":            "redress",
	} {
		if got := claims[k]; got != want {
			t.Errorf("claim %s=%q, want %q", k, got, want)
		}
	}

	// JWT_SECRET changes the key; the default verifier must then refuse it.
	out.Reset()
	if err := dispatch(context.Background(), []string{"token", "-username", "bob", "-sub", "6e740b7b-eae6-5c49-83aa-5092e136aeaa"},
		env(map[string]string{"JWT_SECRET": "other"}), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(strings.TrimSpace(out.String())); err == nil {
		t.Fatal("token signed with another secret was accepted")
	}
	if err := dispatch(context.Background(), []string{"token"}, env(nil), io.Discard, io.Discard); err == nil {
		t.Fatal("token without -username succeeded")
	}
}

// Ensure the seed's staff users are who their tokens sign in as (their
// ids become their pool subs), and its other people form an import file.
func TestSeed_StaffMatchTokenSubjects(t *testing.T) {
	seed, err := bootstrap.ReadSeed("seed.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range seed.Staff {
		if u.Sub != userID(u.Username) {
			t.Errorf("user %s sub=%s, want %s (token sub)", u.Username, u.Sub, userID(u.Username))
		}
	}
	types := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(seed.Registry)), "\n") {
		var row map[string]string
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		types[row["type"]]++
	}
	if len(seed.Staff) != 3 || seed.Rows != 5 || types["individual"] != 3 || types["beneficiary"] != 2 {
		t.Fatalf("staff %d, import rows by type %v", len(seed.Staff), types)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Ensure `run` wires everything: health, the authorizer in front of the
// graphql function, and the Main table's stream reaching history and tasks.
func TestRun_EndToEnd(t *testing.T) {
	root, err := moto.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(root, "functions", "graphql", "*.go")); len(m) == 0 {
		t.Skip("skipping: functions/graphql does not exist yet; the stack needs it")
	}
	endpoint := moto.ForTest(t).Endpoint()
	c, err := configFromEnv(env(map[string]string{
		"AWS_ENDPOINT_URL": endpoint,
		"TABLE_PREFIX":     "e2e-",
		"LISTEN_ADDR":      "127.0.0.1:0",
		"S3_GATE_ADDR":     "127.0.0.1:0",
		"DLQ_DIR":          t.TempDir(),
		"LOG_LEVEL":        "info",
	}), root)
	if err != nil {
		t.Fatal(err)
	}
	c.BinDir = t.TempDir()
	c.GraphQLConcurrency = 1
	c.PollInterval = 50 * time.Millisecond
	out := &syncBuffer{}
	c.Output = out
	ctx := context.Background()
	st, err := startStack(ctx, c, slog.New(slog.NewTextHandler(out, nil)))
	if err != nil {
		t.Fatalf("%v\noutput:\n%s", err, out.String())
	}
	defer st.Stop()
	base := st.URL()

	resp, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health=%d, want 200", resp.StatusCode)
	}

	resp, err = http.Post(base+"/api/graphql", "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || string(b) != `{"message":"Unauthorized"}` {
		t.Fatalf("no token: %d %s, want 401", resp.StatusCode, b)
	}

	tok, err := signToken([]byte(c.JWTSecret), tokenRequest{Username: "alice", Groups: []string{"GrievanceOfficer"},
		TTL: time.Hour, Issuer: c.JWTIssuer, Audience: c.JWTAudience, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", base+"/api/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"__typename"`) {
		t.Fatalf("with token: %d %s, want 200 with data\noutput:\n%s", resp.StatusCode, b, out.String())
	}

	// A write to the Main table reaches both stream consumers.
	cfg, err := moto.AWSConfig(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	// An id, as a ticket's: the consumers log keys made of ids only.
	pk := "TICKET#" + uuid.NewString()
	if _, err := dynamodb.NewFromConfig(cfg).PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(st.Tables.Main),
		Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk},
			"sk": &types.AttributeValueMemberS{Value: "TICKET"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		o := out.String()
		if lineWith(o, "[history] ", pk) && lineWith(o, "[tasks] ", pk) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream record %s not logged by history and tasks; output:\n%s", pk, o)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lineWith(s, prefix, substr string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, substr) {
			return true
		}
	}
	return false
}

// Ensure the environment reaches the configuration and bad values are errors.
func TestConfigFromEnv(t *testing.T) {
	c, err := configFromEnv(env(map[string]string{"PORT": "9090", "GRAPHQL_CONCURRENCY": "2", "FUNCTION_TIMEOUT": "5s"}), "/repo")
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9090" || c.GraphQLConcurrency != 2 || c.FunctionTimeout != 5*time.Second ||
		c.MotoPort != 4566 || c.TablePrefix != "redress-local-" || c.BusName != "redress-local-bus" ||
		c.SeedFile != "/repo/infra/local/seed.json" || c.MaxRetries != 3 || c.BatchSize != 100 || !c.Explorer {
		t.Fatalf("config=%+v", c)
	}
	if _, err := configFromEnv(env(map[string]string{"MOTO_PORT": "x"}), "/repo"); err == nil {
		t.Fatal("MOTO_PORT=x accepted")
	}
	if c, err := configFromEnv(env(map[string]string{"EXPLORER": "false"}), "/repo"); err != nil || c.Explorer {
		t.Fatalf("EXPLORER=false: explorer=%v err=%v, want off", c.Explorer, err)
	}
	if _, err := configFromEnv(env(map[string]string{"EXPLORER": "yes please"}), "/repo"); err == nil {
		t.Fatal("EXPLORER=yes please accepted")
	}
}

// Ensure `events` prints each bus event as one JSON line and, without
// --follow, leaves them for the next reader; --follow consumes them.
func TestEvents(t *testing.T) {
	ctx := context.Background()
	endpoint := moto.ForTest(t).Endpoint()
	cfg, err := moto.AWSConfig(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	bus, err := bootstrap.CreateBus(ctx, cfg, "events-test-bus", "events-test-queue")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"TicketCreated", "TicketResolved"} {
		if _, err := eventbridge.NewFromConfig(cfg).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
			EventBusName: aws.String(bus.Name), Source: aws.String("redress.tasks"), DetailType: aws.String(typ), Detail: aws.String(`{"id":"t1"}`),
		}}}); err != nil {
			t.Fatal(err)
		}
	}
	e := env(map[string]string{"AWS_ENDPOINT_URL": endpoint, "EVENTS_QUEUE_NAME": "events-test-queue"})
	var out bytes.Buffer
	if err := dispatch(ctx, []string{"events"}, e, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(out.String(), `"detail-type":"TicketCreated"`) || !strings.Contains(out.String(), `"detail-type":"TicketResolved"`) {
		t.Fatalf("output=%q, want the two events on two lines", out.String())
	}
	first := out.String()
	out.Reset()
	if err := dispatch(ctx, []string{"events"}, e, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if len(strings.Split(strings.TrimSpace(out.String()), "\n")) != 2 {
		t.Fatalf("second peek printed %q, want the same two events as the first (%q)", out.String(), first)
	}

	out.Reset()
	fctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := dispatch(fctx, []string{"events", "--follow"}, e, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if len(strings.Split(strings.TrimSpace(out.String()), "\n")) != 2 {
		t.Fatalf("--follow printed %q, want the two events", out.String())
	}
	out.Reset()
	if err := dispatch(ctx, []string{"events"}, e, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("after --follow a peek printed %q, want nothing (--follow deletes what it printed)", out.String())
	}
}

// Ensure -h, on its own or after any command, prints help and exits 0,
// while a real error exits non-zero.
func TestHelp_ExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"run", "-h"}, {"token", "-h"}, {"events", "-h"}, {"config", "-h"}, {"load", "-h"}} {
		var out, errOut bytes.Buffer
		err := dispatch(context.Background(), args, env(nil), &out, &errOut)
		if code := exitCode(err); code != 0 {
			t.Errorf("%v: exit code %d (err %v), want 0", args, code, err)
		}
		if !strings.Contains(out.String()+errOut.String(), "usage:") {
			t.Errorf("%v printed no usage: %q %q", args, out.String(), errOut.String())
		}
	}
	if code := exitCode(dispatch(context.Background(), []string{"nonsense"}, env(nil), io.Discard, io.Discard)); code == 0 {
		t.Error("unknown command exited 0")
	}
}

func TestConfigFromEnv_OpenIMISClientModeIsOptIn(t *testing.T) {
	for _, tc := range []struct {
		name         string
		env          map[string]string
		wantOn       bool
		wantPassword string
		wantErr      bool
	}{
		{"off by default", nil, false, "", false},
		{"on with the default dev password", map[string]string{"OPENIMIS_CLIENT": "true"}, true, "redress-local-password", false},
		{"on with a chosen password", map[string]string{"OPENIMIS_CLIENT": "1", "OPENIMIS_DEV_PASSWORD": "pw"}, true, "pw", false},
		{"not a boolean", map[string]string{"OPENIMIS_CLIENT": "sure"}, false, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := configFromEnv(env(tc.env), "/repo")
			if (err != nil) != tc.wantErr || c.OpenIMISClient != tc.wantOn || c.DevPassword != tc.wantPassword {
				t.Fatalf("OpenIMISClient=%v DevPassword=%q err=%v", c.OpenIMISClient, c.DevPassword, err)
			}
		})
	}
}

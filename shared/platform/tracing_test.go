package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-xray-sdk-go/strategy/sampling"
	"github.com/aws/aws-xray-sdk-go/xray"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

// daemon is a stand-in X-Ray daemon: a UDP listener on 127.0.0.1 that
// keeps the documents the SDK sends it.
type daemon struct {
	conn *net.UDPConn
	docs chan map[string]any
}

func newDaemon(t *testing.T) *daemon {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	d := &daemon{conn: conn, docs: make(chan map[string]any, 16)}
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			// A header line, then the segment document.
			_, body, ok := strings.Cut(string(buf[:n]), "\n")
			var doc map[string]any
			if ok && json.Unmarshal([]byte(body), &doc) == nil {
				d.docs <- doc
			}
		}
	}()
	return d
}

func (d *daemon) addr() string { return d.conn.LocalAddr().String() }

func (d *daemon) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case doc := <-d.docs:
		return doc
	case <-time.After(5 * time.Second):
		t.Fatal("the daemon received no segment")
		return nil
	}
}

func (d *daemon) none(t *testing.T) {
	t.Helper()
	select {
	case doc := <-d.docs:
		t.Fatalf("the daemon received %v, want nothing", doc)
	case <-time.After(300 * time.Millisecond):
	}
}

// dynamoDB is an httptest server speaking DynamoDB's JSON protocol: an
// empty item for every call, with a request id; it keeps the trace
// headers it was sent.
func dynamoDB(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var headers []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		headers = append(headers, r.Header.Get("X-Amzn-Trace-Id"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", "req-1")
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), headers...)
	}
}

// tracedConfig returns a configuration for srv with TraceCalls applied as
// in Lambda (the daemon's address in the environment), and what it logged.
func tracedConfig(t *testing.T, srv *httptest.Server, d *daemon) (aws.Config, *bytes.Buffer) {
	t.Helper()
	t.Setenv("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR") // as Lambda sets it
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(srv.URL),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
	env := platform.Env(lookup{platform.EnvXRayDaemon: d.addr()}.Get)
	if !platform.TraceCalls(&cfg, env, log) {
		t.Fatal("TraceCalls is off with the daemon's address set")
	}
	return cfg, &logs
}

type lookup map[string]string

func (l lookup) Get(k string) string { return l[k] }

func getItem(ctx context.Context, t *testing.T, cfg aws.Config) {
	t.Helper()
	_, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t-Main"),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "k"}}})
	if err != nil {
		t.Fatal(err)
	}
}

// subsegment checks the document of one DynamoDB GetItem subsegment.
func subsegment(t *testing.T, sub map[string]any) {
	t.Helper()
	awsFields, _ := sub["aws"].(map[string]any)
	httpFields, _ := sub["http"].(map[string]any)
	resp, _ := httpFields["response"].(map[string]any)
	if sub["name"] != "DynamoDB" || sub["namespace"] != "aws" || awsFields["operation"] != "GetItem" ||
		awsFields["table_name"] != "t-Main" || awsFields["region"] != "eu-west-1" || awsFields["request_id"] != "req-1" ||
		resp["status"] != float64(200) {
		t.Errorf("subsegment %v, want DynamoDB GetItem on t-Main in eu-west-1, request req-1, status 200", sub)
	}
}

// errorLogs returns the error and warning lines of logs.
func errorLogs(logs *bytes.Buffer) []string {
	var out []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, `"level":"WARN"`) {
			out = append(out, line)
		}
	}
	return out
}

type always struct{}

func (always) ShouldTrace(*sampling.Request) *sampling.Decision {
	return &sampling.Decision{Sample: true}
}

// Ensure an AWS call whose context carries a segment is recorded as a
// subsegment of it, named after the service, with the operation and the
// table, and that the request carries the trace header downstream.
func TestTraceCalls_SubsegmentOfTheSegmentInTheContext(t *testing.T) {
	d := newDaemon(t)
	srv, headers := dynamoDB(t)
	cfg, logs := tracedConfig(t, srv, d)

	ctx, err := xray.ContextWithConfig(context.Background(), xray.Config{SamplingStrategy: always{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, seg := xray.BeginSegment(ctx, "handler")
	getItem(ctx, t, cfg)
	seg.Close(nil)

	doc := d.next(t)
	if doc["name"] != "handler" || doc["trace_id"] != seg.TraceID {
		t.Fatalf("segment %v, want handler of trace %s", doc, seg.TraceID)
	}
	subs, _ := doc["subsegments"].([]any)
	if len(subs) != 1 {
		t.Fatalf("segment has %d subsegments, want 1: %v", len(subs), doc)
	}
	subsegment(t, subs[0].(map[string]any))
	if h := headers(); len(h) != 1 || !strings.Contains(h[0], "Root="+seg.TraceID) {
		t.Errorf("trace headers sent %q, want Root=%s", h, seg.TraceID)
	}
	if e := errorLogs(logs); len(e) > 0 {
		t.Errorf("logged %q", e)
	}
}

// Ensure that in Lambda, where the handler's context carries only the
// trace header (aws-lambda-go's "x-amzn-trace-id"), the call is sent as a
// subsegment of the function's segment, the header's Parent.
func TestTraceCalls_LambdaTraceHeaderMakesSubsegmentOfTheFunctionSegment(t *testing.T) {
	d := newDaemon(t)
	srv, _ := dynamoDB(t)
	cfg, logs := tracedConfig(t, srv, d)

	const root, parent = "1-67891233-abcdef012345678912345678", "53995c3f42cd8ad8"
	//lint:ignore SA1029 the key aws-lambda-go puts the trace header under
	ctx := context.WithValue(context.Background(), "x-amzn-trace-id", "Root="+root+";Parent="+parent+";Sampled=1")
	getItem(ctx, t, cfg)

	sub := d.next(t)
	if sub["type"] != "subsegment" || sub["trace_id"] != root || sub["parent_id"] != parent {
		t.Fatalf("document %v, want a subsegment of trace %s under %s", sub, root, parent)
	}
	subsegment(t, sub)
	if e := errorLogs(logs); len(e) > 0 {
		t.Errorf("logged %q", e)
	}

	// Lambda's "not sampled" is honoured: nothing is sent.
	//lint:ignore SA1029 as above
	ctx = context.WithValue(context.Background(), "x-amzn-trace-id", "Root="+root+";Parent="+parent+";Sampled=0")
	getItem(ctx, t, cfg)
	d.none(t)
}

// Ensure a call without a segment in its context (a function's init, a
// test) goes through untraced, sends nothing and logs no error: the X-Ray
// SDK would otherwise report a missing context at error level.
func TestTraceCalls_WithoutSegmentNothingBreaks(t *testing.T) {
	d := newDaemon(t)
	srv, headers := dynamoDB(t)
	cfg, logs := tracedConfig(t, srv, d)

	getItem(context.Background(), t, cfg)
	d.none(t)
	if h := headers(); len(h) != 1 || h[0] != "" {
		t.Errorf("trace headers sent %q, want none", h)
	}
	if e := errorLogs(logs); len(e) > 0 {
		t.Errorf("logged %q", e)
	}
}

// Ensure tracing is off without the daemon's address (locally, in tests)
// or with the SDK disabled: the configuration is left as it was.
func TestTraceCalls_OffWithoutTheDaemon(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, env := range []lookup{{}, {platform.EnvXRayDaemon: "127.0.0.1:2000", "AWS_XRAY_SDK_DISABLED": "TRUE"}} {
		var cfg aws.Config
		if platform.TraceCalls(&cfg, platform.Env(env.Get), log) || len(cfg.APIOptions) != 0 {
			t.Errorf("env %v: tracing on, %d API options", env, len(cfg.APIOptions))
		}
	}
}

// Ensure the configuration every function starts from (platform.AWS)
// carries the X-Ray middleware beside the call recorder in Lambda, and not
// elsewhere.
func TestAWS_InstallsTheXRayMiddlewareInLambdaOnly(t *testing.T) {
	for _, tb := range store.Tables() {
		t.Setenv(tb.EnvVar, "t-"+tb.Name)
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv(platform.EnvCallLog, t.TempDir())
	has := func() (xrayOn, recorder bool) {
		cfg, _, err := platform.AWS(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s := middleware.NewStack("probe", smithyhttp.NewStackRequest)
		for _, o := range cfg.APIOptions {
			if err := o(s); err != nil {
				t.Fatal(err)
			}
		}
		_, xrayOn = s.Initialize.Get("XRayInitializeMiddlewareAfter")
		_, recorder = s.Initialize.Get("RecordCall")
		return xrayOn, recorder
	}
	if x, r := has(); x || !r {
		t.Errorf("without the daemon: X-Ray %v, recorder %v; want false, true", x, r)
	}
	d := newDaemon(t)
	t.Setenv(platform.EnvXRayDaemon, d.addr())
	if x, r := has(); !x || !r {
		t.Errorf("in Lambda: X-Ray %v, recorder %v; want true, true", x, r)
	}
}

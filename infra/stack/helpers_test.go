package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/redress-grm/redress/infra/stack"
)

// fixtureRoot holds an empty bootstrap per function, so the tests do not
// depend on the real build (make build-lambdas).
var fixtureRoot = filepath.Join("..", "testdata", "build")

// Configurations the tests synthesize, each once per test binary.
var configs = map[string]map[string]any{
	"dev": {},
	"prod": {"stage": "prod", "corsOrigins": []any{"https://grm.example.org"}, "alarmEmail": "ops@example.org", "logRetentionDays": 365, "threatProtection": true,
		"account": "123456789012", "region": "eu-west-1",
		"notifyFrom": "grm@example.org", "notifyDomain": "example.org", "smsSenderId": "REDRESS"},
	"external": {"stage": "staging", "jwtIssuer": "https://idp.example.org/realms/grm", "jwtAudience": "redress-api,redress-web", "sla": "true", "allowRightsClaim": "true", "introspection": true, "explorer": true,
		"alarmTopicArn": "arn:aws:sns:eu-central-1:123456789012:pager", "logLevel": "debug", "environments": map[string]any{"staging": map[string]any{"account": "123456789012", "region": "eu-central-1"}}},
	"client": {"stage": "grm", "openimisClient": true, "openimisClientOrigin": "https://grm.example.org",
		"alarmEmail": "ops@example.org", "account": "123456789012", "region": "eu-west-1", "mainIndexes": 12, "historyIndexes": 3},
}

type synthesized struct {
	stack    *stack.Stack
	template assertions.Template
	json     map[string]any
}

var (
	synthMu sync.Mutex
	synths  = map[string]*synthesized{}
)

// synth builds the stack for a named configuration (see configs) once and
// returns its template.
func synth(t *testing.T, name string) *synthesized {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synths[name]; ok {
		return s
	}
	ctx, ok := configs[name]
	if !ok {
		t.Fatalf("no configuration %q", name)
	}
	// The cdk-nag pack runs as an aspect at synthesis, so one synthesis
	// serves both the template assertions and TestAwsSolutions_*.
	st, err := newStack(ctx, stack.Nag)
	if err != nil {
		t.Fatalf("New(%s): %v", name, err)
	}
	tpl := assertions.Template_FromStack(st.Stack, nil)
	raw, err := json.Marshal(tpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	s := &synthesized{stack: st, template: tpl, json: m}
	synths[name] = s
	return s
}

// cdkJSON is the repository's cdk.json: its context (settings and feature
// flags) underlies every test app, so the tests synthesize what `cdk synth`
// does.
var cdkJSON = filepath.Join("..", "..", "cdk.json")

func cdkContext() (map[string]any, error) {
	raw, err := os.ReadFile(cdkJSON)
	if err != nil {
		return nil, err
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", cdkJSON, err)
	}
	return f.Context, nil
}

// newStack creates an app with cdk.json's context overridden by ctx and,
// when given, lets prepare it (cdk-nag aspects) before the stack is added.
func newStack(ctx map[string]any, prepare func(awscdk.App)) (*stack.Stack, error) {
	c, err := cdkContext()
	if err != nil {
		return nil, err
	}
	for k, v := range ctx {
		c[k] = v
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &c})
	if prepare != nil {
		prepare(app)
	}
	cfg, err := stack.ConfigFromContext(app.Node())
	if err != nil {
		return nil, err
	}
	return stack.New(app, "Redress-"+cfg.Stage, &stack.Props{StackProps: stack.StackProps(cfg), Config: cfg, AssetRoot: fixtureRoot})
}

// must turns a failed CDK assertion (a jsii panic) into a test error.
func must(t *testing.T, what string, assert func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assert()
}

// resources returns the template's resources of one type by logical id.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// id returns the logical id of an L2 construct's CloudFormation resource
// (or of a CloudFormation resource itself).
func (s *synthesized) id(c constructs.IConstruct) string {
	if e, ok := c.(awscdk.CfnElement); ok {
		return *s.stack.GetLogicalId(e)
	}
	return *s.stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// ref is {"Ref": id}; getAtt is {"Fn::GetAtt": [id, attr]}.
func ref(id string) map[string]any { return map[string]any{"Ref": id} }

func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

// jsonString renders v compactly for comparisons and messages.
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// strs converts a JSON string or list of strings to a sorted []string.
func strs(v any) []string {
	var out []string
	switch v := v.(type) {
	case string:
		out = []string{v}
	case []any:
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
	}
	sort.Strings(out)
	return out
}

func sorted(s ...string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

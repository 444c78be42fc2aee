package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redress-grm/redress/infra/stack"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

// callsFixture is what the functions called in the handler and end-to-end
// tests (`make calls` writes it; `make test` fails when it is stale).
var callsFixture = filepath.Join("..", "testdata", "calls.json")

// grantKey is one action on one logical resource in one statement.
type grantKey struct {
	sid, action, resource string
}

// TestPermissions_RolesAllowExactlyWhatTheFunctionsCall checks every
// function's role in the synthesized template against the calls its code
// made in the tests: a recorded call the role does not allow (action and
// resource, indexes included) fails, and so does a grant that no recorded
// call exercises unless grants.go justifies it (stack.Unexercised).
func TestPermissions_RolesAllowExactlyWhatTheFunctionsCall(t *testing.T) {
	raw, err := os.ReadFile(callsFixture)
	if err != nil {
		t.Fatal(err)
	}
	var calls []platform.Call
	if err := json.Unmarshal(raw, &calls); err != nil {
		t.Fatalf("%s: %v", callsFixture, err)
	}
	// external deploys every function but the openIMIS client mode's
	// authorizer, which client adds, and the staff sync, which needs the
	// stack's own user pool (dev).
	checkRoles(t, synth(t, "external"), calls, func(string) bool { return true })
	checkRoles(t, synth(t, "client"), calls, func(name string) bool { return name == stack.FnAuthorizer })
	checkRoles(t, synth(t, "dev"), calls, func(name string) bool { return name == stack.FnStaffSync })
}

func checkRoles(t *testing.T, s *synthesized, calls []platform.Call, check func(name string) bool) {
	logical := s.logicalResources()
	policies := s.resources("AWS::IAM::Policy")

	for _, f := range s.stack.Functions.All() {
		if !check(f.Name) {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			role := jsonString(ref(s.id(f.Function.Role())))
			grants := map[grantKey]bool{}
			for id, p := range policies {
				if !slices.Contains(jsonList(props(p)["Roles"]), role) {
					continue
				}
				for _, st := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					st := st.(map[string]any)
					if st["Effect"] != "Allow" {
						t.Errorf("policy %s: statement %v is not an Allow", id, st["Sid"])
						continue
					}
					for _, r := range jsonList(st["Resource"]) {
						res, ok := logical[r]
						if !ok {
							t.Errorf("statement %v: resource %s is none the check knows (teach logicalResources)", st["Sid"], r)
							continue
						}
						for _, a := range strs(st["Action"]) {
							grants[grantKey{fmt.Sprint(st["Sid"]), a, res}] = true
						}
					}
				}
			}

			used := map[grantKey]bool{}
			n := 0
			for _, c := range calls {
				if c.Function != f.Name {
					continue
				}
				n++
				var by []grantKey
				for g := range grants {
					if match(g.action, c.Service+":"+c.Action) && match(g.resource, c.Resource) {
						by = append(by, g)
					}
				}
				if len(by) == 0 {
					t.Errorf("%s calls %s:%s on %s; its role does not allow that", f.Name, c.Service, c.Action, c.Resource)
				}
				for _, g := range by {
					used[g] = true
				}
			}
			if why, none := stack.CallsNoAWS[f.Name]; none && n > 0 {
				t.Errorf("%s has recorded calls, but grants.go says it calls no AWS API (%s)", f.Name, why)
			} else if n == 0 && !none {
				t.Fatalf("%s has no recorded calls in %s: record them (make calls) from a test that runs it", f.Name, callsFixture)
			}

			justified := map[string]bool{}
			for _, j := range stack.Unexercised {
				if !slices.Contains(j.Functions, f.Name) {
					continue
				}
				justified[j.Sid] = true
				if !slices.ContainsFunc(mapKeys(grants), func(g grantKey) bool { return g.sid == j.Sid }) {
					t.Errorf("%s: grants.go justifies %s (%s), but the role has no such statement", f.Name, j.Sid, j.Why)
				}
			}
			for _, g := range sortedGrants(grants) {
				if !used[g] && !justified[g.sid] {
					t.Errorf("%s: grant %s %s on %s is exercised by no test: remove it from grants.go, or justify it in stack.Unexercised", f.Name, g.sid, g.action, g.resource)
				}
			}
		})
	}
}

// logicalResources names the template's resource expressions the way the
// call recorder names resources (platform.Call.Resource).
func (s *synthesized) logicalResources() map[string]string {
	out := map[string]string{jsonString("*"): "*"}
	for _, def := range store.Tables() {
		id := s.id(s.stack.Data.Tables[def.Name])
		out[jsonString(getAtt(id, "Arn"))] = platform.TableResource(def.Name, "")
		out[jsonString(getAtt(id, "StreamArn"))] = platform.TableResource(def.Name, "") + "/stream"
		for _, ix := range def.Indexes {
			arn := map[string]any{"Fn::Join": []any{"", []any{getAtt(id, "Arn"), "/index/" + ix.Name}}}
			out[jsonString(arn)] = platform.TableResource(def.Name, ix.Name)
		}
	}
	out[jsonString(getAtt(s.id(s.stack.Events.Bus), "Arn"))] = platform.ResourceBus
	for _, c := range s.stack.Streams.Consumers {
		out[jsonString(getAtt(s.id(c.DLQ), "Arn"))] = "queue/" + c.Name + "-dlq"
	}
	att := s.stack.Attachments
	for _, prefix := range []string{grievance.AttachmentPrefix, grievance.QuarantinePrefix, grievance.DeletedPrefix} {
		arn := map[string]any{"Fn::Join": []any{"", []any{getAtt(s.id(att.Bucket), "Arn"), "/" + prefix + "*"}}}
		out[jsonString(arn)] = platform.ObjectResource(prefix)
	}
	out[jsonString(getAtt(s.id(att.Key), "Arn"))] = "key/Attachments"
	out[jsonString(getAtt(s.id(att.DLQ), "Arn"))] = "queue/scanresult-dlq"
	bucket := s.id(s.stack.Directory.Bucket)
	for _, p := range []string{stack.ImportsPrefix, stack.StatePrefix, stack.ReportsPrefix} {
		arn := map[string]any{"Fn::Join": []any{"", []any{getAtt(bucket, "Arn"), "/" + p + "*"}}}
		out[jsonString(arn)] = platform.ResourceImports + p + "*"
	}
	if s.stack.API.UserPool != nil {
		out[jsonString(getAtt(s.id(s.stack.API.UserPool), "Arn"))] = platform.ResourceUserPool
	}
	out[jsonString(ref(s.id(s.stack.Intake.Secret)))] = platform.ResourceWebhookToken
	for name, lg := range s.stack.Functions.LogGroups {
		out[jsonString(getAtt(s.id(lg), "Arn"))] = "log-group/" + name
	}
	return out
}

// match reports whether an IAM action or resource pattern matches v.
func match(pattern, v string) bool {
	if pattern == "*" {
		return true
	}
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(v, "/", "\x00"))
	return err == nil && ok
}

// jsonList renders a JSON value or each element of a JSON list.
func jsonList(v any) []string {
	l, ok := v.([]any)
	if !ok {
		return []string{jsonString(v)}
	}
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = jsonString(e)
	}
	return out
}

func mapKeys[K comparable, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortedGrants(m map[grantKey]bool) []grantKey {
	out := mapKeys(m)
	slices.SortFunc(out, func(a, b grantKey) int {
		return strings.Compare(a.sid+a.action+a.resource, b.sid+b.action+b.resource)
	})
	return out
}

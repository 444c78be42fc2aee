package stack_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/infra/stack"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

func TestStack_ResourceCounts(t *testing.T) {
	for _, tt := range []struct {
		config string
		counts map[string]int
	}{
		{"dev", map[string]int{
			// graphql, history, tasks, scanresult, importer, staffsync and
			// CDK's bucket-notifications handler (a deployment-time custom
			// resource); GuardDuty's scan role
			// + intake and sms
			"AWS::DynamoDB::Table": 2, "AWS::Lambda::Function": 9, "AWS::IAM::Role": 10,
			// + the scan-result and staff-sync schedule DLQs; the scan-result
			// rule and the staff-sync schedule
			"AWS::Lambda::EventSourceMapping": 2, "AWS::SQS::Queue": 4, "AWS::Events::EventBus": 1,
			"AWS::Events::Rule": 2, "AWS::ApiGatewayV2::Api": 1, "AWS::ApiGatewayV2::Stage": 1,
			// 2 GraphQL routes, 4 public intake routes; alarm and inbound SMS
			// topics, the sms function subscribed to the latter
			"AWS::ApiGatewayV2::Route": 2 + 4, "AWS::ApiGatewayV2::Authorizer": 1, "AWS::Cognito::UserPool": 1,
			"AWS::Cognito::UserPoolClient": 1, "AWS::Cognito::UserPoolGroup": 4, "AWS::SNS::Topic": 2,
			"AWS::SNS::Subscription": 1, "AWS::Logs::LogGroup": 9, "AWS::SNS::TopicPolicy": 2,
			"AWS::SecretsManager::Secret": 1,
			"AWS::S3::Bucket":             2, "AWS::GuardDuty::MalwareProtectionPlan": 1,
			"AWS::Events::Archive": 1, "AWS::CloudWatch::Dashboard": 1, "AWS::Logs::MetricFilter": 2,
			// errors + throttles per function, iterator age + DLQ depth per
			// consumer, statistics and text index failures, API 5xx and p99 latency,
			// throttles per table, the scan-result rule's and the staff-sync
			// schedule's DLQ depth
			"AWS::CloudWatch::Alarm": 8*2 + 2*2 + 2 + 2 + 2 + 1 + 1,
		}},
		{"prod", map[string]int{"AWS::SNS::Subscription": 2, "AWS::Cognito::UserPool": 1,
			// dev's, plus the notifier (notifyFrom): its function, log group,
			// role and queue mapping; two rules on the bus; its queue, the
			// queue's DLQ and each rule's DLQ; the SES identity and
			// configuration set
			// (dev's counts include intake and sms since they deploy everywhere)
			"AWS::Lambda::Function": 9 + 1, "AWS::Logs::LogGroup": 9 + 1, "AWS::IAM::Role": 10 + 1,
			"AWS::Lambda::EventSourceMapping": 2 + 1, "AWS::Events::Rule": 2 + 2, "AWS::SQS::Queue": 4 + 4,
			"AWS::SES::EmailIdentity": 1, "AWS::SES::ConfigurationSet": 1,
			// dev's, plus the notifier's errors + throttles, each rule's DLQ
			// depth, the queue's DLQ depth and its oldest message's age
			"AWS::CloudWatch::Alarm": 8*2 + 2*2 + 2 + 2 + 2 + 1 + 1 + 2 + 2 + 1 + 1,
		}},
		{"external", map[string]int{
			// no staff sync without the stack's own user pool; sla instead
			"AWS::Lambda::Function": 9, "AWS::Events::Rule": 2, "AWS::Cognito::UserPool": 0,
			"AWS::Cognito::UserPoolClient": 0, "AWS::Cognito::UserPoolGroup": 0, "AWS::Logs::LogGroup": 9,
			"AWS::SQS::Queue": 4, "AWS::SNS::Subscription": 1,
			// errors + throttles of six functions, the consumers' four, as
			// dev, the scan-result DLQ, the schedule's DLQ depth and the
			// missing sweep
			"AWS::CloudWatch::Alarm": 8*2 + 2*2 + 2 + 2 + 2 + 1 + 1 + 1,
			// POST and the explorer's GET on both GraphQL paths, 4 public intake routes
			"AWS::ApiGatewayV2::Route": 4 + 4,
		}},
	} {
		s := synth(t, tt.config)
		for typ, n := range tt.counts {
			must(t, fmt.Sprintf("%s: %s count", tt.config, typ), func() {
				s.template.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n)))
			})
		}
	}
}

// With mainIndexes and historyIndexes (a stage that lacks several
// indexes gets them one per deploy) each table has the first indexes of
// schema.go only, each as defined.
func TestTables_MainIndexesAddsIndexesInSteps(t *testing.T) {
	s := synth(t, "client") // mainIndexes 12, historyIndexes 3
	for _, def := range store.Tables() {
		p := props(s.resources("AWS::DynamoDB::Table")[s.id(s.stack.Data.Tables[def.Name])])
		var got []string
		for _, g := range p["GlobalSecondaryIndexes"].([]any) {
			got = append(got, g.(map[string]any)["IndexName"].(string))
		}
		var want []string
		for i, ix := range def.Indexes {
			if def.Name == store.MainTable.Name && i < 12 || def.Name == store.HistoryTable.Name && i < 3 {
				want = append(want, ix.Name)
			}
		}
		if !equal(sorted(got...), sorted(want...)) {
			t.Errorf("%s indexes %v, want %v", def.Name, got, want)
		}
	}
}

func TestTables_AreBuiltFromTheSharedDefinitions(t *testing.T) {
	s := synth(t, "dev")
	for _, def := range store.Tables() {
		t.Run(def.Name, func(t *testing.T) {
			r := s.resources("AWS::DynamoDB::Table")[s.id(s.stack.Data.Tables[def.Name])]
			if r == nil {
				t.Fatalf("no table for %s", def.Name)
			}
			p := props(r)
			if got, want := p["BillingMode"], "PAY_PER_REQUEST"; got != want {
				t.Errorf("BillingMode=%v, want %v", got, want)
			}
			if got := jsonString(p["PointInTimeRecoverySpecification"]); got != `{"PointInTimeRecoveryEnabled":true}` {
				t.Errorf("PointInTimeRecoverySpecification=%s, want enabled", got)
			}
			wantKeys := []any{map[string]any{"AttributeName": def.PartitionKey.Name, "KeyType": "HASH"}}
			if def.SortKey.Name != "" {
				wantKeys = append(wantKeys, map[string]any{"AttributeName": def.SortKey.Name, "KeyType": "RANGE"})
			}
			if got, want := jsonString(p["KeySchema"]), jsonString(wantKeys); got != want {
				t.Errorf("KeySchema=%s, want %s", got, want)
			}

			// Every key attribute is declared with its shared type.
			declared := map[string]string{}
			for _, a := range p["AttributeDefinitions"].([]any) {
				a := a.(map[string]any)
				declared[a["AttributeName"].(string)] = a["AttributeType"].(string)
			}
			keys := []store.Attribute{def.PartitionKey, def.SortKey}
			for _, ix := range def.Indexes {
				keys = append(keys, ix.PartitionKey, ix.SortKey)
			}
			for _, k := range keys {
				if k.Name != "" && declared[k.Name] != string(k.Type) {
					t.Errorf("attribute %s declared as %q, want %q", k.Name, declared[k.Name], k.Type)
				}
			}

			var gotIx []string
			for _, g := range p["GlobalSecondaryIndexes"].([]any) {
				g := g.(map[string]any)
				gotIx = append(gotIx, fmt.Sprintf("%s %s %s", g["IndexName"], jsonString(g["KeySchema"]), jsonString(g["Projection"])))
			}
			var wantIx []string
			for _, ix := range def.Indexes {
				ks := []any{map[string]any{"AttributeName": ix.PartitionKey.Name, "KeyType": "HASH"}}
				if ix.SortKey.Name != "" {
					ks = append(ks, map[string]any{"AttributeName": ix.SortKey.Name, "KeyType": "RANGE"})
				}
				proj := `{"ProjectionType":"ALL"}`
				if ix.Projection == store.ProjectInclude {
					proj = jsonString(map[string]any{"ProjectionType": "INCLUDE", "NonKeyAttributes": ix.Include})
				}
				wantIx = append(wantIx, fmt.Sprintf("%s %s %s", ix.Name, jsonString(ks), proj))
			}
			if !equal(sorted(gotIx...), sorted(wantIx...)) {
				t.Errorf("GlobalSecondaryIndexes=\n%s\nwant\n%s", strings.Join(gotIx, "\n"), strings.Join(wantIx, "\n"))
			}

			wantStream := "null"
			if def.Stream {
				wantStream = `{"StreamViewType":"NEW_AND_OLD_IMAGES"}`
			}
			if got := jsonString(p["StreamSpecification"]); got != wantStream {
				t.Errorf("StreamSpecification=%s, want %s", got, wantStream)
			}
			wantTTL := "null"
			if def.TTLAttribute != "" {
				wantTTL = fmt.Sprintf(`{"AttributeName":%q,"Enabled":true}`, def.TTLAttribute)
			}
			if got := jsonString(p["TimeToLiveSpecification"]); got != wantTTL {
				t.Errorf("TimeToLiveSpecification=%s, want %s", got, wantTTL)
			}
			if p["TableName"] != nil {
				t.Errorf("TableName=%v, want a generated name", p["TableName"])
			}
		})
	}
}

func TestStatefulResources_AreRetainedAndProtectedOutsideDev(t *testing.T) {
	for _, tt := range []struct {
		config, policy string
		protected      bool
	}{
		{"dev", "Delete", false},
		// Kept on delete and replacement, but removed when the stack's
		// first creation fails, so that a retry is not blocked by orphans.
		{"prod", "RetainExceptOnCreate", true},
	} {
		s := synth(t, tt.config)
		for id, r := range s.resources("AWS::DynamoDB::Table") {
			if got := r["DeletionPolicy"]; got != tt.policy {
				t.Errorf("%s: table %s DeletionPolicy=%v, want %v", tt.config, id, got, tt.policy)
			}
			if got, want := r["UpdateReplacePolicy"], map[bool]string{true: "Retain", false: "Delete"}[tt.protected]; got != want {
				t.Errorf("%s: table %s UpdateReplacePolicy=%v, want %v", tt.config, id, got, want)
			}
			if got := props(r)["DeletionProtectionEnabled"]; got != tt.protected {
				t.Errorf("%s: table %s DeletionProtectionEnabled=%v, want %v", tt.config, id, got, tt.protected)
			}
		}
		for id, r := range s.resources("AWS::Cognito::UserPool") {
			want := map[bool]string{true: "ACTIVE", false: "INACTIVE"}[tt.protected]
			if got := props(r)["DeletionProtection"]; got != want {
				t.Errorf("%s: user pool %s DeletionProtection=%v, want %v", tt.config, id, got, want)
			}
			if got := r["DeletionPolicy"]; got != tt.policy {
				t.Errorf("%s: user pool %s DeletionPolicy=%v, want %v", tt.config, id, got, tt.policy)
			}
		}
		for id, r := range s.resources("AWS::Logs::LogGroup") {
			if got := r["DeletionPolicy"]; got != tt.policy {
				t.Errorf("%s: log group %s DeletionPolicy=%v, want %v", tt.config, id, got, tt.policy)
			}
		}
	}
}

func TestFunctions_RunPrebuiltArm64BootstrapsWithJSONLogsAtTheStageLevelAndTracing(t *testing.T) {
	for _, config := range []string{"dev", "external"} {
		s := synth(t, config)
		for _, f := range s.stack.Functions.All() {
			p := props(s.resources("AWS::Lambda::Function")[s.id(f.Function)])
			for key, want := range map[string]string{
				"Runtime": `"provided.al2023"`, "Architectures": `["arm64"]`, "Handler": `"bootstrap"`,
			} {
				if got := jsonString(p[key]); got != want {
					t.Errorf("%s %s: %s=%s, want %s", config, f.Name, key, got, want)
				}
			}
			logs := s.id(s.stack.Functions.LogGroups[f.Name])
			level := map[string]string{"dev": "INFO", "external": "DEBUG"}[config] // logLevel info, debug
			want := jsonString(map[string]any{"ApplicationLogLevel": level, "LogFormat": "JSON", "LogGroup": ref(logs), "SystemLogLevel": level})
			if got := jsonString(p["LoggingConfig"]); got != want {
				t.Errorf("%s %s: LoggingConfig=%s, want %s", config, f.Name, got, want)
			}
			if p["FunctionName"] != nil {
				t.Errorf("%s %s: FunctionName=%v, want a generated name", config, f.Name, p["FunctionName"])
			}
			if got := jsonString(p["TracingConfig"]); got != `{"Mode":"Active"}` {
				t.Errorf("%s %s: TracingConfig=%s, want active tracing", config, f.Name, got)
			}
			if p["Timeout"] == nil || p["MemorySize"] == nil {
				t.Errorf("%s %s: Timeout=%v MemorySize=%v, want both set", config, f.Name, p["Timeout"], p["MemorySize"])
			}
		}
	}
}

func TestLogGroups_KeepTheConfiguredRetention(t *testing.T) {
	for config, want := range map[string]float64{"dev": 30, "prod": 365} {
		s := synth(t, config)
		for id, r := range s.resources("AWS::Logs::LogGroup") {
			if got := props(r)["RetentionInDays"]; got != want {
				t.Errorf("%s: log group %s RetentionInDays=%v, want %v", config, id, got, want)
			}
		}
	}
}

func TestFunctions_GetTheirSettingsFromTheStack(t *testing.T) {
	for _, tt := range []struct {
		config string
		want   map[string]string
	}{
		{"dev", map[string]string{
			"STAGE": "dev", "LOG_LEVEL": "info", "ALLOW_RIGHTS_CLAIM": "false", "ADMIN_GROUP": "GrievanceAdmin", "INTROSPECTION": "false",
			"EXPLORER": "false",
		}},
		{"external", map[string]string{
			"STAGE": "staging", "ALLOW_RIGHTS_CLAIM": "true", "INTROSPECTION": "true", "EXPLORER": "true",
		}},
	} {
		s := synth(t, tt.config)
		refs := map[string]any{
			"EVENT_BUS_NAME": ref(s.id(s.stack.Events.Bus)),
		}
		for _, def := range store.Tables() {
			refs[def.EnvVar] = ref(s.id(s.stack.Data.Tables[def.Name]))
		}
		for _, f := range s.stack.Functions.All() {
			env := props(s.resources("AWS::Lambda::Function")[s.id(f.Function)])["Environment"].(map[string]any)["Variables"].(map[string]any)
			for k, want := range tt.want {
				if got := env[k]; got != want {
					t.Errorf("%s %s: %s=%v, want %q", tt.config, f.Name, k, got, want)
				}
			}
			for k, want := range refs {
				if got := jsonString(env[k]); got != jsonString(want) {
					t.Errorf("%s %s: %s=%s, want %s", tt.config, f.Name, k, got, jsonString(want))
				}
			}
		}
	}
}

// TestGrants_AreNamedStatementsWithoutWildcards checks the form of every
// role's policy; what the statements allow is held against the calls the
// functions make by TestPermissions_RolesAllowExactlyWhatTheFunctionsCall.
func TestGrants_AreNamedStatementsWithoutWildcards(t *testing.T) {
	s := synth(t, "external") // has every function
	policies := s.resources("AWS::IAM::Policy")
	roles := s.resources("AWS::IAM::Role")
	for _, f := range s.stack.Functions.All() {
		t.Run(f.Name, func(t *testing.T) {
			role := s.id(f.Function.Role())
			if got := props(roles[role])["ManagedPolicyArns"]; got != nil {
				t.Errorf("role has managed policies %s, want none", jsonString(got))
			}
			n := 0
			for id, p := range policies {
				if jsonString(props(p)["Roles"]) != jsonString([]any{ref(role)}) {
					continue
				}
				for _, st := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					st := st.(map[string]any)
					n++
					sid := fmt.Sprint(st["Sid"])
					if st["Effect"] != "Allow" || st["Sid"] == nil {
						t.Errorf("policy %s: statement %s Effect=%v, want a named Allow", id, sid, st["Effect"])
					}
					actions, res := strs(st["Action"]), jsonString(st["Resource"])
					if slices.ContainsFunc(actions, func(a string) bool { return strings.Contains(a, "*") }) {
						t.Errorf("statement %s has a wildcard action: %v", sid, actions)
					}
					// X-Ray has no resource-level permissions, nor has an SMS
					// to a phone number.
					if strings.Contains(res, `"*"`) && sid != "SendTraces" && !(sid == "SendSMS" && f.Name == stack.FnSMS) {
						t.Errorf("statement %s has a wildcard resource: %s", sid, res)
					}
				}
			}
			if n == 0 {
				t.Error("role has no statements")
			}
		})
	}
}

func TestAPI_RoutesGraphQLThroughTheJWTAuthorizer(t *testing.T) {
	s := synth(t, "dev")
	api := s.id(s.stack.API.HTTPAPI)
	authorizers := s.resources("AWS::ApiGatewayV2::Authorizer")
	var authorizer string
	for id := range authorizers {
		authorizer = id
	}
	pool, client := s.id(s.stack.API.UserPool), s.id(s.stack.API.Client)
	must(t, "JWT authorizer of the user pool and app client", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), map[string]any{
			"ApiId":          ref(api),
			"AuthorizerType": "JWT",
			"IdentitySource": []any{"$request.header.Authorization"},
			"JwtConfiguration": map[string]any{
				"Audience": []any{ref(client)},
				"Issuer":   getAtt(pool, "ProviderURL"),
			},
		})
	})
	for _, route := range []string{"POST /api/graphql", "POST /graphql"} {
		must(t, route, func() {
			s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{
				"ApiId":             ref(api),
				"RouteKey":          route,
				"AuthorizationType": "JWT",
				"AuthorizerId":      ref(authorizer),
			})
		})
	}
	must(t, "Lambda proxy integration, payload v2", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Integration"), map[string]any{
			"IntegrationType":      "AWS_PROXY",
			"PayloadFormatVersion": "2.0",
			"IntegrationUri":       getAtt(s.id(s.stack.Functions.GraphQL), "Arn"),
		})
	})
	gqlArn := jsonString(getAtt(s.id(s.stack.Functions.GraphQL), "Arn"))
	n := 0
	for id, p := range s.resources("AWS::Lambda::Permission") {
		if jsonString(props(p)["FunctionName"]) != gqlArn {
			continue
		}
		n++
		if props(p)["Principal"] != "apigateway.amazonaws.com" || props(p)["Action"] != "lambda:InvokeFunction" {
			t.Errorf("permission %s lets %v invoke the graphql function, want only API Gateway", id, props(p)["Principal"])
		}
	}
	if n == 0 {
		t.Error("API Gateway may not invoke the graphql function")
	}
}

// Ensure the explorer's GET routes exist only when the explorer context
// setting asks for them, without the authorizer (a browser opening the page
// sends no token), on the same function as the POST routes.
func TestAPI_ExplorerRoutesOnlyWhenSwitchedOn(t *testing.T) {
	for config, want := range map[string]bool{"dev": false, "prod": false, "external": true} {
		s := synth(t, config)
		routes := map[string]map[string]any{}
		for _, r := range s.resources("AWS::ApiGatewayV2::Route") {
			p := props(r)
			routes[p["RouteKey"].(string)] = p
		}
		for _, key := range []string{"GET /api/graphql", "GET /graphql"} {
			p, ok := routes[key]
			if ok != want {
				t.Errorf("%s: route %s present=%v, want %v", config, key, ok, want)
				continue
			}
			if ok && p["AuthorizationType"] != "NONE" {
				t.Errorf("%s: %s AuthorizationType=%v, want NONE", config, key, p["AuthorizationType"])
			}
		}
	}
}

func TestAPI_PublicIntakeRoutesHaveNoAuthorizerButTheirOwnThrottle(t *testing.T) {
	s := synth(t, "dev")
	api := s.id(s.stack.API.HTTPAPI)
	settings := map[string]any{}
	for _, r := range stack.IntakeRoutes {
		key := r.Method + " " + r.Path
		must(t, key, func() {
			s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{
				"ApiId":             ref(api),
				"RouteKey":          key,
				"AuthorizationType": "NONE",
				"AuthorizerId":      assertions.Match_Absent(),
			})
		})
		settings[key] = map[string]any{"ThrottlingRateLimit": stack.DefaultIntakeRate, "ThrottlingBurstLimit": stack.DefaultIntakeBurst}
	}
	must(t, "per-route throttle of the public routes", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{"RouteSettings": settings})
	})
	must(t, "public routes reach the intake function", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Integration"), map[string]any{
			"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0",
			"IntegrationUri": getAtt(s.id(s.stack.Functions.Intake), "Arn"),
		})
	})
	must(t, "End User Messaging may publish to the inbound topic, the sms function is subscribed", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Action": "sns:Publish", "Effect": "Allow", "Principal": map[string]any{"Service": "sms-voice.amazonaws.com"},
			})})},
		})
		s.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
			"Protocol": "lambda", "TopicArn": ref(s.id(s.stack.Intake.Topic)),
			"Endpoint": getAtt(s.id(s.stack.Functions.SMS), "Arn"),
		})
	})
	must(t, "the intake function learns where the webhook token is", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
				stack.EnvWebhookSecretARN: ref(s.id(s.stack.Intake.Secret)),
			})},
		})
	})
	// Only API Gateway may invoke the intake function, only the inbound
	// topic the sms function.
	for fn, principal := range map[string]string{
		jsonString(getAtt(s.id(s.stack.Functions.Intake), "Arn")): "apigateway.amazonaws.com",
		jsonString(getAtt(s.id(s.stack.Functions.SMS), "Arn")):    "sns.amazonaws.com",
	} {
		n := 0
		for id, p := range s.resources("AWS::Lambda::Permission") {
			if jsonString(props(p)["FunctionName"]) != fn {
				continue
			}
			n++
			if props(p)["Principal"] != principal {
				t.Errorf("permission %s lets %v invoke %s, want only %s", id, props(p)["Principal"], fn, principal)
			}
		}
		if n == 0 {
			t.Errorf("%s may not invoke %s", principal, fn)
		}
	}
}

func TestAPI_StageIsThrottledAndAccessLogged(t *testing.T) {
	s := synth(t, "dev")
	must(t, "stage", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"StageName":            "$default",
			"AutoDeploy":           true,
			"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": stack.DefaultThrottleRate, "ThrottlingBurstLimit": stack.DefaultThrottleBurst},
			"AccessLogSettings": map[string]any{
				"DestinationArn": getAtt(s.id(s.stack.API.AccessLogs), "Arn"),
				"Format":         assertions.Match_StringLikeRegexp(jsii.String(`"requestId":"\$context.requestId"`)),
			},
		})
	})
	if strings.Contains(stack.AccessLogFormat, "authorization") || strings.Contains(stack.AccessLogFormat, "$context.authorizer.claims.custom") {
		t.Errorf("AccessLogFormat logs credentials or custom claims: %s", stack.AccessLogFormat)
	}
}

func TestAPI_CORSComesFromContext(t *testing.T) {
	apis := synth(t, "dev").resources("AWS::ApiGatewayV2::Api")
	for id, r := range apis {
		if got := props(r)["CorsConfiguration"]; got != nil {
			t.Errorf("dev api %s: CorsConfiguration=%s, want none without corsOrigins", id, jsonString(got))
		}
	}
	s := synth(t, "prod")
	must(t, "CORS of the prod configuration", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{
			"ProtocolType": "HTTP",
			"CorsConfiguration": map[string]any{
				"AllowOrigins": []any{"https://grm.example.org"},
				"AllowMethods": []any{"POST", "OPTIONS"},
				"AllowHeaders": []any{"authorization", "content-type"},
			},
		})
	})
}

func TestAPI_AcceptsAnExternalIssuerInsteadOfCognito(t *testing.T) {
	s := synth(t, "external")
	must(t, "authorizer of the external issuer", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), map[string]any{
			"AuthorizerType": "JWT",
			"JwtConfiguration": map[string]any{
				"Issuer":   "https://idp.example.org/realms/grm",
				"Audience": []any{"redress-api", "redress-web"},
			},
		})
	})
	if s.stack.API.UserPool != nil {
		t.Error("UserPool created although jwtIssuer is set")
	}
}

func TestCognito_UserPoolIsAdminManaged(t *testing.T) {
	for _, tt := range []struct {
		config, mfa, plan string
		addOns            any
	}{
		{"dev", "OPTIONAL", "", assertions.Match_Absent()},
		{"prod", "ON", "PLUS", map[string]any{"AdvancedSecurityMode": "ENFORCED"}},
	} {
		s := synth(t, tt.config)
		plan := any(assertions.Match_Absent())
		if tt.plan != "" {
			plan = tt.plan
		}
		must(t, tt.config+" user pool", func() {
			s.template.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]any{
				"AdminCreateUserConfig": map[string]any{"AllowAdminCreateUserOnly": true},
				"MfaConfiguration":      tt.mfa,
				"UserPoolTier":          plan,
				"UserPoolAddOns":        tt.addOns,
				"Policies": map[string]any{"PasswordPolicy": map[string]any{
					"MinimumLength": 12, "RequireLowercase": true, "RequireUppercase": true,
					"RequireNumbers": true, "RequireSymbols": true,
				}},
			})
		})
	}
}

func TestCognito_ClientCannotWriteRoleAttributes(t *testing.T) {
	s := synth(t, "dev")
	clients := s.resources("AWS::Cognito::UserPoolClient")
	if len(clients) != 1 {
		t.Fatalf("clients=%d, want 1", len(clients))
	}
	for _, r := range clients {
		p := props(r)
		write := strs(p["WriteAttributes"])
		if len(write) == 0 {
			t.Fatal("WriteAttributes unset: the client could write every attribute, custom:rights included")
		}
		for _, a := range write {
			if strings.HasPrefix(a, "custom:") {
				t.Errorf("WriteAttributes=%v includes %s", write, a)
			}
		}
		if p["GenerateSecret"] != false {
			t.Errorf("GenerateSecret=%v, want false (public client)", p["GenerateSecret"])
		}
		if got, want := strs(p["ExplicitAuthFlows"]), sorted("ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"); !equal(got, want) {
			t.Errorf("ExplicitAuthFlows=%v, want %v", got, want)
		}
		if p["AllowedOAuthFlows"] != nil || p["CallbackURLs"] != nil {
			t.Errorf("OAuth flows=%v callbacks=%v, want none", p["AllowedOAuthFlows"], p["CallbackURLs"])
		}
		if p["PreventUserExistenceErrors"] != "ENABLED" {
			t.Errorf("PreventUserExistenceErrors=%v, want ENABLED", p["PreventUserExistenceErrors"])
		}
	}
}

func TestCognito_GroupsCoverEveryRoleOfTheDomain(t *testing.T) {
	s := synth(t, "dev")
	var got []string
	for _, r := range s.resources("AWS::Cognito::UserPoolGroup") {
		got = append(got, props(r)["GroupName"].(string))
	}
	want := []string{grievance.DefaultAdminGroup}
	for role := range grievance.DefaultConfig().RoleRights {
		want = append(want, role)
	}
	if !equal(sorted(got...), sorted(want...)) {
		t.Fatalf("groups=%v, want the admin group and every role of grievance.DefaultConfig: %v", sorted(got...), sorted(want...))
	}
}

func TestStreams_BoundRetriesAndReportPartialFailures(t *testing.T) {
	s := synth(t, "dev")
	// A stream shard serves two readers well: history (which also keeps
	// the statistics) and tasks.
	if got := len(s.stack.Streams.Consumers); got != 2 {
		t.Fatalf("consumers=%d, want 2 (history, tasks)", got)
	}
	for _, c := range s.stack.Streams.Consumers {
		must(t, c.Name+" mapping", func() {
			s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
				"FunctionName":               getAtt(s.id(c.Function), "Arn"),
				"EventSourceArn":             getAtt(s.id(s.stack.Data.Main()), "StreamArn"),
				"StartingPosition":           "TRIM_HORIZON",
				"BatchSize":                  stack.StreamBatchSize,
				"BisectBatchOnFunctionError": true,
				"MaximumRetryAttempts":       stack.StreamRetryAttempts,
				"MaximumRecordAgeInSeconds":  stack.StreamMaxRecordAgeSecs,
				"FunctionResponseTypes":      []any{"ReportBatchItemFailures"},
				"DestinationConfig": map[string]any{"OnFailure": map[string]any{
					"Destination": getAtt(s.id(c.DLQ), "Arn"),
				}},
			})
		})
		r := s.resources("AWS::Lambda::EventSourceMapping")[s.id(c.Mapping)]
		deps := strs(r["DependsOn"])
		policy := s.id(c.Function.Role().Node().FindChild(jsii.String("DefaultPolicy")))
		if !slices.Contains(deps, policy) {
			t.Errorf("%s mapping DependsOn=%v, want it to wait for %s (Lambda checks the role on create)", c.Name, deps, policy)
		}
		q := props(s.resources("AWS::SQS::Queue")[s.id(c.DLQ)])
		if q["SqsManagedSseEnabled"] != true || q["MessageRetentionPeriod"] != float64(stack.DLQRetentionDays*24*3600) {
			t.Errorf("%s DLQ=%s, want SSE and %d days retention", c.Name, jsonString(q), stack.DLQRetentionDays)
		}
	}
}

func TestEvents_BusAndSLASchedule(t *testing.T) {
	s := synth(t, "external")
	if p := props(s.resources("AWS::Events::EventBus")[s.id(s.stack.Events.Bus)]); p["Name"] == nil {
		t.Error("bus has no name (CloudFormation requires one; CDK generates it)")
	}
	must(t, "SLA schedule", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": "rate(15 minutes)",
			"State":              "ENABLED",
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
				"Arn":         getAtt(s.id(s.stack.Functions.SLA), "Arn"),
				"RetryPolicy": map[string]any{"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600},
			})},
		})
	})
	must(t, "EventBridge may invoke the sla function", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
			"Action":       "lambda:InvokeFunction",
			"FunctionName": getAtt(s.id(s.stack.Functions.SLA), "Arn"),
			"Principal":    "events.amazonaws.com",
			"SourceArn":    assertions.Match_AnyValue(),
		})
	})
	if s := synth(t, "dev"); s.stack.Functions.SLA != nil {
		t.Error("dev (sla unset in tests) deployed the sla function")
	}
}

func TestAlarms_WatchFunctionsStreamsQueuesAPITablesAndTheSweep(t *testing.T) {
	s := synth(t, "external")
	topic := ref(s.id(s.stack.Alarms.Topic))
	actions := jsonString([]any{topic, configs["external"]["alarmTopicArn"]})
	type key struct{ metric, dimension string }
	got := map[key]bool{}
	for id, r := range s.resources("AWS::CloudWatch::Alarm") {
		p := props(r)
		if jsonString(p["AlarmActions"]) != actions || jsonString(p["OKActions"]) != actions {
			t.Errorf("alarm %s actions=%s ok=%s, want %s", id, jsonString(p["AlarmActions"]), jsonString(p["OKActions"]), actions)
		}
		wantMissing := "notBreaching"
		if strings.HasPrefix(id, "AlarmsSLASweepMissing") {
			wantMissing = "breaching" // no run at all is what it is for
		}
		if p["TreatMissingData"] != wantMissing {
			t.Errorf("alarm %s TreatMissingData=%v, want %s", id, p["TreatMissingData"], wantMissing)
		}
		// A metric alarm names its metric; a math alarm its metrics.
		metrics := []any{p}
		if m, ok := p["Metrics"].([]any); ok {
			metrics = nil
			for _, q := range m {
				if ms, ok := q.(map[string]any)["MetricStat"].(map[string]any); ok {
					metrics = append(metrics, ms["Metric"])
				}
			}
		}
		for _, m := range metrics {
			m := m.(map[string]any)
			var dim string
			if d, ok := m["Dimensions"].([]any); ok && len(d) > 0 {
				dim = jsonString(d[0].(map[string]any)["Value"])
			}
			got[key{fmt.Sprint(m["MetricName"]), dim}] = true
		}
	}
	var want []key
	for _, f := range s.stack.Functions.All() {
		fn := jsonString(ref(s.id(f.Function)))
		want = append(want, key{"Errors", fn}, key{"Throttles", fn})
	}
	for _, c := range s.stack.Streams.Consumers {
		want = append(want, key{"IteratorAge", jsonString(ref(s.id(c.Function)))},
			key{"ApproximateNumberOfMessagesVisible", jsonString(getAtt(s.id(c.DLQ), "QueueName"))})
	}
	for _, r := range s.stack.Events.Rules {
		want = append(want, key{"ApproximateNumberOfMessagesVisible", jsonString(getAtt(s.id(r.DLQ), "QueueName"))})
	}
	api := jsonString(ref(s.id(s.stack.API.HTTPAPI)))
	want = append(want, key{"5xx", api}, key{"Latency", api}, key{"StatisticsFailures", ""}, key{"TextIndexFailures", ""})
	for _, def := range store.Tables() {
		table := jsonString(ref(s.id(s.stack.Data.Tables[def.Name])))
		want = append(want, key{"ReadThrottleEvents", table}, key{"WriteThrottleEvents", table})
	}
	want = append(want, key{"Invocations", jsonString(ref(s.id(s.stack.Functions.SLA)))})
	for _, k := range want {
		if !got[k] {
			t.Errorf("no alarm on %s of %s", k.metric, k.dimension)
		}
	}
	if len(got) != len(want) {
		t.Errorf("alarmed metrics=%d, want %d", len(got), len(want))
	}
	must(t, "p99 latency alarm", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"MetricName": "Latency", "ExtendedStatistic": "p99", "Threshold": 3000,
			"EvaluationPeriods": stack.LatencyEvaluationPeriods, "ComparisonOperator": "GreaterThanThreshold",
		})
	})
	// Statistics failures do not fail the history function: the alarm
	// counts the message it logs.
	for id, r := range s.resources("AWS::Logs::MetricFilter") {
		p := props(r)
		pattern := jsonString(p["FilterPattern"])
		if jsonString(p["LogGroupName"]) != jsonString(ref(s.id(s.stack.Functions.LogGroups[stack.FnHistory]))) ||
			!strings.Contains(pattern, store.StatsNotAppliedLog) && !strings.Contains(pattern, store.SearchNotAppliedLog) {
			t.Errorf("metric filter %s: log group %s, pattern %s; want the history function's, matching %q or %q",
				id, jsonString(p["LogGroupName"]), pattern, store.StatsNotAppliedLog, store.SearchNotAppliedLog)
		}
	}
	must(t, "missing SLA sweep alarm", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"ComparisonOperator": "LessThanThreshold", "Threshold": 1, "TreatMissingData": "breaching",
			"Metrics": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Expression": "FILL(runs, 0) - FILL(failed, 0)",
			})}),
		})
	})
}

// TestAlarms_CloudWatchMayPublishToTheTopic: without this statement the
// topic's policy holds only the TLS Deny and no alarm arrives.
func TestAlarms_CloudWatchMayPublishToTheTopic(t *testing.T) {
	for _, config := range []string{"dev", "prod"} {
		s := synth(t, config)
		var alarms []any
		for id := range s.resources("AWS::CloudWatch::Alarm") {
			alarms = append(alarms, getAtt(id, "Arn"))
		}
		var statement map[string]any
		for _, r := range s.resources("AWS::SNS::TopicPolicy") {
			for _, st := range props(r)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				if st := st.(map[string]any); st["Sid"] == "AllowCloudWatchAlarmsToPublish" {
					statement = st
				}
			}
		}
		if statement == nil {
			t.Fatalf("%s: the topic policy has no statement for CloudWatch", config)
		}
		if got := jsonString(statement["Principal"]); got != `{"Service":"cloudwatch.amazonaws.com"}` || statement["Action"] != "sns:Publish" || statement["Effect"] != "Allow" {
			t.Errorf("%s: statement=%s, want CloudWatch allowed sns:Publish", config, jsonString(statement))
		}
		if got, want := jsonString(statement["Resource"]), jsonString(ref(s.id(s.stack.Alarms.Topic))); got != want {
			t.Errorf("%s: Resource=%s, want the topic %s", config, got, want)
		}
		cond := statement["Condition"].(map[string]any)
		account := jsonString(cond["StringEquals"].(map[string]any)["aws:SourceAccount"])
		if wantAccount := map[string]string{"dev": `{"Ref":"AWS::AccountId"}`, "prod": `"123456789012"`}[config]; account != wantAccount {
			t.Errorf("%s: aws:SourceAccount=%s, want %s", config, account, wantAccount)
		}
		sources := jsonList(cond["ArnLike"].(map[string]any)["aws:SourceArn"])
		var wantSources []string
		for _, a := range alarms {
			wantSources = append(wantSources, jsonString(a))
		}
		if !equal(sorted(sources...), sorted(wantSources...)) {
			t.Errorf("%s: aws:SourceArn=%v, want exactly the stack's alarms %v", config, sources, wantSources)
		}
	}
}

func TestAlarms_TopicIsEncryptedAndEmailIsOptional(t *testing.T) {
	s := synth(t, "prod")
	must(t, "topic key", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{
			"KmsMasterKeyId": getAtt(s.id(s.stack.Alarms.Topic.MasterKey()), "Arn"),
		})
	})
	must(t, "key rotation", func() {
		s.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{"EnableKeyRotation": true})
	})
	must(t, "email subscription", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
			"Protocol": "email", "Endpoint": "ops@example.org",
		})
	})
}

func TestOutputs_TellOperatorsWhereEverythingIs(t *testing.T) {
	for config, want := range map[string][]string{
		"dev":      {"ApiUrl", "GraphQLUrl", "UserPoolId", "UserPoolClientId", "JwtIssuer", "MainTableName", "HistoryTableName", "EventBusName", "AlarmTopicArn", "Region", "AttachmentsBucket", "ImportBucketName", "StaffSyncFunctionName", "IntakeUrl", "InboundSmsTopicArn", "WebhookSecretArn"},
		"external": {"ApiUrl", "GraphQLUrl", "JwtIssuer", "MainTableName", "HistoryTableName", "EventBusName", "AlarmTopicArn", "Region", "AttachmentsBucket", "ImportBucketName", "IntakeUrl", "InboundSmsTopicArn", "WebhookSecretArn"},
	} {
		var got []string
		for k := range synth(t, config).json["Outputs"].(map[string]any) {
			got = append(got, k)
		}
		if !equal(sorted(got...), sorted(want...)) {
			t.Errorf("%s outputs=%v, want %v", config, sorted(got...), sorted(want...))
		}
	}
}

func TestQueuesAndTopic_RefuseUnencryptedTransport(t *testing.T) {
	s := synth(t, "dev")
	deny := assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
		"Effect":    "Deny",
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	})})
	for _, c := range s.stack.Streams.Consumers {
		must(t, c.Name+" DLQ policy", func() {
			s.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
				"Queues":         []any{ref(s.id(c.DLQ))},
				"PolicyDocument": map[string]any{"Statement": deny},
			})
		})
	}
	must(t, "alarm topic policy", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
			"Topics":         []any{ref(s.id(s.stack.Alarms.Topic))},
			"PolicyDocument": map[string]any{"Statement": deny},
		})
	})
	must(t, "CloudWatch may use the topic key", func() {
		s.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{
			"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Sid":       "AllowCloudWatchAlarmsToPublish",
				"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Action":    []any{"kms:Decrypt", "kms:GenerateDataKey*"},
			})})},
		})
	})
}

func TestAPI_FunctionConcurrencyIsReservedOutsideDev(t *testing.T) {
	for config, want := range map[string]any{"dev": nil, "prod": float64(stack.DefaultAPIConcurrency)} {
		s := synth(t, config)
		p := props(s.resources("AWS::Lambda::Function")[s.id(s.stack.Functions.GraphQL)])
		if got := p["ReservedConcurrentExecutions"]; got != want {
			t.Errorf("%s: graphql ReservedConcurrentExecutions=%v, want %v", config, got, want)
		}
		for _, f := range s.stack.Functions.All()[1:] {
			if got := props(s.resources("AWS::Lambda::Function")[s.id(f.Function)])["ReservedConcurrentExecutions"]; got != nil {
				t.Errorf("%s: %s ReservedConcurrentExecutions=%v, want none", config, f.Name, got)
			}
		}
	}
}

func TestEvents_BusIsArchivedAndTheScheduleHasADeadLetterQueue(t *testing.T) {
	s := synth(t, "external")
	must(t, "archive of every event", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Events::Archive"), map[string]any{
			"SourceArn":     getAtt(s.id(s.stack.Events.Bus), "Arn"),
			"RetentionDays": stack.ArchiveRetentionDays,
			"EventPattern":  assertions.Match_Absent(),
		})
	})
	var names []string
	for _, r := range s.stack.Events.Rules {
		names = append(names, r.Name)
	}
	if !equal(sorted(names...), []string{"SLASchedule", "ScanResult"}) {
		t.Fatalf("rules=%v, want the SLA schedule and the scan-result rule", names)
	}
	for _, r := range s.stack.Events.Rules {
		eventsRuleHasItsDLQ(t, s, r)
	}
}

// eventsRuleHasItsDLQ checks that r's target has r's dead-letter queue and
// that only r may send to it.
func eventsRuleHasItsDLQ(t *testing.T, s *synthesized, r *stack.Rule) {
	t.Helper()
	must(t, r.Name+" target's DLQ", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
				"DeadLetterConfig": map[string]any{"Arn": getAtt(s.id(r.DLQ), "Arn")},
			})},
		})
	})
	must(t, "only the rule may send to its DLQ", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
			"Queues": []any{ref(s.id(r.DLQ))},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect": "Allow", "Action": "sqs:SendMessage", "Principal": map[string]any{"Service": "events.amazonaws.com"},
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": getAtt(s.id(r.Rule), "Arn")}},
			})})},
		})
	})
}

func TestDashboard_ShowsWhatTheAlarmsWatch(t *testing.T) {
	s := synth(t, "external")
	d := s.resources("AWS::CloudWatch::Dashboard")
	if len(d) != 1 {
		t.Fatalf("dashboards=%d, want 1", len(d))
	}
	var body string
	for _, r := range d {
		body = jsonString(props(r)["DashboardBody"])
	}
	for _, want := range []string{
		`API requests`, `API 4xx / 5xx`, `API latency p50 / p99`, `\"stat\":\"p50\"`, `\"stat\":\"p99\"`,
		`Function errors`, `Function throttles`, `Function duration p99`, `Stream iterator age`,
		`Dead-letter queue depth`, `DynamoDB throttled requests`, `ReadThrottleEvents`, `SLA sweep heartbeat`,
		`\"Count\"`, `\"4xx\"`, `\"5xx\"`, `\"IteratorAge\"`, `\"ApproximateNumberOfMessagesVisible\"`, `\"Invocations\"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard has no %s", want)
		}
	}
}

func TestStack_EnvironmentIsPinnedOutsideDev(t *testing.T) {
	for config, want := range map[string][2]string{
		"dev":  {"${Token[AWS.AccountId", "${Token[AWS.Region"}, // environment-agnostic
		"prod": {"123456789012", "eu-west-1"},
	} {
		st := synth(t, config).stack
		if !strings.HasPrefix(*st.Account(), want[0]) || !strings.HasPrefix(*st.Region(), want[1]) {
			t.Errorf("%s: account=%s region=%s, want %s %s", config, *st.Account(), *st.Region(), want[0], want[1])
		}
	}
}

package stack_test

import (
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/infra/stack"
)

// The openIMIS client mode is off by default: no authorizer function, no
// current_user route, no password sign-in on the app client.
func TestClientMode_OffByDefault(t *testing.T) {
	s := synth(t, "dev")
	if s.stack.Functions.Authorizer != nil {
		t.Fatal("dev synthesizes the client mode's authorizer")
	}
	must(t, "no password sign-in", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), map[string]any{
			"ExplicitAuthFlows": []any{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		})
	})
	for _, f := range s.stack.Functions.All() {
		env := props(s.resources("AWS::Lambda::Function")[s.id(f.Function)])["Environment"].(map[string]any)["Variables"].(map[string]any)
		if _, on := env["OPENIMIS_CLIENT"]; on {
			t.Errorf("%s has OPENIMIS_CLIENT in dev", f.Name)
		}
	}
}

func TestClientMode_LambdaAuthorizerRoutesAndSettings(t *testing.T) {
	s := synth(t, "client")
	api := s.id(s.stack.API.HTTPAPI)
	authFn := s.stack.Functions.Authorizer
	if authFn == nil {
		t.Fatal("no authorizer function")
	}
	authorizers := s.resources("AWS::ApiGatewayV2::Authorizer")
	if len(authorizers) != 1 {
		t.Fatalf("%d authorizers, want the Lambda one only", len(authorizers))
	}
	var authorizer string
	for id, r := range authorizers {
		authorizer = id
		p := props(r)
		if p["AuthorizerType"] != "REQUEST" || p["EnableSimpleResponses"] != true || p["AuthorizerResultTtlInSeconds"] != 0.0 ||
			p["AuthorizerPayloadFormatVersion"] != "2.0" || len(asList(p["IdentitySource"])) != 0 {
			t.Errorf("authorizer %s: want REQUEST, simple responses, no cache, payload 2.0 and no identity source (anonymous calls pass)", jsonString(p))
		}
	}
	for _, route := range []string{"POST /api/graphql", "POST /graphql", "GET " + stack.CurrentUserRoute} {
		must(t, route, func() {
			s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{
				"ApiId": ref(api), "RouteKey": route, "AuthorizationType": "CUSTOM", "AuthorizerId": ref(authorizer),
			})
		})
	}
	pool, client := s.id(s.stack.API.UserPool), s.id(s.stack.API.Client)
	for _, tc := range []struct {
		fn   string
		env  map[string]any
		from map[string]any
	}{
		{"authorizer", map[string]any{"JWT_ISSUER": getAtt(pool, "ProviderURL"), "JWT_AUDIENCE": ref(client)}, props(s.resources("AWS::Lambda::Function")[s.id(authFn)])},
		{"graphql", map[string]any{"OPENIMIS_CLIENT": "true", "OPENIMIS_SIGNER": "cognito", "COGNITO_CLIENT_ID": ref(client)}, props(s.resources("AWS::Lambda::Function")[s.id(s.stack.Functions.GraphQL)])},
	} {
		vars := tc.from["Environment"].(map[string]any)["Variables"].(map[string]any)
		for k, want := range tc.env {
			if jsonString(vars[k]) != jsonString(want) {
				t.Errorf("%s: %s=%s, want %s", tc.fn, k, jsonString(vars[k]), jsonString(want))
			}
		}
	}
	must(t, "password sign-in on the app client", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), map[string]any{
			"ExplicitAuthFlows": []any{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		})
	})
	must(t, "CORS: the client's origin exactly, with credentials and X-CSRFToken", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{
			"CorsConfiguration": map[string]any{
				"AllowOrigins": []any{"https://grm.example.org"}, "AllowCredentials": true,
				"AllowHeaders": []any{"authorization", "content-type", "x-csrftoken"},
			},
		})
	})
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

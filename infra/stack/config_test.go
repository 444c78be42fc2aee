package stack_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/redress-grm/redress/infra/stack"
)

func configFrom(t *testing.T, ctx map[string]any) (stack.Config, error) {
	t.Helper()
	c := map[string]any{}
	for k, v := range ctx {
		c[k] = v
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &c})
	return stack.ConfigFromContext(app.Node())
}

func TestConfigFromContext_ReadsJSONAndCommandLineValues(t *testing.T) {
	defaults := stack.Config{
		Stage: "dev", ThrottleRate: 50, ThrottleBurst: 100, LogRetentionDays: 30, LogLevel: "info",
		AdminGroup: "GrievanceAdmin", MFA: "optional", IntakeThrottleRate: 5, IntakeThrottleBurst: 10, AttachmentRetentionDays: 90,
	}
	for _, tt := range []struct {
		name string
		ctx  map[string]any
		want func(c *stack.Config)
	}{
		{"Defaults", nil, func(c *stack.Config) {}},
		{"EmptyStringsAreUnset", map[string]any{"alarmEmail": "", "jwtIssuer": " ", "corsOrigins": ""}, func(c *stack.Config) {}},
		{"ProductionStageRequiresMFA", map[string]any{"stage": "prod", "alarmEmail": "ops@example.org", "account": "123456789012", "region": "eu-west-1"}, func(c *stack.Config) {
			c.Stage, c.MFA, c.AlarmEmail, c.Account, c.Region, c.APIConcurrency = "prod", "required", "ops@example.org", "123456789012", "eu-west-1", stack.DefaultAPIConcurrency
		}},
		{"StageEnvironmentFromCDKJSON", map[string]any{
			"stage": "prod", "alarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:pager", "apiConcurrency": "20",
			"environments": map[string]any{"prod": map[string]any{"account": "123456789012", "region": "eu-west-1"}, "dev": map[string]any{"account": "210987654321", "region": "us-east-2"}},
		}, func(c *stack.Config) {
			c.Stage, c.MFA, c.AlarmTopicARN, c.Account, c.Region, c.APIConcurrency = "prod", "required", "arn:aws:sns:eu-west-1:123456789012:pager", "123456789012", "eu-west-1", 20
		}},
		{"CommandLineOverridesStageEnvironment", map[string]any{
			"region": "eu-central-1", "environments": map[string]any{"dev": map[string]any{"account": "210987654321", "region": "us-east-2"}},
		}, func(c *stack.Config) {
			c.Account, c.Region = "210987654321", "eu-central-1"
		}},
		{"JSONValues", map[string]any{
			"corsOrigins": []any{"https://a.example", "https://b.example"}, "throttleRate": 10.0, "throttleBurst": 20.0,
			"logRetentionDays": 90.0, "allowRightsClaim": true, "introspection": true, "sla": true, "mfa": "off",
			"explorer":                true,
			"attachmentRetentionDays": 30.0,
		}, func(c *stack.Config) {
			c.AttachmentRetentionDays = 30
			c.CORSOrigins = []string{"https://a.example", "https://b.example"}
			c.ThrottleRate, c.ThrottleBurst, c.LogRetentionDays = 10, 20, 90
			c.AllowRightsClaim, c.Introspection, c.SLA, c.MFA = true, true, true, "off"
			c.Explorer = true
		}},
		{"OpenIMISClientMode", map[string]any{"openimisClient": "true", "openimisClientOrigin": "https://grm.example.org"}, func(c *stack.Config) {
			c.OpenIMISClient, c.OpenIMISClientOrigin = true, "https://grm.example.org"
		}},
		{"CommandLineStrings", map[string]any{
			"corsOrigins": "https://a.example, https://b.example", "throttleRate": "10", "throttleBurst": "20",
			"allowRightsClaim": "true", "introspection": "false", "alarmEmail": "ops@example.org",
			"jwtIssuer": "https://idp.example.org", "jwtAudience": `["api"]`,
		}, func(c *stack.Config) {
			c.CORSOrigins = []string{"https://a.example", "https://b.example"}
			c.ThrottleRate, c.ThrottleBurst = 10, 20
			c.AllowRightsClaim, c.AlarmEmail = true, "ops@example.org"
			c.JWTIssuer, c.JWTAudience = "https://idp.example.org", []string{"api"}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configFrom(t, tt.ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := defaults
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Config=%+v,\nwant %+v", got, want)
			}
		})
	}
}

func TestConfigFromContext_RejectsUndeployableValues(t *testing.T) {
	for _, tt := range []struct {
		name    string
		ctx     map[string]any
		wantErr string
	}{
		{"StageNotAStackName", map[string]any{"stage": "prod eu"}, "stage"},
		{"IssuerWithoutAudience", map[string]any{"jwtIssuer": "https://idp.example.org"}, "jwtAudience"},
		{"AudienceWithoutIssuer", map[string]any{"jwtAudience": "api"}, "jwtIssuer"},
		{"PlainHTTPIssuer", map[string]any{"jwtIssuer": "http://idp.example.org", "jwtAudience": "api"}, "https"},
		{"UnsupportedRetention", map[string]any{"logRetentionDays": 10.0}, "logRetentionDays"},
		{"NotANumber", map[string]any{"throttleRate": "fast"}, "throttleRate"},
		{"ZeroBurst", map[string]any{"throttleBurst": 0.0}, "throttleBurst"},
		{"NotABool", map[string]any{"introspection": "yes please"}, "introspection"},
		{"UnknownMFA", map[string]any{"mfa": "sometimes"}, "mfa"},
		{"ZeroIntakeRate", map[string]any{"intakeThrottleRate": 0.0}, "intakeThrottleRate"},
		{"PlainHTTPPublicURL", map[string]any{"publicUrl": "http://grm.example.org"}, "publicUrl"},
		{"UnknownLogLevel", map[string]any{"logLevel": "verbose"}, "logLevel"},
		{"ProductionWithoutAlarmRecipient", map[string]any{"stage": "prod", "account": "123456789012", "region": "eu-west-1"}, "alarmEmail"},
		{"ProductionWithoutAccount", map[string]any{"stage": "prod", "alarmEmail": "ops@example.org", "region": "eu-west-1"}, "account and region"},
		{"ProductionWithoutRegion", map[string]any{"stage": "prod", "alarmEmail": "ops@example.org", "account": "123456789012"}, "account and region"},
		{"AccountNotAnID", map[string]any{"account": "prod-account"}, "12-digit"},
		{"RegionNotARegion", map[string]any{"region": "Europe"}, "region"},
		{"AlarmTopicNotATopic", map[string]any{"alarmTopicArn": "ops-pager"}, "alarmTopicArn"},
		{"NegativeConcurrency", map[string]any{"apiConcurrency": -1.0}, "apiConcurrency"},
		{"FewerIndexesThanDeployed", map[string]any{"mainIndexes": 6.0}, "mainIndexes=6"},
		{"MoreIndexesThanDefined", map[string]any{"mainIndexes": 99.0}, "mainIndexes=99"},
		{"MoreHistoryIndexesThanDefined", map[string]any{"historyIndexes": 8.0}, "historyIndexes=8"},
		{"NegativeHistoryIndexes", map[string]any{"historyIndexes": -1.0}, "historyIndexes=-1"},
		{"ClientModeWithoutOrigin", map[string]any{"openimisClient": true}, "openimisClientOrigin: required"},
		{"ClientModeWithoutHTTPS", map[string]any{"openimisClient": true, "openimisClientOrigin": "http://grm.example.org"}, "refused without HTTPS"},
		{"ClientModeWithWildcardOrigin", map[string]any{"openimisClient": true, "openimisClientOrigin": "https://*.example.org"}, "one exact origin"},
		{"ClientModeWithPath", map[string]any{"openimisClient": true, "openimisClientOrigin": "https://grm.example.org/front"}, "one exact origin"},
		{"ClientModeWithOtherCORSOrigins", map[string]any{"openimisClient": true, "openimisClientOrigin": "https://grm.example.org",
			"corsOrigins": "https://other.example.org"}, "corsOrigins: not with openimisClient"},
		{"ClientModeWithExternalIssuer", map[string]any{"openimisClient": true, "openimisClientOrigin": "https://grm.example.org",
			"jwtIssuer": "https://idp.example.org", "jwtAudience": "api"}, "user pool"},
		{"ClientOriginWithoutClientMode", map[string]any{"openimisClientOrigin": "https://grm.example.org"}, "only with openimisClient"},
		{"NoAttachmentRetention", map[string]any{"attachmentRetentionDays": 0.0}, "attachmentRetentionDays"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := configFrom(t, tt.ctx)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err=%v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestNew_FailsClearlyWhenABootstrapIsMissing(t *testing.T) {
	app := awscdk.NewApp(nil)
	cfg, err := stack.ConfigFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	_, err = stack.New(app, "Missing", &stack.Props{Config: cfg, AssetRoot: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "graphql/bootstrap") || !strings.Contains(err.Error(), "make build-lambdas") {
		t.Fatalf("err=%v, want a missing graphql/bootstrap error that says how to build it", err)
	}
}

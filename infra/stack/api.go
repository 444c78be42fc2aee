package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// GraphQLPaths are the routes that reach the graphql function.
var GraphQLPaths = []string{"/api/graphql", "/graphql"}

// Group is a Cognito group the stack creates. Group names are part of the
// contract with the API (the cognito:groups claim), so they are fixed.
type Group struct {
	Name        string
	Description string
	Precedence  float64
}

// Groups returns the grievance groups; adminGroup holds every right.
func Groups(adminGroup string) []Group {
	return []Group{
		{adminGroup, "Redress administrators: every right, including configuration", 0},
		{"GbvSpecialist", "Grievance officers who may also handle confidential (GBV) cases", 1},
		{"GrievanceOfficer", "Create, update, resolve and comment on grievances", 2},
		{"GrievanceViewer", "Read grievances and their comments", 3},
	}
}

// APIProps configures NewAPI.
type APIProps struct {
	Config  Config
	Handler awslambda.Function
	// Authorizer is functions/authorizer, set with Config.OpenIMISClient.
	Authorizer awslambda.Function
	// Public serves IntakeRoutes, which have no authorizer.
	Public awslambda.IFunction
}

// API is the public entry point: an HTTP API whose GraphQL routes are
// guarded by a JWT authorizer, throttled, and access-logged. Unless an
// external issuer is configured it also owns the Cognito user pool, app
// client and grievance groups that issue those JWTs.
type API struct {
	constructs.Construct

	HTTPAPI    awsapigatewayv2.HttpApi
	Stage      awsapigatewayv2.HttpStage
	AccessLogs awslogs.LogGroup

	// UserPool and Client are nil when Config.JWTIssuer is set.
	UserPool awscognito.UserPool
	Client   awscognito.UserPoolClient
	Groups   []awscognito.UserPoolGroup
}

// URL is the GraphQL endpoint.
func (a *API) URL() *string {
	return jsii.String(*a.Stage.Url() + GraphQLPaths[0][1:])
}

// NewAPI creates the HTTP API, its stage and authorizer, and (by default)
// the Cognito user pool.
func NewAPI(scope constructs.Construct, id string, props *APIProps) *API {
	cfg := props.Config
	a := &API{Construct: constructs.NewConstruct(scope, jsii.String(id))}

	issuer, audience := jsii.String(cfg.JWTIssuer), jsii.Strings(cfg.JWTAudience...)
	if cfg.CreatesUserPool() {
		a.newUserPool(cfg)
		issuer, audience = a.UserPool.UserPoolProviderUrl(), &[]*string{a.Client.UserPoolClientId()}
	}

	apiProps := &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("Redress GraphQL API (" + cfg.Stage + ")"),
		CreateDefaultStage: jsii.Bool(false),
	}
	if cfg.OpenIMISClient {
		// The client sends its cookies (credentials) and X-CSRFToken, so
		// its one origin is allowed exactly, never a wildcard.
		apiProps.CorsPreflight = &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins:     jsii.Strings(cfg.OpenIMISClientOrigin),
			AllowMethods:     &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_POST, awsapigatewayv2.CorsHttpMethod_OPTIONS},
			AllowHeaders:     jsii.Strings("authorization", "content-type", "x-csrftoken"),
			AllowCredentials: jsii.Bool(true),
			MaxAge:           awscdk.Duration_Hours(jsii.Number(1)),
		}
	} else if len(cfg.CORSOrigins) > 0 {
		apiProps.CorsPreflight = &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(cfg.CORSOrigins...),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_POST, awsapigatewayv2.CorsHttpMethod_OPTIONS},
			AllowHeaders: jsii.Strings("authorization", "content-type"),
			MaxAge:       awscdk.Duration_Hours(jsii.Number(1)),
		}
	}
	a.HTTPAPI = awsapigatewayv2.NewHttpApi(a.Construct, jsii.String("HttpApi"), apiProps)

	retention, err := retentionDays(cfg.LogRetentionDays)
	if err != nil {
		panic(err) // Config.Validate rejects this first
	}
	a.AccessLogs = awslogs.NewLogGroup(a.Construct, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: removalPolicy(cfg),
	})
	a.Stage = awsapigatewayv2.NewHttpStage(a.Construct, jsii.String("Stage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    a.HTTPAPI,
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(cfg.ThrottleRate),
			BurstLimit: jsii.Number(cfg.ThrottleBurst),
		},
	})
	// The L2 stage takes access-log settings only as a jsii interface value;
	// the CloudFormation property says the same thing plainly.
	a.Stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: a.AccessLogs.LogGroupArn(),
		Format:         jsii.String(AccessLogFormat),
	})

	var authorizer awsapigatewayv2.IHttpRouteAuthorizer = awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("JwtAuthorizer"), issuer,
		&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{
			JwtAudience:    audience,
			IdentitySource: jsii.Strings("$request.header.Authorization"),
		})
	if cfg.OpenIMISClient {
		authorizer = a.clientMode(props, issuer)
	}
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("GraphQL"), props.Handler,
		&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
			PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
		})
	for _, p := range GraphQLPaths {
		a.HTTPAPI.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(p),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
			Integration: integration,
			Authorizer:  authorizer,
		})
		if cfg.Explorer {
			// A browser cannot send a bearer token when it opens a URL,
			// so the page's GET passes no authorizer; every query the
			// page sends is a POST through the JWT authorizer above.
			for _, r := range *a.HTTPAPI.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
				Path:        jsii.String(p),
				Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET},
				Integration: integration,
			}) {
				nagSuppress(r, "AwsSolutions-APIG4", "GET serves only the explorer page (the explorer context setting); data is served by POST, which the JWT authorizer guards.")
			}
		}
	}
	if cfg.OpenIMISClient {
		a.HTTPAPI.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(CurrentUserRoute),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET},
			Integration: integration,
			Authorizer:  authorizer,
		})
	}
	a.addPublicRoutes(cfg, props.Public)
	return a
}

// CurrentUserRoute carries openIMIS core's REST call for the signed-in
// user, GET /api/core/users/current_user/, in the openIMIS client mode.
// HTTP API route paths cannot end with "/", so a greedy route takes the
// path and the function answers only that one.
const CurrentUserRoute = "/api/core/users/{proxy+}"

// clientMode wires the openIMIS client mode: the Lambda authorizer (the
// JWT authorizer's checks, plus the JWT cookie and anonymous requests),
// password sign-in on the app client, and the graphql function's
// settings. No identity source: a request without a token must reach the
// authorizer (to pass as anonymous), which also turns API Gateway's
// result cache off; the authorizer caches the pool's keys instead.
func (a *API) clientMode(props *APIProps, issuer *string) awsapigatewayv2.IHttpRouteAuthorizer {
	clientID := a.Client.UserPoolClientId()
	props.Authorizer.AddEnvironment(jsii.String("JWT_ISSUER"), issuer, nil)
	props.Authorizer.AddEnvironment(jsii.String("JWT_AUDIENCE"), clientID, nil)
	for k, v := range map[string]*string{
		"OPENIMIS_CLIENT":    jsii.String("true"),
		"OPENIMIS_SIGNER":    jsii.String("cognito"),
		"COGNITO_CLIENT_ID":  clientID,
		"REFRESH_TOKEN_DAYS": jsii.String("30"),
	} {
		props.Handler.AddEnvironment(jsii.String(k), v, nil)
	}
	return awsapigatewayv2authorizers.NewHttpLambdaAuthorizer(jsii.String("ClientAuthorizer"), props.Authorizer,
		&awsapigatewayv2authorizers.HttpLambdaAuthorizerProps{
			ResponseTypes:   &[]awsapigatewayv2authorizers.HttpLambdaResponseType{awsapigatewayv2authorizers.HttpLambdaResponseType_SIMPLE},
			IdentitySource:  &[]*string{},
			ResultsCacheTtl: awscdk.Duration_Seconds(jsii.Number(0)),
		})
}

// AccessLogFormat is one JSON object per request. It records who called
// (sub, never the token) and why a request failed, not request bodies.
const AccessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey",` +
	`"status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"latency":"$context.responseLatency","integrationLatency":"$context.integrationLatency",` +
	`"integrationError":"$context.integrationErrorMessage","authorizerError":"$context.authorizer.error",` +
	`"sub":"$context.authorizer.claims.sub"}`

// RightsAttribute is the custom attribute behind the custom:rights claim.
// Only administrators (through the Cognito admin API) can set it; the app
// client cannot write it.
const RightsAttribute = "rights"

func (a *API) newUserPool(cfg Config) {
	mfa := map[string]awscognito.Mfa{
		"required": awscognito.Mfa_REQUIRED, "optional": awscognito.Mfa_OPTIONAL, "off": awscognito.Mfa_OFF,
	}[cfg.MFA]
	props := &awscognito.UserPoolProps{
		SelfSignUpEnabled:   jsii.Bool(false),
		SignInAliases:       &awscognito.SignInAliases{Username: jsii.Bool(true), Email: jsii.Bool(true)},
		SignInCaseSensitive: jsii.Bool(false),
		AutoVerify:          &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		StandardAttributes: &awscognito.StandardAttributes{
			Email:    &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
			Fullname: &awscognito.StandardAttribute{Required: jsii.Bool(false), Mutable: jsii.Bool(true)},
		},
		CustomAttributes: &map[string]awscognito.ICustomAttribute{
			RightsAttribute: awscognito.NewStringAttribute(&awscognito.StringAttributeProps{
				MaxLen: jsii.Number(2048), Mutable: jsii.Bool(true),
			}),
		},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(12),
			RequireLowercase:     jsii.Bool(true),
			RequireUppercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		Mfa:                mfa,
		AccountRecovery:    awscognito.AccountRecovery_EMAIL_ONLY,
		DeletionProtection: jsii.Bool(cfg.Retained()),
		RemovalPolicy:      removalPolicy(cfg),
	}
	if mfa != awscognito.Mfa_OFF {
		// Authenticator apps only: SMS would need an SNS role and spend.
		props.MfaSecondFactor = &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)}
	}
	if cfg.ThreatProtection {
		props.FeaturePlan = awscognito.FeaturePlan_PLUS
		props.StandardThreatProtectionMode = awscognito.StandardThreatProtectionMode_FULL_FUNCTION
	}
	a.UserPool = awscognito.NewUserPool(a.Construct, jsii.String("UserPool"), props)
	if mfa != awscognito.Mfa_REQUIRED {
		nagSuppress(a.UserPool, "AwsSolutions-COG2",
			"MFA is "+cfg.MFA+" in stage "+cfg.Stage+" by explicit choice (context mfa); stages other than dev default to required.")
	}
	if !cfg.ThreatProtection {
		nagSuppress(a.UserPool, "AwsSolutions-COG8",
			"Threat protection needs the Cognito Plus feature plan, billed per monthly active user; it is opt-in with context threatProtection=true. Self sign-up is off (only administrators create accounts) and the password policy is strict.")
	}

	a.Client = a.UserPool.AddClient(jsii.String("AppClient"), &awscognito.UserPoolClientOptions{
		GenerateSecret: jsii.Bool(false), // browser and CLI clients cannot keep a secret
		AuthFlows: &awscognito.AuthFlow{
			UserSrp:           jsii.Bool(true), // web and mobile sign-in
			AdminUserPassword: jsii.Bool(true), // tokens for operators holding IAM credentials (docs/deploy.md)
			// The openIMIS client posts a password to tokenAuth, which
			// hands it to Cognito; only in that mode.
			UserPassword: jsii.Bool(cfg.OpenIMISClient),
		},
		DisableOAuth:               jsii.Bool(true), // no hosted UI or callback URLs until a deployment configures them
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Days(jsii.Number(30)),
		ReadAttributes: awscognito.NewClientAttributes().
			WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true), EmailVerified: jsii.Bool(true), Fullname: jsii.Bool(true)}).
			WithCustomAttributes(jsii.String(RightsAttribute)),
		// Users may edit their name and address, never the attributes that
		// carry roles: custom:rights is absent, and groups are admin-only.
		WriteAttributes: awscognito.NewClientAttributes().
			WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true), Fullname: jsii.Bool(true)}),
	})

	for _, g := range Groups(cfg.AdminGroup) {
		a.Groups = append(a.Groups, a.UserPool.AddGroup(jsii.String(g.Name), &awscognito.UserPoolGroupOptions{
			GroupName:   jsii.String(g.Name),
			Description: jsii.String(g.Description),
			Precedence:  jsii.Number(g.Precedence),
		}))
	}
}

// addPublicRoutes routes IntakeRoutes to fn without the authorizer (the
// HTTP API's "NONE"), each throttled on its own: complainants have no
// token, so the route limit, the function's DynamoDB rate limits and its
// body limit are what stands between a flood and the table.
func (a *API) addPublicRoutes(cfg Config, fn awslambda.IFunction) {
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Intake"), fn,
		&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
			PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
		})
	settings := map[string]interface{}{}
	for _, r := range IntakeRoutes {
		routes := a.HTTPAPI.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(r.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
			Integration: integration,
		})
		for _, route := range *routes {
			nagSuppress(route, "AwsSolutions-APIG4",
				"Public intake route (docs/intake.md): complainants have no account. Throttled per route, rate limited per source in DynamoDB, body-limited and strictly validated by the intake function; the webhook route checks the provider's signature.")
		}
		// RouteSettings is a JSON map in CloudFormation: jsii passes plain
		// maps through as written, so the keys are CloudFormation's.
		settings[r.Method+" "+r.Path] = map[string]interface{}{
			"ThrottlingRateLimit":  cfg.IntakeThrottleRate,
			"ThrottlingBurstLimit": cfg.IntakeThrottleBurst,
		}
	}
	a.Stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetRouteSettings(settings)
}

package stack

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Config is everything a deployment can choose through CDK context
// (cdk.json or `cdk synth -c key=value`). docs/deploy.md lists every key.
type Config struct {
	// Stage names the deployment ("dev", "prod", …). Only "dev" may be
	// destroyed with its data: every other stage retains tables, the user
	// pool and log groups and turns on deletion protection.
	Stage string

	// JWTIssuer and JWTAudience select an existing identity provider. When
	// both are empty the stack creates a Cognito user pool and app client.
	JWTIssuer   string
	JWTAudience []string

	// CORSOrigins are the browser origins allowed to call the API; none
	// means no CORS preflight configuration (same-origin or server clients).
	CORSOrigins []string

	// ThrottleRate (requests per second) and ThrottleBurst bound the API stage.
	ThrottleRate  float64
	ThrottleBurst float64

	// LogRetentionDays applies to every function's and the API's log group.
	LogRetentionDays int
	// LogLevel is passed to the functions as LOG_LEVEL.
	LogLevel string

	// AllowRightsClaim lets the API honour a custom:rights claim; off unless
	// asked for, because rights then come from the token, not from groups.
	AllowRightsClaim bool
	// Introspection enables GraphQL schema introspection.
	Introspection bool
	// Explorer serves the GraphQL explorer page to browsers on GET of the
	// GraphQL paths (routes without the authorizer: the page itself holds
	// no data, its queries carry the token). Off unless asked for.
	Explorer bool
	// AdminGroup is the group that holds every right.
	AdminGroup string

	// AlarmEmail, when set, subscribes an address to the alarm topic.
	// AlarmTopicARN, when set, names an existing SNS topic (a paging or
	// chat integration) that every alarm notifies as well; its policy must
	// let CloudWatch publish. Outside dev one of them is required: alarms
	// that reach nobody are not alarms.
	AlarmEmail    string
	AlarmTopicARN string

	// Account and Region pin the stage's AWS environment. Outside dev both
	// are required, so that a synth without credentials (CI) or with the
	// wrong ones cannot produce or deploy a template for another place.
	// In dev, unset means environment-agnostic: the template refers to
	// AWS::AccountId and AWS::Region, and the deploying credentials decide.
	Account string
	Region  string

	// APIConcurrency reserves (and caps) concurrent executions of the
	// graphql function; 0 reserves none. See DefaultAPIConcurrency.
	APIConcurrency int

	// MainIndexes, when not 0, creates only the first MainIndexes global
	// secondary indexes of the main table (schema.go's order): a stack
	// update adds at most one, so a stage that lacks several gets them
	// over as many deploys (docs/deploy.md).
	MainIndexes int
	// HistoryIndexes does the same for the History table: a stage
	// deployed before its sort indexes (hist2…hist7) has 1 (hist1).
	HistoryIndexes int

	// MFA is the Cognito MFA mode: "required", "optional" or "off".
	// Defaults to "optional" in dev and "required" elsewhere.
	MFA string
	// ThreatProtection turns on Cognito threat protection (the paid Plus
	// feature plan) in enforcing mode.
	ThreatProtection bool

	// SLA adds the scheduled service-level function (functions/sla).
	SLA bool

	// IntakeThrottleRate and IntakeThrottleBurst bound each public intake
	// route (docs/intake.md), well below the stage's limit so that a flood
	// of complaints cannot starve staff.
	IntakeThrottleRate  float64
	IntakeThrottleBurst float64
	// PublicURL is the API's base URL as webhook providers call it (a
	// custom domain); empty: the request's own host.
	PublicURL string

	// OpenIMISClient turns on the openIMIS web client mode
	// (docs/openimis-client.md): tokenAuth and the session cookies over
	// the stack's user pool, a Lambda authorizer that also accepts the
	// JWT cookie and lets the client's anonymous start-up calls through,
	// and GET /api/core/users/current_user/. Off unless asked for.
	OpenIMISClient bool
	// OpenIMISClientOrigin is the https origin that serves the client,
	// on the API's site (cookies are SameSite=Strict); required with
	// OpenIMISClient.
	OpenIMISClientOrigin string
	// AttachmentRetentionDays is how long deleted attachments' files,
	// quarantined files and replaced versions are kept before the bucket's
	// lifecycle expires them.
	AttachmentRetentionDays int
	// Notifications (docs/notifications.md). NotifyFrom, the sender of
	// e-mails, deploys the notifier; the SES identity created is that
	// address, or NotifyDomain (Easy DKIM) when set. SMSSenderID and
	// SMSOriginationNumber are the SMS settings the destination countries
	// require (empty: the account's defaults).
	NotifyFrom           string
	NotifyDomain         string
	SMSSenderID          string
	SMSOriginationNumber string
}

// minMainIndexes is how many main-table indexes every deployed stage has
// had since the sort indexes (gsi7…gsi11): mainIndexes may not ask for
// fewer.
const minMainIndexes = 11

// Notifies reports whether the stack deploys the notifier.
func (c Config) Notifies() bool { return c.NotifyFrom != "" }

var (
	senderIDRE    = regexp.MustCompile(`^[A-Za-z0-9]{1,11}$`)
	originationRE = regexp.MustCompile(`^\+[1-9][0-9]{5,14}$`)
	domainRE      = regexp.MustCompile(`^([a-z0-9-]+\.)+[a-z]{2,}$`)
)

// DevStage is the only stage whose data may be destroyed with the stack.
const DevStage = "dev"

// Defaults for context keys that are not set.
const (
	DefaultStage            = DevStage
	DefaultThrottleRate     = 50
	DefaultThrottleBurst    = 100
	DefaultLogRetentionDays = 30
	DefaultLogLevel         = "info"
	DefaultAdminGroup       = grievance.DefaultAdminGroup
	DefaultIntakeRate       = 5
	DefaultIntakeBurst      = 10
	// DefaultAPIConcurrency outside dev: at the default throttle of 50
	// requests per second and requests well under a second, 100 is twice
	// what the API needs, and it keeps a runaway API from taking the
	// stream consumers' and other workloads' share of the account's pool.
	// dev reserves none: a new account's whole pool can be as small as 10,
	// and Lambda refuses a reservation that leaves less than 100 unreserved.
	DefaultAPIConcurrency = 100
	// DefaultAttachmentRetentionDays keeps removed evidence for a quarter:
	// long enough to undo a mistaken delete by hand.
	DefaultAttachmentRetentionDays = 90
)

// LogLevels are the LOG_LEVEL values (shared/platform) a stage may set.
var LogLevels = []string{"debug", "info", "warn", "error"}

var (
	accountID  = regexp.MustCompile(`^[0-9]{12}$`)
	regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	topicARN   = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$`)
)

// stageName keeps Redress-<stage> a valid CloudFormation stack name.
var stageName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,31}$`)

// Retained reports whether stateful resources outlive the stack.
func (c Config) Retained() bool { return c.Stage != DevStage }

// CreatesUserPool reports whether the stack creates its own Cognito user pool.
func (c Config) CreatesUserPool() bool { return c.JWTIssuer == "" }

// Validate reports the first setting that cannot be deployed.
func (c Config) Validate() error {
	switch {
	case !stageName.MatchString(c.Stage):
		return fmt.Errorf("context stage %q: want a letter, then up to 31 letters, digits or hyphens (it names the stack)", c.Stage)
	case (c.JWTIssuer == "") != (len(c.JWTAudience) == 0):
		return fmt.Errorf("context jwtIssuer and jwtAudience: set both or neither")
	case c.JWTIssuer != "" && !strings.HasPrefix(c.JWTIssuer, "https://"):
		return fmt.Errorf("context jwtIssuer %q: must be an https URL", c.JWTIssuer)
	case c.ThrottleRate <= 0 || c.ThrottleBurst <= 0:
		return fmt.Errorf("context throttleRate/throttleBurst: must be positive, got %v/%v", c.ThrottleRate, c.ThrottleBurst)
	case c.IntakeThrottleRate <= 0 || c.IntakeThrottleBurst <= 0:
		return fmt.Errorf("context intakeThrottleRate/intakeThrottleBurst: must be positive, got %v/%v", c.IntakeThrottleRate, c.IntakeThrottleBurst)
	case c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "https://"):
		return fmt.Errorf("context publicUrl %q: must be an https URL", c.PublicURL)
	case c.AdminGroup == "":
		return fmt.Errorf("context adminGroup: must not be empty")
	case !slices.Contains(LogLevels, c.LogLevel):
		return fmt.Errorf("context logLevel %q: want one of %v", c.LogLevel, LogLevels)
	case c.Retained() && c.AlarmEmail == "" && c.AlarmTopicARN == "":
		return fmt.Errorf("stage %s: set context alarmEmail or alarmTopicArn; outside dev alarms must reach someone", c.Stage)
	case c.AlarmTopicARN != "" && !topicARN.MatchString(c.AlarmTopicARN):
		return fmt.Errorf("context alarmTopicArn %q: want an SNS topic ARN", c.AlarmTopicARN)
	case c.Retained() && (c.Account == "" || c.Region == ""):
		return fmt.Errorf("stage %s: set context account and region (or environments.%s in cdk.json); only dev may be synthesized without a pinned environment", c.Stage, c.Stage)
	case c.Account != "" && !accountID.MatchString(c.Account):
		return fmt.Errorf("context account %q: want a 12-digit AWS account id", c.Account)
	case c.Region != "" && !regionName.MatchString(c.Region):
		return fmt.Errorf("context region %q: want a region name such as eu-west-1", c.Region)
	case c.APIConcurrency < 0:
		return fmt.Errorf("context apiConcurrency=%d: want 0 (no reservation) or more", c.APIConcurrency)
	case c.MainIndexes != 0 && (c.MainIndexes < minMainIndexes || c.MainIndexes > len(store.MainTable.Indexes)):
		// Fewer than a deployed stage has would delete indexes in use.
		return fmt.Errorf("context mainIndexes=%d: want 0 (all) or %d to %d", c.MainIndexes, minMainIndexes, len(store.MainTable.Indexes))
	case c.HistoryIndexes < 0 || c.HistoryIndexes > len(store.HistoryTable.Indexes):
		return fmt.Errorf("context historyIndexes=%d: want 0 (all) or 1 to %d", c.HistoryIndexes, len(store.HistoryTable.Indexes))
	case c.AttachmentRetentionDays < 1 || c.AttachmentRetentionDays > 3650:
		return fmt.Errorf("context attachmentRetentionDays %d: want 1 to 3650 days", c.AttachmentRetentionDays)
	}
	if err := c.validateClient(); err != nil {
		return err
	}
	switch c.MFA {
	case "required", "optional", "off":
	default:
		return fmt.Errorf("context mfa %q: want required, optional or off", c.MFA)
	}
	if _, err := retentionDays(c.LogRetentionDays); err != nil {
		return err
	}
	return c.validateNotify()
}

func (c Config) validateNotify() error {
	if c.NotifyFrom != "" {
		if _, err := grievance.ParseEmail("notifyFrom", c.NotifyFrom); err != nil {
			return fmt.Errorf("context notifyFrom %q: not an e-mail address", c.NotifyFrom)
		}
	}
	switch {
	case !c.Notifies() && (c.NotifyDomain != "" || c.SMSSenderID != "" || c.SMSOriginationNumber != ""):
		return fmt.Errorf("context notifyDomain/smsSenderId/smsOriginationNumber need notifyFrom (the notifier is not deployed without it)")
	case c.NotifyDomain != "" && (!domainRE.MatchString(c.NotifyDomain) || !strings.HasSuffix(c.NotifyFrom, "@"+c.NotifyDomain)):
		return fmt.Errorf("context notifyDomain %q: want a lower-case domain that notifyFrom %q is an address of", c.NotifyDomain, c.NotifyFrom)
	case c.SMSSenderID != "" && !senderIDRE.MatchString(c.SMSSenderID):
		return fmt.Errorf("context smsSenderId %q: want 1 to 11 letters or digits", c.SMSSenderID)
	case c.SMSOriginationNumber != "" && !originationRE.MatchString(c.SMSOriginationNumber):
		return fmt.Errorf("context smsOriginationNumber %q: want an E.164 number (+ and digits)", c.SMSOriginationNumber)
	}
	return nil
}

// validateClient refuses the openIMIS client mode where its cookies would
// not be safe: the client must be served over HTTPS (Secure cookies, and
// a password form on plain HTTP would give the password away), from one
// exact origin (it is allowed credentials, which a wildcard cannot be),
// and sign-in needs the stack's own user pool.
func (c Config) validateClient() error {
	if !c.OpenIMISClient {
		if c.OpenIMISClientOrigin != "" {
			return fmt.Errorf("context openimisClientOrigin: set only with openimisClient=true")
		}
		return nil
	}
	o := c.OpenIMISClientOrigin
	switch {
	case !c.CreatesUserPool():
		return fmt.Errorf("context openimisClient: sign-in needs the stack's user pool; unset jwtIssuer and jwtAudience")
	case o == "":
		return fmt.Errorf("context openimisClientOrigin: required with openimisClient=true (the https origin that serves the openIMIS web client)")
	case !strings.HasPrefix(o, "https://"):
		return fmt.Errorf("context openimisClientOrigin %q: the openIMIS client mode is refused without HTTPS; want https://host", o)
	case strings.ContainsAny(strings.TrimPrefix(o, "https://"), "*/?#@ "):
		return fmt.Errorf("context openimisClientOrigin %q: want one exact origin, https://host[:port], no path or wildcard", o)
	case len(c.CORSOrigins) > 0:
		// In the mode CORS allows credentials: every other origin listed
		// would get the staff's cookies, and a script there could read a
		// CSRF token and act as them.
		return fmt.Errorf("context corsOrigins: not with openimisClient=true; the mode allows only openimisClientOrigin, with credentials")
	}
	return nil
}

// ConfigFromContext reads the Config from the construct tree's context and
// validates it. Values may be JSON (cdk.json) or strings (-c key=value);
// lists given as strings are comma-separated.
func ConfigFromContext(node constructs.Node) (Config, error) {
	ctx := contextReader{node: node}
	c := Config{
		Stage:               ctx.string("stage", DefaultStage),
		JWTIssuer:           ctx.string("jwtIssuer", ""),
		JWTAudience:         ctx.list("jwtAudience"),
		CORSOrigins:         ctx.list("corsOrigins"),
		ThrottleRate:        ctx.number("throttleRate", DefaultThrottleRate),
		ThrottleBurst:       ctx.number("throttleBurst", DefaultThrottleBurst),
		LogRetentionDays:    int(ctx.number("logRetentionDays", DefaultLogRetentionDays)),
		LogLevel:            ctx.string("logLevel", DefaultLogLevel),
		AllowRightsClaim:    ctx.bool("allowRightsClaim", false),
		Introspection:       ctx.bool("introspection", false),
		Explorer:            ctx.bool("explorer", false),
		AdminGroup:          ctx.string("adminGroup", DefaultAdminGroup),
		AlarmEmail:          ctx.string("alarmEmail", ""),
		AlarmTopicARN:       ctx.string("alarmTopicArn", ""),
		ThreatProtection:    ctx.bool("threatProtection", false),
		SLA:                 ctx.bool("sla", false),
		IntakeThrottleRate:  ctx.number("intakeThrottleRate", DefaultIntakeRate),
		IntakeThrottleBurst: ctx.number("intakeThrottleBurst", DefaultIntakeBurst),
		PublicURL:           ctx.string("publicUrl", ""),

		OpenIMISClient:          ctx.bool("openimisClient", false),
		OpenIMISClientOrigin:    ctx.string("openimisClientOrigin", ""),
		AttachmentRetentionDays: int(ctx.number("attachmentRetentionDays", DefaultAttachmentRetentionDays)),
		NotifyFrom:              ctx.string("notifyFrom", ""),
		NotifyDomain:            ctx.string("notifyDomain", ""),
		SMSSenderID:             ctx.string("smsSenderId", ""),
		SMSOriginationNumber:    ctx.string("smsOriginationNumber", ""),
	}
	mfa, concurrency := "required", DefaultAPIConcurrency
	if c.Stage == DevStage {
		mfa, concurrency = "optional", 0
	}
	c.MFA = ctx.string("mfa", mfa)
	c.APIConcurrency = int(ctx.number("apiConcurrency", float64(concurrency)))
	c.MainIndexes = int(ctx.number("mainIndexes", 0))
	c.HistoryIndexes = int(ctx.number("historyIndexes", 0))
	// environments.<stage> in cdk.json pins a stage once; -c account=…
	// -c region=… override it.
	env := ctx.environment(c.Stage)
	c.Account = ctx.string("account", env["account"])
	c.Region = ctx.string("region", env["region"])
	if ctx.err != nil {
		return Config{}, ctx.err
	}
	return c, c.Validate()
}

// contextReader converts context values and keeps the first error.
type contextReader struct {
	node constructs.Node
	err  error
}

func (r *contextReader) raw(key string) (any, bool) {
	v := r.node.TryGetContext(&key)
	if v == nil {
		return nil, false
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		return nil, false
	}
	return v, true
}

func (r *contextReader) fail(key string, v any, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("context %s=%v: want %s", key, v, want)
	}
}

func (r *contextReader) string(key, def string) string {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		r.fail(key, v, "a string")
		return def
	}
	return strings.TrimSpace(s)
}

func (r *contextReader) bool(key string, def bool) bool {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	switch v := v.(type) {
	case bool:
		return v
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err == nil {
			return b
		}
	}
	r.fail(key, v, "true or false")
	return def
}

func (r *contextReader) number(key string, def float64) float64 {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	switch v := v.(type) {
	case float64:
		return v
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return f
		}
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			return f
		}
	}
	r.fail(key, v, "a number")
	return def
}

// environment returns environments.<stage> ({"account": …, "region": …}).
func (r *contextReader) environment(stage string) map[string]string {
	v, ok := r.raw("environments")
	if !ok {
		return nil
	}
	all, ok := v.(map[string]any)
	if !ok {
		r.fail("environments", v, "an object of stage: {account, region}")
		return nil
	}
	e, ok := all[stage].(map[string]any)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, k := range []string{"account", "region"} {
		if s, ok := e[k].(string); ok {
			out[k] = strings.TrimSpace(s)
		}
	}
	return out
}

func (r *contextReader) list(key string) []string {
	v, ok := r.raw(key)
	if !ok {
		return nil
	}
	var out []string
	switch v := v.(type) {
	case string:
		if strings.HasPrefix(strings.TrimSpace(v), "[") {
			// -c 'corsOrigins=["https://a.example"]'
			if err := json.Unmarshal([]byte(v), &out); err != nil {
				r.fail(key, v, "a JSON list of strings")
			}
			break
		}
		out = strings.Split(v, ",")
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				r.fail(key, v, "a list of strings")
				return nil
			}
			out = append(out, s)
		}
	default:
		r.fail(key, v, "a list of strings")
		return nil
	}
	var clean []string
	for _, s := range out {
		if s = strings.TrimSpace(s); s != "" {
			clean = append(clean, s)
		}
	}
	return clean
}

// retention maps the number of days CloudWatch Logs accepts to the CDK enum.
var retention = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
	5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK,
	14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	120: awslogs.RetentionDays_FOUR_MONTHS, 150: awslogs.RetentionDays_FIVE_MONTHS,
	180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731: awslogs.RetentionDays_TWO_YEARS, 1096: awslogs.RetentionDays_THREE_YEARS,
	1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS,
	3288: awslogs.RetentionDays_NINE_YEARS, 3653: awslogs.RetentionDays_TEN_YEARS,
}

func retentionDays(days int) (awslogs.RetentionDays, error) {
	r, ok := retention[days]
	if !ok {
		valid := make([]int, 0, len(retention))
		for d := range retention {
			valid = append(valid, d)
		}
		sort.Ints(valid)
		return "", fmt.Errorf("context logRetentionDays=%d: CloudWatch Logs accepts one of %v", days, valid)
	}
	return r, nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redress-grm/redress/infra/local/gateway"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/stack"
	"github.com/redress-grm/redress/shared/explorer"
	"github.com/redress-grm/redress/shared/openimis"
	"github.com/redress-grm/redress/shared/platform"
)

const envHelp = `Environment (defaults in brackets):
  AWS_ENDPOINT_URL     use this running emulator instead of starting moto
  MOTO_PORT            port of the moto we start [4566]
  MOTO_SERVER          moto wrapper to run [.cache/moto/moto_server]
  TABLE_PREFIX         physical table names are PREFIX+Main, PREFIX+History [redress-local-]
  EVENT_BUS_NAME       event bus [redress-local-bus]
  EVENTS_QUEUE_NAME    queue receiving every bus event [redress-local-events]
  SEED_FILE            directory seed, loaded at start through the user pool (staff)
                       and the importer (everyone else) [infra/local/seed.json]
  LISTEN_ADDR          API address [127.0.0.1:8080]; PORT sets only the port
  JWT_SECRET           HS256 secret of the JWT authorizer [redress-local-dev-secret]
  JWT_ISSUER           required iss [redress-local]
  JWT_AUDIENCE         required aud [redress]
  LOG_LEVEL            debug|info|warn|error, for the functions and this runner [info]
  GRAPHQL_CONCURRENCY  graphql worker processes [4]
  FUNCTION_TIMEOUT     timeout of every function [30s]
  STREAM_BATCH_SIZE    records per stream batch [100]
  STREAM_POLL_INTERVAL pause between polls of an idle shard [200ms]
  STREAM_MAX_RETRIES   retries of a failing batch before the DLQ file [3]
  DLQ_DIR              where dlq-<function>.jsonl files go [.cache/local]
  SLA_INTERVAL         how often the sla function sweeps due dates [60s]; 0 turns it off
  IMPORT_BUCKET        import bucket (people import) [redress-local-imports]
  IMPORT_QUEUE         queue of its notifications, read for the importer [redress-local-imports]
  USER_POOL_NAME       user pool created from the seed's staff [redress-local-users]
  STAFF_SYNC_INTERVAL  how often staffsync reads the pool after its run at start [5m]; 0: only at start
  EXPLORER             serve the GraphQL explorer page on GET / [true]; false turns it off
  OPENIMIS_CLIENT      the openIMIS web client mode: cookies, tokenAuth, current_user [false]
                       (docs/openimis-client.md); seeded staff sign in with OPENIMIS_DEV_PASSWORD
  OPENIMIS_DEV_PASSWORD password of every seeded staff user in that mode [redress-local-password]
  ATTACHMENTS_BUCKET   attachments bucket [redress-local-attachments]
  S3_GATE_ADDR         address of the S3 gate presigned URLs point at [127.0.0.1:4567]
  SCAN_INTERVAL        how often the stand-in malware scanner polls the bucket [1s]
  SES_FROM_ADDRESS     the notifier's sender, verified in the emulator [redress@localhost.test]
  SMS_TOPIC_NAME       topic of inbound SMS [redress-local-sms-inbound]
  SMS_QUEUE_NAME       queue subscribed to it, feeding the sms function [redress-local-sms-inbound]
  WEBHOOK_TOKEN        Twilio auth token of the webhook, kept in Secrets Manager [local-webhook-token]
  INTAKE_PER_SOURCE, TRACK_PER_SOURCE, WEBHOOK_PER_SENDER, SMS_PER_SENDER, INTAKE_TOTAL,
  RATE_WINDOW_SECONDS, PROOF_OF_WORK_BITS
                       abuse limits of the public routes (docs/intake.md)
`

// config is everything `run` needs: the stack's options and the JWT
// authorizer's settings; configFromEnv fills it from the environment and
// tests fill it directly.
type config struct {
	stack.Options
	JWTSecret   string
	JWTIssuer   string
	JWTAudience string
	Explorer    bool
}

// devUsers are the seeded staff the dev signer knows, with the groups
// the banner names.
func devUsers() map[string]openimis.DevUser {
	users := map[string]openimis.DevUser{}
	for name, groups := range map[string][]string{"alice": {"GrievanceOfficer"}, "bob": {"GrievanceAdmin"}, "carol": {"GrievanceViewer"}} {
		users[name] = openimis.DevUser{Sub: userID(name), Groups: groups}
	}
	return users
}

func configFromEnv(getenv func(string) string, root string) (config, error) {
	c := config{Options: stack.Options{
		Root:          root,
		Endpoint:      getenv("AWS_ENDPOINT_URL"),
		TablePrefix:   envOr(getenv, "TABLE_PREFIX", "redress-local-"),
		BusName:       envOr(getenv, "EVENT_BUS_NAME", "redress-local-bus"),
		QueueName:     envOr(getenv, "EVENTS_QUEUE_NAME", defaultQueueName),
		SeedFile:      envOr(getenv, "SEED_FILE", filepath.Join(root, "infra", "local", "seed.json")),
		Listen:        getenv("LISTEN_ADDR"),
		LogLevel:      envOr(getenv, "LOG_LEVEL", "info"),
		DLQDir:        envOr(getenv, "DLQ_DIR", filepath.Join(root, ".cache", "local")),
		BinDir:        filepath.Join(root, ".cache", "bin"),
		Bucket:        envOr(getenv, "ATTACHMENTS_BUCKET", "redress-local-attachments"),
		GateAddr:      envOr(getenv, "S3_GATE_ADDR", "127.0.0.1:4567"),
		Functions:     append(slices.Clone(stack.AllFunctions), stack.Importer, stack.StaffSync, stack.Notifier, stack.Intake, stack.SMS),
		SenderAddress: envOr(getenv, "SES_FROM_ADDRESS", "redress@localhost.test"),
		// The public intake (docs/intake.md).
		SMSTopic:     envOr(getenv, "SMS_TOPIC_NAME", defaultSMSTopic),
		SMSQueue:     envOr(getenv, "SMS_QUEUE_NAME", defaultSMSQueue),
		WebhookToken: envOr(getenv, "WEBHOOK_TOKEN", defaultWebhookToken),
		Env:          limitEnv(getenv),
		// The directory (docs/directory.md): `people import` uploads
		// here; the pool starts with the seed's staff.
		ImportBucket: envOr(getenv, "IMPORT_BUCKET", defaultImportBucket),
		ImportQueue:  envOr(getenv, "IMPORT_QUEUE", defaultImportQueue),
		UserPool:     envOr(getenv, "USER_POOL_NAME", defaultUserPool),
	},
		JWTSecret:   envOr(getenv, "JWT_SECRET", defaultJWTSecret),
		JWTIssuer:   envOr(getenv, "JWT_ISSUER", defaultJWTIssuer),
		JWTAudience: envOr(getenv, "JWT_AUDIENCE", defaultJWTAudience),
	}
	switch v := envOr(getenv, "OPENIMIS_CLIENT", "false"); v {
	case "true", "1":
		c.OpenIMISClient = true
		c.Options.DevPassword = envOr(getenv, "OPENIMIS_DEV_PASSWORD", "redress-local-password")
	case "false", "0":
	default:
		return config{}, fmt.Errorf("OPENIMIS_CLIENT=%q is not true or false", v)
	}
	switch v := envOr(getenv, "EXPLORER", "true"); v {
	case "true", "1":
		c.Explorer = true
	case "false", "0":
	default:
		return config{}, fmt.Errorf("EXPLORER=%q is not true or false", v)
	}
	if c.Listen == "" {
		c.Listen = net.JoinHostPort("127.0.0.1", envOr(getenv, "PORT", "8080"))
	}
	var err error
	ints := []struct {
		key  string
		def  int
		dest *int
	}{
		{"MOTO_PORT", 4566, &c.MotoPort},
		{"GRAPHQL_CONCURRENCY", 4, &c.GraphQLConcurrency},
		{"STREAM_BATCH_SIZE", 100, &c.BatchSize},
		{"STREAM_MAX_RETRIES", 3, &c.MaxRetries},
	}
	for _, i := range ints {
		v := envOr(getenv, i.key, strconv.Itoa(i.def))
		if *i.dest, err = strconv.Atoi(v); err != nil {
			return config{}, fmt.Errorf("%s=%q is not a number", i.key, v)
		}
	}
	durs := []struct {
		key  string
		def  string
		dest *time.Duration
	}{
		{"FUNCTION_TIMEOUT", "30s", &c.FunctionTimeout},
		{"STREAM_POLL_INTERVAL", "200ms", &c.PollInterval},
		{"SLA_INTERVAL", "60s", &c.SLAInterval},
		{"SCAN_INTERVAL", "1s", &c.ScanInterval},
		{"STAFF_SYNC_INTERVAL", "5m", &c.StaffSyncInterval},
	}
	for _, d := range durs {
		v := envOr(getenv, d.key, d.def)
		if *d.dest, err = time.ParseDuration(v); err != nil {
			return config{}, fmt.Errorf("%s=%q is not a duration", d.key, v)
		}
	}
	return c, nil
}

func runCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, "usage: local run\n\n"+envHelp) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := moto.RepoRoot()
	if err != nil {
		return err
	}
	c, err := configFromEnv(getenv, root)
	if err != nil {
		return err
	}
	c.Output = stderr
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: platform.Level(c.LogLevel)}))
	st, err := startStack(ctx, c, log)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, banner(st))
	if c.OpenIMISClient {
		fmt.Fprintf(stdout, "openIMIS client mode: sign in as alice, bob or carol with OPENIMIS_DEV_PASSWORD; cookies are Secure, so serve the client from http://localhost (docs/openimis-client.md)\n")
	}
	<-ctx.Done()
	fmt.Fprintln(stderr, "local: stopping")
	st.Stop()
	return nil
}

// startStack starts the whole stack as c describes it.
func startStack(ctx context.Context, c config, log *slog.Logger) (*stack.Stack, error) {
	o := c.Options
	o.Verifier = &gateway.Verifier{Secret: []byte(c.JWTSecret), Issuer: c.JWTIssuer, Audience: c.JWTAudience}
	o.Logger = log
	o.Explorer = explorerConfig(c)
	if o.OpenIMISClient {
		o.DevUsers = devUsers()
	}
	return stack.Start(ctx, o)
}

// explorerConfig is the explorer page of the local API, nil when off.
func explorerConfig(c config) *explorer.Config {
	if !c.Explorer {
		return nil
	}
	cmd := "go run ./infra/local token -username alice -groups GrievanceOfficer"
	if c.JWTSecret != defaultJWTSecret {
		// The token must be signed with the stack's secret, not the default.
		cmd = "JWT_SECRET=$JWT_SECRET " + cmd
	}
	return &explorer.Config{Endpoint: "/api/graphql", TokenHint: cmd}
}

func banner(st *stack.Stack) string {
	var dlq []string
	for _, p := range st.Pollers {
		dlq = append(dlq, p.DLQPath())
	}
	explorer := "off (EXPLORER=false)"
	if st.Explorer() {
		explorer = st.URL() + "/ in a browser"
	}
	emu := st.Endpoint
	if st.StartedMoto {
		emu += " (moto, started here)"
	}
	return fmt.Sprintf(`
Redress local stack is ready.
  GraphQL  POST %[1]s/api/graphql   (also %[1]s/graphql)
  Health   GET  %[1]s/health
  Explorer %[9]s
  AWS      %[2]s
           tables %[3]s, %[4]s; bus %[5]s -> queue %[6]s
  Token    TOKEN=$(go run ./infra/local token -username alice -groups GrievanceOfficer)
           curl -s -H "Authorization: Bearer $TOKEN" -d '{"query":"{ __typename }"}' %[1]s/api/graphql
           (seeded staff: alice GrievanceOfficer, bob GrievanceAdmin, carol GrievanceViewer)
  Events   AWS_ENDPOINT_URL=%[7]s go run ./infra/local events --follow
  People   go run ./infra/local people import FILE   (bucket %[12]s; staff from pool %[13]s)
  Outbox   AWS_ENDPOINT_URL=%[7]s go run ./infra/local outbox --follow   (SMS and e-mail sent)
  Intake   GET %[1]s/intake (form, no token), POST /intake, POST /track, POST /webhooks/twilio
           go run ./infra/local sms -from +258841234567 -text 'I was not paid in March'
  DLQ      %[8]s
  Files    bucket %[10]s; presigned URLs via the S3 gate http://%[11]s (checks policies, expiry);
           scanner stand-in: EICAR test file = infected, anything else = clean (no GuardDuty here)
Ctrl-C stops everything.
`, st.URL(), emu, st.Tables.Main, st.Tables.History, st.Bus.Name, st.Bus.QueueName, st.Endpoint, strings.Join(dlq, ", "), explorer,
		st.Bucket, st.GateAddr, st.Imports.Name, st.UserPoolID)
}

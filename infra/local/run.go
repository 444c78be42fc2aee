package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/gateway"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/runtime"
	"github.com/redress-grm/redress/infra/local/streams"
	"github.com/redress-grm/redress/shared/explorer"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

const envHelp = `Environment (defaults in brackets):
  AWS_ENDPOINT_URL     use this running emulator instead of starting moto
  MOTO_PORT            port of the moto we start [4566]
  MOTO_SERVER          moto wrapper to run [.cache/moto/moto_server]
  TABLE_PREFIX         physical table names are PREFIX+Main, PREFIX+History [redress-local-]
  EVENT_BUS_NAME       event bus [redress-local-bus]
  EVENTS_QUEUE_NAME    queue receiving every bus event [redress-local-events]
  SEED_FILE            directory seed loaded at start [infra/local/seed.json]
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
  EXPLORER             serve the GraphQL explorer page on GET / [true]; false turns it off
`

// config is everything `run` needs; configFromEnv fills it from the
// environment and tests fill it directly.
type config struct {
	Root               string // repository root
	Endpoint           string // running emulator; "" starts moto
	MotoPort           int
	TablePrefix        string
	BusName            string
	QueueName          string
	SeedFile           string
	ListenAddr         string
	JWTSecret          string
	JWTIssuer          string
	JWTAudience        string
	LogLevel           string
	GraphQLConcurrency int
	FunctionTimeout    time.Duration
	BatchSize          int
	PollInterval       time.Duration
	MaxRetries         int
	DLQDir             string
	SLAInterval        time.Duration
	Explorer           bool
	BinDir             string
	Output             io.Writer // functions' and moto's output
}

func configFromEnv(getenv func(string) string, root string) (config, error) {
	c := config{
		Root:        root,
		Endpoint:    getenv("AWS_ENDPOINT_URL"),
		TablePrefix: envOr(getenv, "TABLE_PREFIX", "redress-local-"),
		BusName:     envOr(getenv, "EVENT_BUS_NAME", "redress-local-bus"),
		QueueName:   envOr(getenv, "EVENTS_QUEUE_NAME", defaultQueueName),
		SeedFile:    envOr(getenv, "SEED_FILE", filepath.Join(root, "infra", "local", "seed.json")),
		ListenAddr:  getenv("LISTEN_ADDR"),
		JWTSecret:   envOr(getenv, "JWT_SECRET", defaultJWTSecret),
		JWTIssuer:   envOr(getenv, "JWT_ISSUER", defaultJWTIssuer),
		JWTAudience: envOr(getenv, "JWT_AUDIENCE", defaultJWTAudience),
		LogLevel:    envOr(getenv, "LOG_LEVEL", "info"),
		DLQDir:      envOr(getenv, "DLQ_DIR", filepath.Join(root, ".cache", "local")),
		BinDir:      filepath.Join(root, ".cache", "bin"),
	}
	switch v := envOr(getenv, "EXPLORER", "true"); v {
	case "true", "1":
		c.Explorer = true
	case "false", "0":
	default:
		return config{}, fmt.Errorf("EXPLORER=%q is not true or false", v)
	}
	if c.ListenAddr == "" {
		c.ListenAddr = net.JoinHostPort("127.0.0.1", envOr(getenv, "PORT", "8080"))
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
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: parseLevel(c.LogLevel)}))
	st, err := startStack(ctx, c, log)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, st.banner())
	<-ctx.Done()
	fmt.Fprintln(stderr, "local: stopping")
	st.Close()
	return nil
}

// stack is a running local deployment.
type stack struct {
	c         config
	log       *slog.Logger
	moto      *moto.Server // nil when an emulator was given
	endpoint  string
	names     store.TableNames
	bus       bootstrap.Bus
	functions map[string]*runtime.Function
	pollers   []*streams.Poller
	gw        *gateway.Gateway
	server    *http.Server
	addr      string // actual listen address
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// Functions of the stack: graphql behind the API, history (which also keeps
// the statistics) and tasks on the Main table's stream, sla on a schedule (as in infra/stack). Memory
// sizes mirror the deployment.
var (
	apiFunction       = "graphql"
	streamConsumers   = []string{"history", "tasks"}
	scheduledFunction = "sla"
	memoryMB          = map[string]int{"graphql": 512, "history": 256, "tasks": 256, "sla": 256}
)

// startStack brings everything up in dependency order. On error whatever
// was started is stopped again.
func startStack(ctx context.Context, c config, log *slog.Logger) (_ *stack, err error) {
	st := &stack{c: c, log: log, functions: map[string]*runtime.Function{}}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	bgCtx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel

	// Compile while the emulator starts: a cold build is the slowest step.
	names := append(append([]string{apiFunction}, streamConsumers...), scheduledFunction)
	buildCtx, cancelBuilds := context.WithCancel(ctx)
	var builds sync.WaitGroup
	buildErrs := make([]error, len(names))
	for i, n := range names {
		builds.Add(1)
		go func() {
			defer builds.Done()
			buildErrs[i] = runtime.Build(buildCtx, c.Root, "./functions/"+n, filepath.Join(c.BinDir, n))
		}()
	}
	defer func() {
		cancelBuilds()
		builds.Wait()
	}()

	st.endpoint = c.Endpoint
	if st.endpoint == "" {
		t0 := time.Now()
		o := moto.Options{Port: c.MotoPort}
		if parseLevel(c.LogLevel) <= slog.LevelDebug {
			o.Output = runtime.NewPrefixWriter(c.Output, "[moto] ")
		}
		if st.moto, err = moto.Start(ctx, o); err != nil {
			return nil, err
		}
		st.endpoint = st.moto.Endpoint()
		log.Info("moto started", "endpoint", st.endpoint, "took", time.Since(t0).Round(time.Millisecond))
	}
	awsCfg, err := moto.AWSConfig(ctx, st.endpoint)
	if err != nil {
		return nil, err
	}
	if st.names, err = bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(awsCfg), c.TablePrefix); err != nil {
		return nil, err
	}
	if st.bus, err = bootstrap.CreateBus(ctx, awsCfg, c.BusName, c.QueueName); err != nil {
		return nil, err
	}
	if err := loadSeed(ctx, c.SeedFile, store.New(awsCfg, st.names)); err != nil {
		return nil, err
	}

	builds.Wait()
	if err := errors.Join(buildErrs...); err != nil {
		return nil, err
	}
	env := append(st.names.Env(),
		"AWS_REGION="+moto.Region,
		"AWS_DEFAULT_REGION="+moto.Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_ENDPOINT_URL="+st.endpoint,
		"EVENT_BUS_NAME="+c.BusName,
		"STAGE=local",
		"ALLOW_RIGHTS_CLAIM=true",
		"ADMIN_GROUP=GrievanceAdmin",
		"INTROSPECTION=true",
		"LOG_LEVEL="+c.LogLevel,
	)
	for _, n := range names {
		concurrency := 1 // one batch per shard at a time needs no more
		if n == apiFunction {
			concurrency = c.GraphQLConcurrency
		}
		f, err := runtime.Start(ctx, runtime.Config{
			Name:        n,
			Binary:      filepath.Join(c.BinDir, n),
			Concurrency: concurrency,
			Timeout:     c.FunctionTimeout,
			MemoryMB:    memoryMB[n],
			Env:         env,
			Output:      c.Output,
			Logger:      log,
		})
		if err != nil {
			return nil, err
		}
		st.functions[n] = f
	}

	sc := dynamodbstreams.NewFromConfig(awsCfg, func(o *dynamodbstreams.Options) {
		o.APIOptions = append(o.APIOptions, streams.FixMotoDates)
	})
	for _, n := range streamConsumers {
		p := streams.NewPoller(sc, st.names.Main, st.functions[n], streams.Options{
			Function:     n,
			BatchSize:    c.BatchSize,
			PollInterval: c.PollInterval,
			MaxRetries:   c.MaxRetries,
			DLQPath:      filepath.Join(c.DLQDir, "dlq-"+n+".jsonl"),
			Logger:       log,
		})
		st.pollers = append(st.pollers, p)
		st.wg.Add(1)
		go func() {
			defer st.wg.Done()
			p.Run(bgCtx)
		}()
	}

	if c.SLAInterval > 0 {
		st.wg.Add(1)
		go func() {
			defer st.wg.Done()
			st.schedule(bgCtx, scheduledFunction, c.SLAInterval)
		}()
	}

	st.gw = gateway.New(gateway.Config{
		Invoker:  st.functions[apiFunction],
		Verifier: &gateway.Verifier{Secret: []byte(c.JWTSecret), Issuer: c.JWTIssuer, Audience: c.JWTAudience},
		Logger:   log,
		Explorer: explorerConfig(c),
	})
	ln, err := net.Listen("tcp", c.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", c.ListenAddr, err)
	}
	st.addr = ln.Addr().String()
	st.server = &http.Server{Handler: st.gw, ReadHeaderTimeout: 10 * time.Second}
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		if err := st.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("api server failed", "err", err)
		}
	}()
	st.gw.SetReady(true)
	return st, nil
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

// schedule invokes a function every interval with the event an EventBridge
// schedule sends, like the SLASchedule rule of infra/stack; a failed run is
// logged and the next one comes at the next tick.
func (st *stack) schedule(ctx context.Context, name string, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			payload := fmt.Sprintf(`{"version":"0","id":"local-%d","detail-type":"Scheduled Event","source":"aws.events","time":%q,"resources":[],"detail":{}}`,
				now.UnixNano(), now.UTC().Format(time.RFC3339))
			out, err := st.functions[name].Invoke(ctx, []byte(payload))
			if err != nil && ctx.Err() == nil {
				st.log.Warn("scheduled run failed", "function", name, "err", err)
				continue
			}
			st.log.Debug("scheduled run", "function", name, "result", string(out))
		}
	}
}

// loadSeed upserts the directory seed. The upsert is idempotent, so it
// runs at every start, also against a long-lived emulator.
func loadSeed(ctx context.Context, path string, s *store.Store) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	defer f.Close()
	people, err := grievance.ParsePeople(f)
	if err != nil {
		return fmt.Errorf("seed %s: %w", path, err)
	}
	if err := s.UpsertPeople(ctx, people); err != nil {
		return fmt.Errorf("seed %s: %w", path, err)
	}
	return nil
}

// Close stops the API, the pollers, the functions and moto, in that order,
// so nothing is invoked after its function stopped.
func (st *stack) Close() {
	st.closeOnce.Do(func() {
		if st.gw != nil {
			st.gw.SetReady(false)
		}
		if st.server != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			st.server.Shutdown(ctx)
			cancel()
		}
		if st.cancel != nil {
			st.cancel()
		}
		st.wg.Wait()
		for _, f := range st.functions {
			f.Stop()
		}
		if st.moto != nil {
			st.moto.Stop()
		}
	})
}

func (st *stack) banner() string {
	base := "http://" + st.addr
	var dlq []string
	for _, p := range st.pollers {
		dlq = append(dlq, p.DLQPath())
	}
	explorer := "off (EXPLORER=false)"
	if st.c.Explorer {
		explorer = base + "/ in a browser"
	}
	emu := st.endpoint
	if st.moto != nil {
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
  DLQ      %[8]s
Ctrl-C stops everything.
`, base, emu, st.names.Main, st.names.History, st.bus.Name, st.bus.QueueName, st.endpoint, strings.Join(dlq, ", "), explorer)
}

func parseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return slog.LevelInfo
	}
	return l
}

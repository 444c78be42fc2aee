// Package stack is the local deployment of Redress, the counterpart of
// infra/stack for a developer machine: moto (or a running emulator) with
// the tables and the bus, the directory seed loaded through the importer
// and staffsync; the real function binaries
// under the Lambda Runtime API emulation; the Main table's stream polled
// for the stream consumers; the sla function on a schedule; and the
// emulated API Gateway in front of the graphql function.
//
// `go run ./infra/local run`, the load test (tools/load) and the
// end-to-end tests (infra/local/e2e) all start it, each with its Options.
package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/gateway"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/runtime"
	"github.com/redress-grm/redress/infra/local/s3gate"
	"github.com/redress-grm/redress/infra/local/scanner"
	"github.com/redress-grm/redress/infra/local/streams"
	"github.com/redress-grm/redress/shared/directory"
	"github.com/redress-grm/redress/shared/explorer"
	"github.com/redress-grm/redress/shared/openimis"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

// The functions, by role, as infra/stack deploys them: graphql behind the
// API, history (which also keeps the statistics) and tasks on the Main
// table's stream, sla on a schedule, scanresult on malware scan results.
// Memory sizes mirror the deployment.
const (
	GraphQL    = "graphql"
	History    = "history"
	Tasks      = "tasks"
	SLA        = "sla"
	ScanResult = "scanresult"
)

var (
	// AllFunctions is every function, the default of Options.Functions
	// (without scanresult when there is no Options.Bucket).
	AllFunctions    = []string{GraphQL, History, Tasks, SLA, ScanResult}
	streamConsumers = []string{History, Tasks}
	publishers      = []string{Tasks, SLA}
	memoryMB        = map[string]int{GraphQL: 512, History: 256, Tasks: 256, SLA: 256, ScanResult: 256}
)

// Options of a stack. Zero values take the defaults in brackets.
type Options struct {
	// Root is the repository root (go.mod) [found from the working
	// directory].
	Root string
	// Endpoint is a running emulator; "" starts moto on MotoPort [a free
	// port].
	Endpoint string
	MotoPort int
	// TablePrefix names the tables PREFIX+Main and PREFIX+History.
	TablePrefix string
	// BusName and QueueName create the event bus and the queue that
	// receives every bus event; "" creates none (then tasks and sla cannot
	// run).
	BusName, QueueName string
	// SeedFile is the directory seed, loaded at every start the way a
	// deployed directory is filled (bootstrap.ReadSeed): its staff are
	// created in the user pool (UserPool) and made directory users by
	// staffsync, its individuals and beneficiaries uploaded to the import
	// bucket (ImportBucket) and imported by the importer, whose report
	// Start waits for. So both functions must run; "" loads none.
	SeedFile string
	// Functions to run [AllFunctions].
	Functions []string
	// Env holds extra KEY=VALUE entries for every function.
	Env []string
	// FunctionEndpoints sends a function's AWS requests to another
	// endpoint than the emulator's (a fault proxy in front of it).
	FunctionEndpoints map[string]string
	// LogLevel is the functions' LOG_LEVEL [info]; at debug moto's request
	// log goes to Output as well.
	LogLevel string
	// GraphQLConcurrency is the graphql function's worker processes [1];
	// every other function has one (one batch per shard at a time needs
	// no more).
	GraphQLConcurrency int
	// FunctionTimeout is every function's timeout [30s].
	FunctionTimeout time.Duration
	// The stream mapping: records per batch [100], pause between polls
	// of an idle shard [200ms], retries of a failing batch before the
	// dead-letter file [3], and the directory of the dlq-<function>.jsonl
	// files [Root/.cache/local].
	BatchSize    int
	PollInterval time.Duration
	MaxRetries   int
	DLQDir       string
	// SLAInterval is how often the sla function sweeps; 0 never.
	SLAInterval time.Duration
	// Bucket is the attachments bucket; "" runs without attachments (no
	// bucket, no scanresult). With one, the functions sign S3 URLs for
	// the gate at GateAddr [a free port], which enforces what moto does
	// not (POST policies, expiry), and the stand-in scanner polls the
	// bucket every ScanInterval [1s] (docs/attachments.md).
	Bucket       string
	GateAddr     string
	ScanInterval time.Duration
	// ImportBucket and ImportQueue create the import bucket, notifying the
	// queue the importer is run from; "" creates none (docs/directory.md).
	ImportBucket, ImportQueue string
	// UserPool creates the user pool of that name with SeedFile's staff
	// (staffsync reads it); "" creates none. StaffSyncInterval is how
	// often staffsync runs after its run at start; 0 only at start.
	UserPool          string
	StaffSyncInterval time.Duration
	// SenderAddress is the notifier's SES sender, verified at start
	// [redress@localhost.test].
	SenderAddress string
	// SMSTopic and SMSQueue create the inbound SMS topic and the queue
	// subscribed to it that feeds the sms function; "" creates none.
	// WebhookToken is stored as the intake's Twilio auth token; "" stores
	// none (docs/intake.md).
	SMSTopic, SMSQueue string
	WebhookToken       string
	// Listen is the address of the emulated API Gateway in front of the
	// graphql function; "" serves no API (callers invoke the function).
	Listen string
	// Verifier is the API's JWT authorizer; required with Listen.
	Verifier *gateway.Verifier
	// OpenIMISClient makes the API accept the access cookie and anonymous
	// requests and serve current_user (gateway.Config.Cookies), as the
	// Lambda authorizer does in AWS, and runs the graphql function in the
	// openIMIS client mode with the dev signer: DevUsers sign in with
	// DevPassword and get tokens signed with the Verifier's secret.
	OpenIMISClient bool
	DevPassword    string
	DevUsers       map[string]openimis.DevUser
	// Explorer, when set, serves the GraphQL explorer page on the API
	// (gateway.Config.Explorer); nil leaves it off.
	Explorer *explorer.Config
	// BinDir receives the function binaries [Root/.cache/bin].
	BinDir string
	// Output receives the functions' output (and moto's, at debug)
	// [discarded].
	Output io.Writer
	// Logger receives the stack's own messages [discarded].
	Logger *slog.Logger
}

// Stack is a running local deployment.
type Stack struct {
	// Endpoint is the emulator's address, AWS its client configuration.
	Endpoint string
	AWS      aws.Config
	Tables   store.TableNames
	// Bus is the event bus and its queue (zero without Options.BusName).
	Bus bootstrap.Bus
	// Functions are the running functions by name.
	Functions map[string]*runtime.Function
	// Pollers deliver the Main table's stream to the stream consumers.
	Pollers []*streams.Poller
	// Addr is the API's listen address ("" without Options.Listen).
	Addr string
	// StartedMoto says the emulator was started here (and stops with the
	// stack).
	StartedMoto bool
	// Bucket is the attachments bucket and GateAddr the S3 gate's address
	// ("" without Options.Bucket).
	Bucket, GateAddr string
	// Imports is the import bucket and its queue, UserPoolID the user
	// pool (zero without Options.ImportBucket, Options.UserPool).
	Imports    bootstrap.ImportBucket
	UserPoolID string
	// SeedReport is the importer's report of the seed's individuals and
	// beneficiaries (zero without a seed, or a seed of staff only).
	SeedReport directory.Report
	seed       bootstrap.Seed
	// NotifyQueue is the notifier's queue (zero without the notifier).
	NotifyQueue bootstrap.Queue
	// SMS is the inbound SMS topic and its queue (zero without
	// Options.SMSTopic).
	SMS           bootstrap.SMSInbound
	webhookSecret string

	o        Options
	log      *slog.Logger
	moto     *moto.Server
	gw       *gateway.Gateway
	server   *http.Server
	gate     *http.Server
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
}

func (o *Options) defaults() error {
	if o.Root == "" {
		root, err := moto.RepoRoot()
		if err != nil {
			return err
		}
		o.Root = root
	}
	if o.Functions == nil {
		o.Functions = AllFunctions
		if o.Bucket == "" {
			o.Functions = slices.DeleteFunc(slices.Clone(AllFunctions), func(n string) bool { return n == ScanResult })
		}
	}
	if slices.Contains(o.Functions, ScanResult) && o.Bucket == "" {
		return errors.New("stack: function scanresult needs a bucket (Options.Bucket)")
	}
	if o.Bucket != "" && o.GateAddr == "" {
		o.GateAddr = "127.0.0.1:0"
	}
	if o.ScanInterval <= 0 {
		o.ScanInterval = time.Second
	}
	for _, n := range publishers {
		if slices.Contains(o.Functions, n) && o.BusName == "" {
			return fmt.Errorf("stack: function %s needs a bus (Options.BusName)", n)
		}
	}
	if slices.Contains(o.Functions, Importer) && o.ImportBucket == "" {
		return errors.New("stack: the importer needs an import bucket (Options.ImportBucket)")
	}
	if slices.Contains(o.Functions, SMS) && o.SMSTopic == "" {
		return errors.New("stack: the sms function needs a topic (Options.SMSTopic)")
	}
	if slices.Contains(o.Functions, StaffSync) && o.UserPool == "" {
		return errors.New("stack: staffsync needs a user pool (Options.UserPool)")
	}
	if o.SeedFile != "" && (!slices.Contains(o.Functions, Importer) || !slices.Contains(o.Functions, StaffSync) || o.UserPool == "") {
		return errors.New("stack: the seed is loaded through the importer and staffsync (Options.Functions, Options.ImportBucket, Options.UserPool)")
	}
	if o.Listen != "" && o.Verifier == nil {
		return errors.New("stack: an API (Options.Listen) needs a Verifier")
	}
	if o.OpenIMISClient && (o.Verifier == nil || o.DevPassword == "") {
		return errors.New("stack: the openIMIS client mode needs a Verifier and a DevPassword")
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	if o.SenderAddress == "" {
		o.SenderAddress = "redress@localhost.test"
	}
	if o.GraphQLConcurrency <= 0 {
		o.GraphQLConcurrency = 1
	}
	if o.FunctionTimeout <= 0 {
		o.FunctionTimeout = 30 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 3
	}
	if o.DLQDir == "" {
		o.DLQDir = filepath.Join(o.Root, ".cache", "local")
	}
	if o.BinDir == "" {
		o.BinDir = filepath.Join(o.Root, ".cache", "bin")
	}
	if o.Output == nil {
		o.Output = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Start brings everything up in dependency order. On error whatever was
// started is stopped again.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	s := &Stack{o: o, log: o.Logger, Functions: map[string]*runtime.Function{}}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	bg, cancel := context.WithCancel(context.Background())
	s.cancel = cancel

	// Compile while the emulator starts: a cold build is the slowest step.
	buildCtx, cancelBuilds := context.WithCancel(ctx)
	var builds sync.WaitGroup
	buildErrs := make([]error, len(o.Functions))
	for i, n := range o.Functions {
		builds.Go(func() {
			buildErrs[i] = runtime.Build(buildCtx, o.Root, "./functions/"+n, filepath.Join(o.BinDir, n))
		})
	}
	defer func() {
		cancelBuilds()
		builds.Wait()
	}()

	if err := s.startAWS(ctx); err != nil {
		return nil, err
	}
	builds.Wait()
	if err := errors.Join(buildErrs...); err != nil {
		return nil, err
	}
	if err := s.startFunctions(ctx); err != nil {
		return nil, err
	}
	s.startStreams(bg)
	if f := s.Functions[ScanResult]; f != nil {
		// No GuardDuty here: the scanner stands in for it (EICAR is
		// infected, everything else clean) and sends scanresult the same
		// event.
		sc := &scanner.Scanner{S3: s3.NewFromConfig(s.AWS, func(o *s3.Options) { o.UsePathStyle = true }),
			Bucket: o.Bucket, Function: f, Interval: o.ScanInterval, Log: s.log}
		s.wg.Go(func() { sc.Run(bg) })
	}
	if err := s.runDirectory(ctx, bg); err != nil {
		return nil, err
	}
	if s.Functions[Notifier] != nil {
		s.wg.Go(func() { s.pollNotifier(bg) })
	}
	s.runIntake(bg)
	if o.SLAInterval > 0 && s.Functions[SLA] != nil {
		s.wg.Go(func() { s.schedule(bg, SLA, o.SLAInterval) })
	}
	if o.Listen != "" {
		if err := s.serveAPI(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// startAWS starts moto unless an emulator was given, and creates the
// tables, the bus, the buckets, queues and the user pool.
func (s *Stack) startAWS(ctx context.Context) error {
	o := s.o
	s.Endpoint = o.Endpoint
	if s.Endpoint == "" {
		t0 := time.Now()
		mo := moto.Options{Port: o.MotoPort}
		if platform.Level(o.LogLevel) <= slog.LevelDebug {
			mo.Output = runtime.NewPrefixWriter(o.Output, "[moto] ")
		}
		m, err := moto.Start(ctx, mo)
		if err != nil {
			return err
		}
		s.moto, s.StartedMoto, s.Endpoint = m, true, m.Endpoint()
		s.log.Info("moto started", "endpoint", s.Endpoint, "took", time.Since(t0).Round(time.Millisecond))
	}
	var err error
	if s.AWS, err = moto.AWSConfig(ctx, s.Endpoint); err != nil {
		return err
	}
	if s.Tables, err = bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(s.AWS), o.TablePrefix); err != nil {
		return err
	}
	if o.BusName != "" {
		if s.Bus, err = bootstrap.CreateBus(ctx, s.AWS, o.BusName, o.QueueName); err != nil {
			return err
		}
	}
	if o.Bucket != "" {
		if err := s.startFiles(ctx); err != nil {
			return err
		}
	}
	if err := s.startNotifier(ctx); err != nil {
		return err
	}
	if err := s.startIntake(ctx); err != nil {
		return err
	}
	return s.startDirectory(ctx)
}

// startFiles creates the attachments bucket and starts the S3 gate in
// front of the emulator: moto checks neither presigned POST policies nor
// URL expiry, so the functions sign their URLs for the gate, which does.
func (s *Stack) startFiles(ctx context.Context) error {
	if err := bootstrap.CreateBucket(ctx, s.AWS, s.o.Bucket); err != nil {
		return err
	}
	upstream, err := url.Parse(s.Endpoint)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.o.GateAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (S3 gate): %w", s.o.GateAddr, err)
	}
	s.Bucket, s.GateAddr = s.o.Bucket, ln.Addr().String()
	s.gate = &http.Server{Handler: s3gate.New(upstream, "test"), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Go(func() {
		if err := s.gate.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("s3 gate failed", "err", err)
		}
	})
	return nil
}

// env is the environment of function name, as infra/stack sets it for the
// deployed one, with the emulator's endpoint and credentials.
func (s *Stack) env(name string) []string {
	endpoint := s.Endpoint
	if e := s.o.FunctionEndpoints[name]; e != "" {
		endpoint = e
	}
	env := append(s.Tables.Env(),
		"AWS_REGION="+moto.Region,
		"AWS_DEFAULT_REGION="+moto.Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_ENDPOINT_URL="+endpoint,
		"STAGE=local",
		"ALLOW_RIGHTS_CLAIM=true",
		"ADMIN_GROUP=GrievanceAdmin",
		"INTROSPECTION=true",
		"LOG_LEVEL="+s.o.LogLevel,
	)
	if s.o.BusName != "" {
		env = append(env, "EVENT_BUS_NAME="+s.o.BusName)
	}
	if name == GraphQL && s.o.OpenIMISClient {
		env = append(env, s.clientEnv()...)
	}
	// The gate only fronts the attachments bucket's presigned URLs; the
	// importer reads its own bucket from the emulator directly.
	if s.Bucket != "" && name != Importer {
		env = append(env, "ATTACHMENTS_BUCKET="+s.Bucket, "AWS_ENDPOINT_URL_S3=http://"+s.GateAddr)
	}
	switch name {
	case StaffSync:
		env = append(env, platform.EnvUserPoolID+"="+s.UserPoolID)
	case Importer:
		// Names the bucket to the call recorder (REDRESS_CALL_LOG); the
		// importer itself takes the bucket from each notification.
		env = append(env, platform.EnvImportBucket+"="+s.o.ImportBucket)
	case Notifier:
		env = append(env, "NOTIFY_QUEUE_URL="+s.NotifyQueue.URL, "SES_FROM_ADDRESS="+s.o.SenderAddress)
	}
	env = s.intakeEnv(name, env)
	return append(env, s.o.Env...)
}

func (s *Stack) startFunctions(ctx context.Context) error {
	for _, n := range s.o.Functions {
		concurrency := 1
		if n == GraphQL {
			concurrency = s.o.GraphQLConcurrency
		}
		f, err := runtime.Start(ctx, runtime.Config{
			Name:        n,
			Binary:      filepath.Join(s.o.BinDir, n),
			Concurrency: concurrency,
			Timeout:     s.o.FunctionTimeout,
			MemoryMB:    memoryMB[n],
			Env:         s.env(n),
			Output:      s.o.Output,
			Logger:      s.log,
		})
		if err != nil {
			return err
		}
		s.Functions[n] = f
	}
	return nil
}

// startStreams polls the Main table's stream for each stream consumer
// that runs, until ctx ends.
func (s *Stack) startStreams(ctx context.Context) {
	sc := dynamodbstreams.NewFromConfig(s.AWS, func(o *dynamodbstreams.Options) {
		o.APIOptions = append(o.APIOptions, streams.FixMotoDates)
	})
	for _, n := range streamConsumers {
		f := s.Functions[n]
		if f == nil {
			continue
		}
		p := streams.NewPoller(sc, s.Tables.Main, f, streams.Options{
			Function:     n,
			BatchSize:    s.o.BatchSize,
			PollInterval: s.o.PollInterval,
			MaxRetries:   s.o.MaxRetries,
			DLQPath:      s.DLQPath(n),
			Logger:       s.log,
		})
		s.Pollers = append(s.Pollers, p)
		s.wg.Go(func() { p.Run(ctx) })
	}
}

// clientEnv is the graphql function's environment for the openIMIS
// client mode: the dev signer with the gateway's own secret, so the
// cookies it sets verify at the gateway.
func (s *Stack) clientEnv() []string {
	users, _ := json.Marshal(s.o.DevUsers)
	v := s.o.Verifier
	return []string{"OPENIMIS_CLIENT=true", "OPENIMIS_SIGNER=dev", "OPENIMIS_DEV_PASSWORD=" + s.o.DevPassword,
		"OPENIMIS_DEV_USERS=" + string(users), "JWT_SECRET=" + string(v.Secret), "JWT_ISSUER=" + v.Issuer, "JWT_AUDIENCE=" + v.Audience}
}

// DLQPath is the dead-letter file of stream consumer name.
func (s *Stack) DLQPath(name string) string {
	return filepath.Join(s.o.DLQDir, "dlq-"+name+".jsonl")
}

func (s *Stack) serveAPI() error {
	gc := gateway.Config{Invoker: s.Functions[GraphQL], Verifier: s.o.Verifier, Logger: s.log, Explorer: s.o.Explorer,
		Public: s.publicRoutes()}
	if s.o.OpenIMISClient {
		gc.Cookies, gc.Routes = true, gateway.ClientRoutes
	}
	s.gw = gateway.New(gc)
	ln, err := net.Listen("tcp", s.o.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.o.Listen, err)
	}
	s.Addr = ln.Addr().String()
	s.server = &http.Server{Handler: s.gw, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Go(func() {
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("api server failed", "err", err)
		}
	})
	s.gw.SetReady(true)
	return nil
}

// URL is the base URL of the API ("" without one).
func (s *Stack) URL() string {
	if s.Addr == "" {
		return ""
	}
	return "http://" + s.Addr
}

// schedule invokes a function every interval with the event an EventBridge
// schedule sends, like the SLASchedule rule of infra/stack; a failed run is
// logged and the next one comes at the next tick.
func (s *Stack) schedule(ctx context.Context, name string, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			payload := fmt.Sprintf(`{"version":"0","id":"local-%d","detail-type":"Scheduled Event","source":"aws.events","time":%q,"resources":[],"detail":{}}`,
				now.UnixNano(), now.UTC().Format(time.RFC3339))
			out, err := s.Functions[name].Invoke(ctx, []byte(payload))
			if err != nil && ctx.Err() == nil {
				s.log.Warn("scheduled run failed", "function", name, "err", err)
				continue
			}
			s.log.Debug("scheduled run", "function", name, "result", string(out))
		}
	}
}

// Stop stops the API, the pollers and the schedule, the functions and
// moto, in that order, so nothing is invoked after its function stopped.
// It may be called more than once.
func (s *Stack) Stop() {
	s.stopOnce.Do(func() {
		if s.gw != nil {
			s.gw.SetReady(false)
		}
		for _, srv := range []*http.Server{s.server, s.gate} {
			if srv != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				srv.Shutdown(ctx)
				cancel()
			}
		}
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
		for _, f := range s.Functions {
			f.Stop()
		}
		if s.moto != nil {
			s.moto.Stop()
		}
	})
}

// Explorer says whether the API serves the explorer page.
func (s *Stack) Explorer() bool { return s.o.Explorer != nil }

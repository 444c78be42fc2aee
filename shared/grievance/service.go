package grievance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Service applies the module's rules: authorization, validation, state
// transitions and mutation logging. It is safe for concurrent use.
type Service struct {
	store   Store
	history HistoryStore // nil until history records are available
	stats   StatsStore   // nil: grievanceStatistics is unavailable
	// attachments and files serve evidence files; nil: attachments are
	// unavailable.
	attachments AttachmentStore
	files       Files
	uploadTTL   time.Duration
	downloadTTL time.Duration
	// directory serves the pickers; nil: they are unavailable.
	directory DirectorySearch
	// tracking keeps tracking secrets; nil: intake and tracking are
	// unavailable.
	tracking  TrackingStore
	newSecret func() string
	// optOuts records opt-outs; nil: STOP and START are unavailable.
	optOuts OptOutStore
	now     func() time.Time
	newID   func() string

	configTTL         time.Duration
	mutationLogTTL    time.Duration
	historyReadBudget int

	// links guesses the individuals of beneficiaries (people reads).
	links individualLinks
	// lastValues and sizes guess what list filters match and how many
	// tickets a person's list holds (list_values.go, list_tickets.go).
	lastValues lastValues
	// lastHeld: the counts of versions per value, last read (the values
	// versions held, for history lookups).
	lastHeld lastValues
	// heldDistrustedAt: when the values' dictionary last said it is not
	// to be trusted, history_counts.go.
	heldDistrustedAt distrustedAt
	// pairsDistrustedAt: when a value list last found candidates the
	// pairs did not count, history_family.go.
	pairsDistrustedAt distrustedAt
	sizes             rangeSizes
	// searchRates: the share of a text search's candidates that were
	// rows, last read (search_rates.go).
	searchRates searchRates
	// runStarts: where history lists by the runs last started
	// (list_history_runs.go).
	runStarts recent[runStart]
	// candsSeen and runsSeen: a history list's candidates and a column's
	// runs, last read, to guess where a list by the column first starts
	// (list_history_runs.go, guessStart).
	candsSeen recent[seenCands]
	runsSeen  recent[[]OrderRun]
	// versionsPer: the tickets' versions on average, as the history rows
	// last said, to size the groups a search's very first list by the
	// column reads (blindStart).
	versionsPer recent[float64]
	// countsComplete: the history store said its counts of versions are
	// complete (history_counts.go).
	countsComplete onceTrue
	// pairsComplete: the same for the counts of VersionPairKeys.
	pairsComplete onceTrue
	// ordersComplete: the store said every live ticket is in its order
	// postings (list_search.go).
	ordersComplete onceTrue
	// runsComplete: the store said every live ticket is in its order
	// runs of the column (list_search.go), per OrderRunFields.
	runsComplete map[string]*onceTrue
	// daysComplete: the store said every live ticket's due day is in its
	// column (list_search.go).
	daysComplete onceTrue
	// periodsComplete: the same for its SLA periods (SLAPeriodIndex).
	periodsComplete onceTrue
	// dateDaysComplete: the same for its date days (DateDayIndex).
	dateDaysComplete onceTrue
	// historySorts: the history store said every ticket version is in
	// its sort indexes (HistorySorter).
	historySorts onceTrue
	// walkAmongMin, when set (tests), replaces walkAmongMin.
	walkAmongMin int
	// liveTexts: the latest version of its postings of LiveTextFields
	// the store said holds every live ticket.
	liveTexts atLeast
	// rowsComplete: the store said every ticket's history rows are in
	// their column (history_rows.go).
	rowsComplete onceTrue
	// filedComplete: the store said every ticket is in the filed
	// postings (FiledIndex).
	filedComplete onceTrue

	mu        sync.Mutex
	cfg       *Config
	cfgVer    int
	cfgLoaded time.Time
}

// Options tune a Service; zero values take the defaults.
type Options struct {
	// ConfigTTL is how long a container trusts its cached configuration
	// (default 30 s): a change reaches every container within it.
	ConfigTTL time.Duration
	// MutationLogTTL is how long mutation logs are kept (default 90 days).
	MutationLogTTL time.Duration
	// History serves history reads; without it they fall back to the live
	// version.
	History HistoryStore
	// Stats serves grievanceStatistics from the aggregates the stats
	// function keeps; without it statistics are unavailable.
	Stats StatsStore
	// HistoryReadBudget is how many versions one history query may read
	// (default DefaultHistoryReadBudget), matching or not.
	HistoryReadBudget int
	// Attachments and Files serve attachments (docs/attachments.md);
	// without both, attachment operations are unavailable.
	Attachments AttachmentStore
	Files       Files
	// UploadTTL is how long an upload form is valid (default 5 minutes),
	// DownloadTTL a download URL (default 1 minute): long enough to use
	// them at once, too short to pass them around.
	UploadTTL, DownloadTTL time.Duration
	// Directory serves the pickers (users, individual, beneficiary,
	// benefitPlan); without it they are unavailable.
	Directory DirectorySearch
	// Tracking keeps the tracking secrets of complaints filed from
	// outside; without it Intake and Track are unavailable.
	Tracking TrackingStore
	// NewSecret generates tracking secrets (default NewTrackingSecret).
	NewSecret func() string
	// OptOuts records SMS STOP/START (docs/notifications.md); without it
	// those replies are answered as unavailable.
	OptOuts OptOutStore
}

// DefaultHistoryReadBudget bounds the versions a history query reads: as
// many rows as a list may sort in memory.
const DefaultHistoryReadBudget = maxSorted

// NewService returns a Service over store. now and newID are injected so
// that tests are deterministic.
func NewService(store Store, now func() time.Time, newID func() string, opts Options) *Service {
	s := &Service{store: store, history: opts.History, stats: opts.Stats, directory: opts.Directory, now: now, newID: newID,
		tracking: opts.Tracking, newSecret: opts.NewSecret, optOuts: opts.OptOuts,
		configTTL: opts.ConfigTTL, mutationLogTTL: opts.MutationLogTTL, historyReadBudget: opts.HistoryReadBudget,
		attachments: opts.Attachments, files: opts.Files, uploadTTL: opts.UploadTTL, downloadTTL: opts.DownloadTTL}
	s.runsComplete = map[string]*onceTrue{}
	for _, f := range OrderRunFields {
		s.runsComplete[f] = &onceTrue{}
	}
	if s.historyReadBudget <= 0 {
		s.historyReadBudget = DefaultHistoryReadBudget
	}
	if s.uploadTTL == 0 {
		s.uploadTTL = 5 * time.Minute
	}
	if s.downloadTTL == 0 {
		s.downloadTTL = time.Minute
	}
	if s.configTTL == 0 {
		s.configTTL = 30 * time.Second
	}
	if s.newSecret == nil {
		s.newSecret = NewTrackingSecret
	}
	if s.mutationLogTTL == 0 {
		s.mutationLogTTL = 90 * 24 * time.Hour
	}
	return s
}

// Config returns the effective configuration, from the per-container cache
// when it is fresh.
func (s *Service) Config(ctx context.Context) (*Config, error) {
	cfg, _, err := s.config(ctx)
	return cfg, err
}

func (s *Service) config(ctx context.Context) (*Config, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg != nil && s.now().Sub(s.cfgLoaded) < s.configTTL {
		return s.cfg, s.cfgVer, nil
	}
	doc, ver, err := s.store.ConfigDocument(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("load configuration: %w", err)
	}
	cfg, err := ParseConfig(doc)
	if err != nil {
		// A stored document that no longer validates must not take the
		// service down silently wrong: report it as an internal error.
		return nil, 0, fmt.Errorf("stored configuration is invalid: %w", errors.New(ErrorMessage(err)))
	}
	s.cfg, s.cfgVer, s.cfgLoaded = cfg, ver, s.now()
	return cfg, ver, nil
}

// errUnconfigured marks a refusal for a value the configuration does not
// list. The configuration in hand may be this container's cached copy,
// up to ConfigTTL old, while another container has just added the value:
// Mutate reads the configuration again before refusing
// (docs/configuration.md).
var errUnconfigured = errors.New("value not in the cached configuration")

// unconfigured returns an INVALID error for a value the configuration
// does not list.
func unconfigured(format string, args ...any) *Error {
	e := Errorf(CodeInvalid, format, args...)
	e.Err = errUnconfigured
	return e
}

func (s *Service) forgetConfig() {
	s.mu.Lock()
	s.cfg = nil
	s.mu.Unlock()
}

// ReaderConfig returns the configuration for grievanceConfig: any signed-in
// principal with the ticket-query right, and anyone at all when the
// configuration says anonymous_grievance_config.
func (s *Service) ReaderConfig(ctx context.Context) (*Config, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		cfg, err := s.Config(ctx)
		if err != nil {
			return nil, err
		}
		if !cfg.AnonymousGrievanceConfig {
			return nil, errUnauthenticated()
		}
		return cfg, nil
	}
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	if !p.HasAny(cfg.QueryTicketsPerms) {
		return nil, errForbidden()
	}
	return cfg, nil
}

func errUnauthenticated() error {
	return Errorf(CodeUnauthenticated, "Unauthorized").WithKey("mutation.authentication_required")
}

func errForbidden() error { return Errorf(CodeForbidden, "unauthorized") }

// MutationRequest describes a mutation for its log.
type MutationRequest struct {
	Name                  string // GraphQL field, e.g. "createTicket"
	Class                 string // openIMIS class, e.g. "CreateTicketMutation"
	ClientMutationID      string
	ClientMutationLabel   string
	ClientMutationDetails []string
	JSONContent           string
	// ExplicitVersion is true when the client named the version it read;
	// a conflict is then reported instead of retried on fresh data.
	ExplicitVersion bool
}

// Plan computes the write a mutation makes from the current state. It is
// called again when a concurrent change made its write conflict.
type Plan func(ctx context.Context) (*Write, error)

const maxConflictRetries = 5

// Mutate runs a mutation the openIMIS way: the outcome lands in a mutation
// log, stored atomically with the mutation's own write. A repeated
// clientMutationId from the same user returns the first final log without
// running again; after a transient failure (Transient) it runs again and
// the new outcome replaces the failed log under the same id. The returned
// error is only for failures to record the outcome at all; business
// failures are in the log.
func (s *Service) Mutate(ctx context.Context, req MutationRequest, plan Plan) (*MutationLog, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		// Anonymous requests leave no log (there is no one to read it);
		// the caller turns this into an authentication error.
		return nil, errUnauthenticated()
	}
	now := s.now().UTC()
	log := &MutationLog{
		ID:                    s.newID(),
		UserID:                p.ID,
		Mutation:              req.Name,
		ClientMutationID:      req.ClientMutationID,
		ClientMutationLabel:   req.ClientMutationLabel,
		ClientMutationDetails: req.ClientMutationDetails,
		JSONContent:           req.JSONContent,
		Status:                MutationReceived,
		RequestDateTime:       now,
		ExpiresAt:             now.Add(s.mutationLogTTL),
	}
	if err := checkMutationRequest(req); err != nil {
		// The envelope itself is unusable (too long to be a key or to be
		// stored): nothing can be logged under it, so the client hears it
		// directly, as it would a document error.
		return nil, err
	}
	claim := req.ClientMutationID != ""
	if claim {
		prev, err := s.store.ClientMutation(ctx, p.ID, req.ClientMutationID)
		if err != nil {
			return nil, fmt.Errorf("look up mutation %q: %w", req.ClientMutationID, err)
		}
		if prev != nil && !prev.Retryable {
			return prev, nil
		}
		if prev != nil {
			// The client polls the log it was first given: replace it.
			log.ID = prev.ID
		}
	}
	// A repeat that raced this one past the look-up loses at commit: the
	// claim is part of the mutation's own transaction.
	duplicate := func() (*MutationLog, error) {
		prev, err := s.store.ClientMutation(ctx, p.ID, req.ClientMutationID)
		if err != nil {
			return nil, fmt.Errorf("look up mutation %q: %w", req.ClientMutationID, err)
		}
		if prev == nil {
			return nil, fmt.Errorf("mutation %q claimed but not found", req.ClientMutationID)
		}
		return prev, nil
	}
	var err error
	reread := false
	for attempt := 0; ; attempt++ {
		var w *Write
		w, err = plan(ctx)
		if errors.Is(err, errUnconfigured) && !reread {
			// Once per mutation, so a client sending unknown values costs
			// one consistent GetItem per refusal, bounded by the API's
			// throttle; a redundant read when the copy was fresh is cheaper
			// than tracking where it came from.
			reread = true
			s.forgetConfig()
			attempt--
			continue
		}
		if err == nil {
			err = s.trackSLA(ctx, w)
		}
		if err == nil {
			final := *log
			final.Status = MutationSuccess
			final.TicketIDs = w.ticketIDs()
			w.Log, w.Claim = &final, claim
			err = s.store.Commit(ctx, w)
			if err == nil {
				if w.Config != nil {
					s.forgetConfig()
				}
				for _, then := range w.Then {
					if terr := then(ctx); terr != nil {
						return &final, &MutationFailure{Log: &final, Err: terr}
					}
				}
				return &final, nil
			}
		}
		if ErrorKey(err) == KeyDuplicate {
			return duplicate()
		}
		if ErrorCode(err) != CodeConflict || req.ExplicitVersion || attempt >= maxConflictRetries {
			break
		}
	}
	failed := *log
	failed.Status = MutationFailed
	failed.Error = FailureJSON(req.Class, err)
	failed.Retryable = Transient(err, req.ExplicitVersion)
	perr := s.store.PutMutationLog(ctx, &failed, claim)
	if ErrorKey(perr) == KeyDuplicate {
		return duplicate()
	}
	if c := ErrorCode(err); c == CodeInternal || c == CodeUnavailable {
		// The caller logs the cause; the log shows a generic message.
		if perr != nil {
			return nil, fmt.Errorf("%s: %w (and storing its log: %v)", req.Name, err, perr)
		}
		return &failed, &MutationFailure{Log: &failed, Err: err}
	}
	if perr != nil {
		return nil, fmt.Errorf("store mutation log: %w", perr)
	}
	return &failed, nil
}

// MutationFailure reports an internal failure inside a mutation whose log
// was stored; the edge logs Err and still answers with Log.
type MutationFailure struct {
	Log *MutationLog
	Err error
}

func (f *MutationFailure) Error() string { return f.Err.Error() }
func (f *MutationFailure) Unwrap() error { return f.Err }

func (w *Write) ticketIDs() []string {
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if w.NewTicket != nil {
		add(w.NewTicket.ID)
	}
	for _, t := range w.Tickets {
		add(t.Ticket.ID)
	}
	for _, c := range w.Comments {
		add(c.Comment.TicketID)
	}
	for _, a := range w.Attachments {
		add(a.Attachment.TicketID)
	}
	return ids
}

// onceTrue remembers a store's answer once it is yes, for facts that
// never go back to no (a completeness marker).
type onceTrue struct{ yes atomic.Bool }

// ask returns true when a yes is remembered, else read's answer,
// remembering a yes.
func (o *onceTrue) ask(read func() (bool, error)) (bool, error) {
	if o.yes.Load() {
		return true, nil
	}
	ok, err := read()
	if ok && err == nil {
		o.yes.Store(true)
	}
	return ok, err
}

// atLeast remembers the greatest of a store's answers, for a level that
// never goes back (a version of the index every ticket is in).
type atLeast struct {
	n    atomic.Int64
	told atomic.Bool // the store has answered once
}

// level returns the level remembered, and whether the store has answered
// at all.
func (a *atLeast) level() (int, bool) { return int(a.n.Load()), a.told.Load() }

// ask returns the level remembered when it is need or more, else read's
// answer, remembering it.
func (a *atLeast) ask(need int, read func() (int, error)) (int, error) {
	if n := int(a.n.Load()); n >= need {
		return n, nil
	}
	n, err := read()
	if err != nil {
		return 0, err
	}
	a.told.Store(true)
	for {
		old := a.n.Load()
		if int64(n) <= old || a.n.CompareAndSwap(old, int64(n)) {
			return max(n, int(old)), nil
		}
	}
}

// under returns ask of read sent now, beside other requests: a container
// pays the read only until the answer is yes.
func (o *onceTrue) under(what string, read func() (bool, error)) func() (bool, error) {
	if o.yes.Load() {
		return func() (bool, error) { return true, nil }
	}
	r := async(what, read)
	return func() (bool, error) { return o.ask(r) }
}

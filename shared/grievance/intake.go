package grievance

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Intake: complaints that arrive from outside, without a staff account
// (docs/intake.md). Every channel — the web form and its JSON API, SMS
// through AWS End User Messaging, aggregator webhooks — ends in one
// operation, Service.Intake, idempotent by the channel's own message id.

// Intake sources: the technical channel a complaint came through. A
// source scopes message ids (two sources may reuse each other's ids) and
// is recorded on the ticket for the statistics.
const (
	SourceWeb    = "web"
	SourceSMS    = "sms"
	SourceTwilio = "twilio"
)

// IntakeSources lists every source.
var IntakeSources = []string{SourceWeb, SourceSMS, SourceTwilio}

// IntakeConfig is the "intake" key of the configuration.
type IntakeConfig struct {
	// DefaultCategory is the category of an SMS that names none; "" means
	// the first of grievance_types.
	DefaultCategory string `json:"default_category"`
	// Channels maps a source to the grievance channel its tickets get
	// when the complaint names none.
	Channels Dict[string] `json:"channels"`
	// SMSKeywords maps the first word of an SMS (any case) to a category.
	SMSKeywords Dict[string] `json:"sms_keywords"`
	// The tracking lockout: so many wrong secrets for one code lock it for
	// so many minutes.
	TrackingMaxFailures    int `json:"tracking_max_failures"`
	TrackingLockoutMinutes int `json:"tracking_lockout_minutes"`
	// StatsMinCount suppresses, in the intake statistics, every count
	// below it (a small count can identify a complainant).
	StatsMinCount int `json:"stats_min_count"`
	// StatsRegions are the first levels of contact locations counted by
	// name in the intake statistics; any other counts as [Other], so that
	// free text cannot grow an aggregate (MaxStatsValues of them, each at
	// most MaxStatsValueBytes).
	StatsRegions []string `json:"stats_regions"`
}

func defaultIntakeConfig() IntakeConfig {
	return IntakeConfig{
		Channels:               Dict[string]{Values: map[string]string{}},
		SMSKeywords:            Dict[string]{Values: map[string]string{}},
		TrackingMaxFailures:    20,
		TrackingLockoutMinutes: 15,
		StatsMinCount:          5,
	}
}

func (ic IntakeConfig) trackingPolicy() TrackingPolicy {
	return TrackingPolicy{MaxFailures: ic.TrackingMaxFailures, Lockout: time.Duration(ic.TrackingLockoutMinutes) * time.Minute}
}

var keywordRE = regexp.MustCompile(`^[A-Z0-9]{1,20}$`)

func (c *Config) validateIntake() error {
	ic := c.Intake
	if ic.DefaultCategory != "" && !slices.Contains(c.GrievanceTypes, ic.DefaultCategory) {
		return Errorf(CodeInvalid, "intake.default_category %q is not one of grievance_types.", ic.DefaultCategory)
	}
	for _, src := range ic.Channels.Keys {
		if !slices.Contains(IntakeSources, src) {
			return Errorf(CodeInvalid, "intake.channels has key %q; sources are %s.", src, quoteList(IntakeSources))
		}
		if ch := ic.Channels.Values[src]; !slices.Contains(c.GrievanceChannels, ch) {
			return Errorf(CodeInvalid, "intake.channels[%q] = %q is not one of grievance_channels.", src, ch)
		}
	}
	for _, k := range ic.SMSKeywords.Keys {
		if !keywordRE.MatchString(k) {
			return Errorf(CodeInvalid, "intake.sms_keywords key %q must be 1 to 20 upper-case letters or digits.", k)
		}
		if k == smsStatusKeyword || k == smsRateKeyword || k == smsStopKeyword || k == smsStartKeyword {
			return Errorf(CodeInvalid, "intake.sms_keywords must not use %q: it is an SMS command (STATUS, RATE, STOP, START).", k)
		}
		if cat := ic.SMSKeywords.Values[k]; !slices.Contains(c.GrievanceTypes, cat) {
			return Errorf(CodeInvalid, "intake.sms_keywords[%q] = %q is not one of grievance_types.", k, cat)
		}
	}
	if ic.TrackingMaxFailures < 1 || ic.TrackingMaxFailures > 100 {
		return Errorf(CodeInvalid, "intake.tracking_max_failures must be between 1 and 100.")
	}
	if ic.TrackingLockoutMinutes < 1 || ic.TrackingLockoutMinutes > 7*24*60 {
		return Errorf(CodeInvalid, "intake.tracking_lockout_minutes must be between 1 and 10080 (a week).")
	}
	if ic.StatsMinCount < 0 || ic.StatsMinCount > 1000 {
		return Errorf(CodeInvalid, "intake.stats_min_count must be between 0 and 1000.")
	}
	if len(ic.StatsRegions) > MaxStatsValues {
		return Errorf(CodeInvalid, "intake.stats_regions lists more than %d regions.", MaxStatsValues)
	}
	for _, r := range ic.StatsRegions {
		if strings.TrimSpace(r) == "" || len(r) > MaxStatsValueBytes || strings.Contains(r, "/") {
			return Errorf(CodeInvalid, "intake.stats_regions: %q must be one non-empty location level of at most %d bytes.", r, MaxStatsValueBytes)
		}
	}
	return nil
}

// IntakeRequest is a complaint from outside, as a channel decoded it.
type IntakeRequest struct {
	Source string
	// MessageID is the channel's id of the message (the Idempotency-Key of
	// the web API, the provider's message id of SMS and webhooks): a
	// redelivery with the same id files nothing new.
	MessageID   string
	Category    string
	Description string
	Title       string
	Channel     string
	Language    string
	Anonymous   bool
	Contact     *Contact
	// ReporterExternalID names a registered person by the registry's id.
	ReporterExternalID string
}

// IntakeResult answers an intake: the code, and the tracking secret when
// this call created the ticket (a redelivery gets the code only: the
// secret exists nowhere but in the first answer).
type IntakeResult struct {
	TicketID string
	Code     string
	Secret   string
	Created  bool
	// Confidential says the ticket's category is confidential: replies
	// must not repeat anything about it.
	Confidential bool
}

var messageIDRE = regexp.MustCompile(`^[A-Za-z0-9._:/+=-]{1,128}$`)

// ValidMessageID reports whether id can be an intake message id: 1 to 128
// characters of letters, digits and . _ : / + = -.
func ValidMessageID(id string) bool { return messageIDRE.MatchString(id) }

// intakeUser is the user id intake writes as a ticket's creator and under
// which its message ids are claimed.
func intakeUser(source string) string { return "intake:" + source }

// Intake files a complaint from outside. It needs no principal: the
// channel's edge (signature, rate limit) has vouched for the request.
func (s *Service) Intake(ctx context.Context, req IntakeRequest) (*IntakeResult, error) {
	if s.tracking == nil {
		return nil, Errorf(CodeUnavailable, "Intake is not available.")
	}
	if !slices.Contains(IntakeSources, req.Source) {
		return nil, fmt.Errorf("unknown intake source %q", req.Source)
	}
	if !ValidMessageID(req.MessageID) {
		return nil, Errorf(CodeInvalid, "The idempotency key must be 1 to 128 letters, digits or . _ : / + = -.")
	}
	user := intakeUser(req.Source)
	if prev, err := s.store.ClientMutation(ctx, user, req.MessageID); err != nil {
		return nil, fmt.Errorf("look up intake message: %w", err)
	} else if prev != nil {
		return s.redelivered(ctx, prev)
	}
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.intakeTicket(ctx, cfg, req)
	if err != nil {
		return nil, err
	}
	secret := s.newSecret()
	rec, err := NewTrackingRecord(t.ID, secret)
	if err != nil {
		return nil, err
	}
	now := t.DateCreated
	log := &MutationLog{ID: s.newID(), UserID: user, Mutation: "intake", ClientMutationID: req.MessageID,
		Status: MutationSuccess, RequestDateTime: now, ExpiresAt: now.Add(s.mutationLogTTL), TicketIDs: []string{t.ID}}
	w := &Write{NewTicket: t, Tracking: rec, Log: log, Claim: true}
	if err := s.trackSLA(ctx, w); err != nil {
		return nil, err
	}
	if err := s.store.Commit(ctx, w); err != nil {
		if ErrorKey(err) != KeyDuplicate {
			return nil, err
		}
		// A redelivery raced this one past the look-up and won.
		prev, err := s.store.ClientMutation(ctx, user, req.MessageID)
		if err != nil || prev == nil {
			return nil, fmt.Errorf("intake message claimed but not found: %v", err)
		}
		return s.redelivered(ctx, prev)
	}
	return &IntakeResult{TicketID: t.ID, Code: t.Code, Secret: secret, Created: true, Confidential: cfg.Confidential(t.Category)}, nil
}

func (s *Service) redelivered(ctx context.Context, prev *MutationLog) (*IntakeResult, error) {
	if len(prev.TicketIDs) == 0 {
		return nil, fmt.Errorf("intake log %s names no ticket", prev.ID)
	}
	t, err := s.store.Ticket(ctx, prev.TicketIDs[0])
	if err != nil {
		return nil, fmt.Errorf("load ticket of intake log %s: %w", prev.ID, err)
	}
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	return &IntakeResult{TicketID: t.ID, Code: t.Code, Confidential: cfg.Confidential(t.Category)}, nil
}

// intakeTicket builds and validates the ticket of a complaint.
func (s *Service) intakeTicket(ctx context.Context, cfg *Config, req IntakeRequest) (*Ticket, error) {
	now := s.now().UTC()
	user := intakeUser(req.Source)
	t := &Ticket{ID: s.newID(), Version: 1, Status: StatusReceived, Source: req.Source,
		DateCreated: now, DateUpdated: now, DateValidFrom: now, UserCreated: user, UserUpdated: user,
		Category: strings.TrimSpace(req.Category), Title: strings.TrimSpace(req.Title),
		Description: strings.TrimSpace(req.Description)}
	if t.Category == "" {
		return nil, Errorf(CodeInvalid, "category is required.")
	}
	if !slices.Contains(cfg.GrievanceTypes, t.Category) {
		return nil, Errorf(CodeInvalid, "category %q is not one of %s.", t.Category, quoteList(cfg.GrievanceTypes))
	}
	if t.Description == "" {
		return nil, Errorf(CodeInvalid, "description is required.")
	}
	t.Channel = strings.TrimSpace(req.Channel)
	if t.Channel == "" {
		t.Channel, _ = cfg.Intake.Channels.Get(req.Source)
	} else if !slices.Contains(cfg.GrievanceChannels, t.Channel) {
		return nil, Errorf(CodeInvalid, "channel %q is not one of %s.", t.Channel, quoteList(cfg.GrievanceChannels))
	}
	lang, err := ParseLanguage("language", req.Language)
	if err != nil {
		return nil, err
	}
	var contact Contact
	if req.Contact != nil {
		contact = *req.Contact
	}
	if lang != "" && contact.Language == "" {
		contact.Language = lang
	}
	if req.Anonymous {
		if req.ReporterExternalID != "" {
			return nil, Errorf(CodeInvalid, "An anonymous complaint cannot name a registered person (reporter_external_id).")
		}
		contact = Contact{Anonymous: true}
	}
	if t.Contact, err = contact.Normalize(); err != nil {
		return nil, err
	}
	// Validated before the directory is asked too: a complaint refused
	// for its own fields must not have told by its timing whether the
	// person it names is registered.
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if req.ReporterExternalID != "" {
		if err := s.intakeReporter(ctx, t, req.ReporterExternalID); err != nil {
			return nil, err
		}
		if err := t.Validate(); err != nil {
			return nil, err
		}
	}
	r, err := ParseResolution(cfg.DefaultResolutionFor(t.Category))
	if err != nil {
		return nil, err
	}
	t.DueDate = r.DueDate(now)
	return t, nil
}

// intakeReporter links the registered person with external id ext. An id
// the directory does not know is kept for staff to resolve, and answered
// alike: the public form must not tell who is registered.
func (s *Service) intakeReporter(ctx context.Context, t *Ticket, ext string) error {
	ext, err := ParseExternalID("reporter_external_id", ext)
	if err != nil {
		return err
	}
	var found *Person
	// Each search path is per type: individuals first, the usual reporters.
	// Both are asked whatever the first found, so the answer's timing does
	// not tell an individual from anyone else.
	for _, typ := range []PersonType{PersonIndividual, PersonBeneficiary} {
		if s.directory == nil {
			break
		}
		err := s.directory.ScanPeople(ctx, PersonScan{Path: SearchByExternalID, Type: typ, Key: ext}, func(p *Person) (bool, error) {
			if p.ExternalID == ext && p.Type == typ && !p.Inactive && found == nil {
				found = p
				return false, nil
			}
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("look up reporter_external_id: %w", err)
		}
	}
	if found != nil {
		t.ReporterType, t.ReporterID = found.Type, found.ID
		return nil
	}
	t.JSONExt = map[string]any{"reporter_external_id": ext}
	return nil
}

// The first words of an SMS that is a command rather than a complaint.
const (
	smsStatusKeyword = "STATUS"
	smsRateKeyword   = "RATE"
	smsStopKeyword   = "STOP"
	smsStartKeyword  = "START"
)

// SMSCommand is what an inbound SMS asks for.
type SMSCommand struct {
	// Status is true for "STATUS <code> <secret>".
	Status       bool
	Code, Secret string
	// Rate is true for "RATE <code> <n>"; Rating is n when it is a whole
	// number, else 0.
	Rate   bool
	Rating int
	// RateHelp is true for a bare number from 1 to 5: most likely an
	// answer to the rating question, which names no case, so it is
	// neither a rating nor a complaint.
	RateHelp bool
	// Stop and Start are the whole text STOP or START: the sender's
	// opt-out from notifications is set or lifted.
	Stop, Start bool
	// Otherwise the SMS is a complaint of Category with Description.
	Category    string
	Description string
}

// ParseSMS reads an inbound SMS: "STATUS GRS00000042 ABCD-EFGH" asks for
// a status, "RATE GRS00000042 4" rates an outcome, STOP and START (alone)
// set and lift the opt-out; any other text is a complaint whose first
// word, when it is a configured keyword, picks the category (and is
// dropped from the text); else the default category applies — except a
// bare digit 1–5 that is no keyword, which is answered with how to rate
// (it names no case, and a phone may have several).
func ParseSMS(cfg *Config, text string) SMSCommand {
	text = strings.TrimSpace(text)
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return SMSCommand{Category: cfg.intakeDefaultCategory()}
	}
	first := strings.ToUpper(strings.Trim(fields[0], ".:,;#!"))
	switch {
	case first == smsStatusKeyword:
		cmd := SMSCommand{Status: true}
		if len(fields) > 1 {
			cmd.Code = strings.ToUpper(fields[1])
		}
		if len(fields) > 2 {
			cmd.Secret = strings.Join(fields[2:], "")
		}
		return cmd
	case first == smsRateKeyword:
		cmd := SMSCommand{Rate: true}
		if len(fields) > 1 {
			cmd.Code = strings.ToUpper(fields[1])
		}
		if len(fields) == 3 {
			if n, err := strconv.Atoi(strings.Trim(fields[2], ".!")); err == nil {
				cmd.Rating = n
			}
		}
		return cmd
	case len(fields) == 1 && first == smsStopKeyword:
		return SMSCommand{Stop: true}
	case len(fields) == 1 && first == smsStartKeyword:
		return SMSCommand{Start: true}
	}
	if cat, ok := cfg.Intake.SMSKeywords.Get(first); ok {
		rest := strings.TrimSpace(text[strings.Index(text, fields[0])+len(fields[0]):])
		return SMSCommand{Category: cat, Description: rest}
	}
	if len(fields) == 1 && len(first) == 1 && first >= "1" && first <= "5" {
		return SMSCommand{RateHelp: true}
	}
	return SMSCommand{Category: cfg.intakeDefaultCategory(), Description: text}
}

func (c *Config) intakeDefaultCategory() string {
	if c.Intake.DefaultCategory != "" {
		return c.Intake.DefaultCategory
	}
	if len(c.GrievanceTypes) > 0 {
		return c.GrievanceTypes[0]
	}
	return ""
}

// SMSMenu is the help text for an SMS the service cannot use: the
// keywords that pick a category, and how to ask for a status.
func SMSMenu(cfg *Config) string {
	var b strings.Builder
	if len(cfg.Intake.SMSKeywords.Keys) > 0 {
		b.WriteString("Start with ")
		for i, k := range cfg.Intake.SMSKeywords.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
		}
		b.WriteString(" then your complaint. ")
	} else {
		b.WriteString("Send your complaint as text. ")
	}
	b.WriteString("For news of a case send STATUS <code> <secret>.")
	return b.String()
}

// InboundSMS answers one inbound text message from the phone number from
// (an SMS through AWS End User Messaging, or an aggregator's webhook):
// a status request gets the public view in a line, a complaint is filed
// with the sender's number as its contact. It returns the reply to send.
// Replies never name the category, and for confidential categories
// repeat no comment text: a phone is often shared.
func (s *Service) InboundSMS(ctx context.Context, source, messageID, from, text string) (string, error) {
	cfg, err := s.Config(ctx)
	if err != nil {
		return "", err
	}
	cmd := ParseSMS(cfg, text)
	switch {
	case cmd.Rate:
		return s.smsRate(ctx, source, messageID, from, cmd)
	case cmd.RateHelp:
		return smsRateHelp, nil
	case cmd.Stop, cmd.Start:
		if s.optOuts == nil {
			return "", Errorf(CodeUnavailable, "Opt-out is not available.")
		}
		if err := s.optOuts.SetOptOut(ctx, ChannelSMS, from, cmd.Stop, s.now().UTC()); err != nil {
			return "", fmt.Errorf("set opt-out: %w", err)
		}
		if cmd.Stop {
			return "You will get no more messages about your cases. Send START to get them again.", nil
		}
		return "Messages about your cases are on again. Send STOP to end them.", nil
	}
	if cmd.Status {
		v, err := s.Track(ctx, cmd.Code, cmd.Secret)
		if ErrorCode(err) == CodeNotFound {
			return "No case found for that code and secret. Send STATUS <code> <secret>.", nil
		}
		if err != nil {
			return "", err
		}
		reply := fmt.Sprintf("Case %s: %s.", v.Code, strings.ToLower(strings.ReplaceAll(string(v.Status), "_", " ")))
		if v.DueDate != "" {
			reply += " Due " + v.DueDate + "."
		}
		if n := len(v.Comments); n > 0 && !v.Confidential {
			reply += " Latest: " + v.Comments[n-1].Text
		}
		return truncateSMS(reply), nil
	}
	if strings.TrimSpace(cmd.Description) == "" {
		return SMSMenu(cfg), nil
	}
	res, err := s.Intake(ctx, IntakeRequest{Source: source, MessageID: messageID, Category: cmd.Category,
		Description: cmd.Description, Contact: &Contact{Phone: from}})
	if ErrorCode(err) == CodeInvalid {
		return truncateSMS("Not received: " + ErrorMessage(err)), nil
	}
	if err != nil {
		return "", err
	}
	if !res.Created {
		return fmt.Sprintf("Your message was already received as case %s.", res.Code), nil
	}
	return fmt.Sprintf("Received as case %s. Secret %s. Send STATUS %s %s for news.", res.Code, res.Secret, res.Code, res.Secret), nil
}

// OptOutStore records that an address wants no notifications (out true)
// or again wants them (store.SetOptOut).
type OptOutStore interface {
	SetOptOut(ctx context.Context, ch Channel, address string, out bool, at time.Time) error
}

const smsRateHelp = "To rate the outcome of a case send RATE <code> and a number from 1 to 5."

// smsRate stores the rating of an SMS "RATE <code> <n>" from the phone
// from, under intake's principal, with the message id as its
// clientMutationId: a redelivered SMS rates once and is answered again.
func (s *Service) smsRate(ctx context.Context, source, messageID, from string, cmd SMSCommand) (string, error) {
	if cmd.Code == "" || cmd.Rating < 1 || cmd.Rating > 5 {
		return smsRateHelp, nil
	}
	var (
		res     RatingResult
		planErr error
	)
	ctx = NewContext(ctx, &Principal{ID: intakeUser(source), Username: intakeUser(source)})
	log, err := s.Mutate(ctx, MutationRequest{Name: MutationRate, Class: "RateOutcomeMutation", ClientMutationID: "sms-" + messageID},
		func(ctx context.Context) (*Write, error) {
			w, err := s.RateOutcome(ctx, RatingInput{Code: cmd.Code, Rating: cmd.Rating, FromPhone: from}, &res)
			planErr = err
			return w, err
		})
	if err != nil {
		return "", err
	}
	switch {
	case log.Status == MutationSuccess && res.Appealed:
		return fmt.Sprintf("Thank you. Case %s is reopened for review; we will contact you.", cmd.Code), nil
	case log.Status == MutationSuccess:
		return fmt.Sprintf("Thank you: your rating of case %s is recorded.", cmd.Code), nil
	case ErrorCode(planErr) == CodeNotFound:
		return "No case of yours found with that code. " + smsRateHelp, nil
	case ErrorCode(planErr) == CodeInvalid:
		return truncateSMS("Not recorded: " + ErrorMessage(planErr)), nil
	}
	// A redelivery of a message whose rating failed, or a conflict that
	// outlasted the retries.
	return "Your rating was not recorded. " + smsRateHelp, nil
}

// maxSMSReply keeps a reply within three concatenated GSM-7 segments.
const maxSMSReply = 459

func truncateSMS(s string) string {
	r := []rune(s)
	if len(r) <= maxSMSReply {
		return s
	}
	return string(r[:maxSMSReply-1]) + "…"
}

package grievance

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"
)

// Tracking secrets (docs/intake.md): a complainant who files from outside
// gets the ticket code and a short secret; code and secret together show
// the public view of the ticket. The secret is typed on phones and read
// over the radio, so it is short and uses Crockford's base32 alphabet (no
// I, L, O, U); guessing is stopped by the per-code lockout and the
// per-source rate limit, and a stolen table by the slow hash.

// secretAlphabet is Crockford's base32: digits and letters without I, L, O
// and U, which are misread for 1, 1, 0 and V.
const secretAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// secretLen is the number of characters of a secret: 40 bits.
const secretLen = 8

// TrackingIterations is the PBKDF2-SHA256 work factor of new secrets. The
// record keeps its own count, so raising it later leaves old secrets valid.
const TrackingIterations = 100_000

const trackingSaltLen = 16

// NewTrackingSecret returns a random secret written "XXXX-XXXX"; it is the
// default secret generator of a Service.
func NewTrackingSecret() string {
	b := make([]byte, secretLen)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	out := make([]byte, 0, secretLen+1)
	for i, c := range b {
		if i == secretLen/2 {
			out = append(out, '-')
		}
		out = append(out, secretAlphabet[int(c)%len(secretAlphabet)])
	}
	return string(out)
}

// NormalizeSecret returns the canonical form of a typed secret: upper case
// without separators, with the letters people type for digits mapped as
// Crockford's base32 says (O → 0, I and L → 1). It returns "" when the
// result cannot be a secret.
func NormalizeSecret(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case ' ', '-', '\t':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if !strings.ContainsRune(secretAlphabet, r) {
			return ""
		}
		b.WriteRune(r)
		if b.Len() > secretLen {
			return ""
		}
	}
	if b.Len() != secretLen {
		return ""
	}
	return b.String()
}

// TrackingRecord is what is stored of a ticket's secret: its slow hash,
// and the failed attempts that lead to a lockout.
type TrackingRecord struct {
	Code       string
	TicketID   string
	Hash       []byte
	Salt       []byte
	Iterations int
	// Failures counts wrong secrets since FailuresSince, the last success
	// or the last lockout; a count older than the lockout's length starts
	// again, so that guesses spread over hours (one address's, which the
	// API limits per code) never add up to a lock.
	Failures      int
	FailuresSince time.Time
	// LockedUntil, when in the future, refuses every attempt.
	LockedUntil time.Time
}

// NewTrackingRecord hashes secret for storage with a fresh salt.
func NewTrackingRecord(ticketID, secret string) (*TrackingRecord, error) {
	salt := make([]byte, trackingSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("salt: %w", err)
	}
	h, err := hashSecret(NormalizeSecret(secret), salt, TrackingIterations)
	if err != nil {
		return nil, err
	}
	return &TrackingRecord{TicketID: ticketID, Hash: h, Salt: salt, Iterations: TrackingIterations}, nil
}

func hashSecret(secret string, salt []byte, iterations int) ([]byte, error) {
	return pbkdf2.Key(sha256.New, secret, salt, iterations, sha256.Size)
}

// Matches reports whether secret is r's secret, in time independent of
// where they differ.
func (r *TrackingRecord) Matches(secret string) bool {
	h, err := hashSecret(NormalizeSecret(secret), r.Salt, r.Iterations)
	return err == nil && subtle.ConstantTimeCompare(h, r.Hash) == 1
}

// decoy is hashed when there is no record to compare with, so that an
// unknown or locked code costs the same time as a wrong secret.
var decoy = &TrackingRecord{Hash: make([]byte, sha256.Size), Salt: make([]byte, trackingSaltLen), Iterations: TrackingIterations}

// TrackingPolicy is the lockout rule: after MaxFailures wrong secrets for
// one code, every attempt on it is refused for Lockout.
type TrackingPolicy struct {
	MaxFailures int
	Lockout     time.Duration
}

// TrackingStore keeps tracking records. The record is written with the
// ticket (Write.Tracking); these methods read it and count failures.
type TrackingStore interface {
	// TrackingRecord returns the record of the ticket with code, or
	// CodeNotFound.
	TrackingRecord(ctx context.Context, code string) (*TrackingRecord, error)
	// TrackingFailed counts a wrong secret for code, in a count that
	// starts again when its first failure is p.Lockout old; the failure
	// that reaches p.MaxFailures locks the code until now+p.Lockout and
	// starts the count again. For a code that is unknown, or locked at now, it
	// counts nothing but costs the same (one conditional write that
	// fails): Track calls it on every refusal, so that the work of an
	// answer does not tell a real code from an unknown or a locked one.
	TrackingFailed(ctx context.Context, code string, now time.Time, p TrackingPolicy) error
	// TrackingSucceeded clears the failures of code.
	TrackingSucceeded(ctx context.Context, code string) error
}

// PublicView is what a complainant may see of their ticket.
type PublicView struct {
	Code        string
	Status      Status
	DateCreated time.Time
	// DueDate is "" when the category hides it.
	DueDate  string
	Comments []PublicComment
	// Confidential says the category is confidential: a channel others
	// may read (SMS) repeats no comment text.
	Confidential bool
}

// PublicComment is a comment staff marked public.
type PublicComment struct {
	Date time.Time
	Text string
}

func errTrackNotFound() error { return Errorf(CodeNotFound, "Not found.") }

// Track returns the public view of the ticket with code when secret is
// its tracking secret. An unknown code, a wrong secret, a deleted ticket
// and a locked code all give the same NOT_FOUND error after the same work.
func (s *Service) Track(ctx context.Context, code, secret string) (*PublicView, error) {
	if s.tracking == nil {
		return nil, Errorf(CodeUnavailable, "Tracking is not available.")
	}
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	policy := cfg.Intake.trackingPolicy()
	code = TypedCode(code)
	var rec *TrackingRecord
	_, wellFormed := ParseCode(code)
	if wellFormed {
		rec, err = s.tracking.TrackingRecord(ctx, code)
		if err != nil && ErrorCode(err) != CodeNotFound {
			return nil, fmt.Errorf("read tracking record: %w", err)
		}
	}
	now := s.now().UTC()
	var refused bool
	if rec == nil || now.Before(rec.LockedUntil) {
		decoy.Matches(secret)
		refused = true
	} else {
		refused = !rec.Matches(secret)
	}
	if refused {
		if wellFormed {
			// The store is asked alike whether the code exists, is locked
			// or was guessed wrong; a malformed code tells nothing.
			if err := s.tracking.TrackingFailed(ctx, code, now, policy); err != nil {
				return nil, fmt.Errorf("count tracking failure: %w", err)
			}
		}
		return nil, errTrackNotFound()
	}
	if rec.Failures > 0 {
		if err := s.tracking.TrackingSucceeded(ctx, code); err != nil {
			return nil, fmt.Errorf("reset tracking failures: %w", err)
		}
	}
	t, comments, err := s.store.TicketWithComments(ctx, rec.TicketID)
	if ErrorCode(err) == CodeNotFound || (err == nil && t.IsDeleted) {
		return nil, errTrackNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("load ticket %s: %w", rec.TicketID, err)
	}
	return publicView(cfg, t, comments), nil
}

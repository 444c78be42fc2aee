package directory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

// Outcome is what upserting one record did.
type Outcome int

// Outcomes.
const (
	Inserted Outcome = iota + 1
	Updated
	Unchanged
	// Refused: the id belongs to a staff user, whom imports never change.
	Refused
)

// Store upserts directory records; *store.Store implements it. It stores
// only the records that are new or differ from the stored ones and says
// which was which, in the order given. Ids are unique within a call.
type Store interface {
	ImportPeople(ctx context.Context, people []grievance.Person) ([]Outcome, error)
}

// BatchSize is how many rows go to the store at once: one BatchGetItem
// (at most 100 keys) and up to four BatchWriteItems.
const BatchSize = 100

// MaxRejectionsListed bounds the rejected rows a report lists (they are
// all counted), so that a file of garbage cannot make a report larger than
// the file.
const MaxRejectionsListed = 10000

// Counts are an import's tallies.
type Counts struct {
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

// Rejection is a row that was not imported.
type Rejection struct {
	Line       int    `json:"line"`
	ExternalID string `json:"externalId,omitempty"`
	Reason     string `json:"reason"`
}

// State is an import in progress: where the next chunk starts and what
// the previous chunks found. It is all a continuation needs.
type State struct {
	File     string      `json:"file"`
	Format   Format      `json:"format"`
	Position Position    `json:"position"`
	Counts   Counts      `json:"counts"`
	Rejected []Rejection `json:"rejectedRows,omitempty"`
	// Seen maps each directory id imported so far to its line, to reject
	// later rows with the same id (BatchWriteItem also refuses a key twice).
	Seen      map[string]int `json:"seen,omitempty"`
	Chunks    int            `json:"chunks"`
	StartedAt time.Time      `json:"startedAt"`
}

// Report is the outcome of an import, written to reports/<file>.json.
type Report struct {
	File   string `json:"file"`
	Format Format `json:"format,omitempty"`
	// Status is "done" or "failed" (the file could not be imported; Error
	// says why and no row of it was).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Counts
	RejectedRows        []Rejection `json:"rejectedRows"`
	RejectedRowsOmitted int         `json:"rejectedRowsOmitted,omitempty"`
	Chunks              int         `json:"chunks"`
	StartedAt           time.Time   `json:"startedAt"`
	FinishedAt          time.Time   `json:"finishedAt"`
}

// NewState starts the import of file.
func NewState(file string, format Format, now time.Time) *State {
	return &State{File: file, Format: format, Seen: map[string]int{}, StartedAt: now}
}

// Report returns the report of a finished import.
func (s *State) Report(now time.Time) Report {
	r := Report{File: s.File, Format: s.Format, Status: "done", Counts: s.Counts, RejectedRows: s.Rejected,
		Chunks: s.Chunks, StartedAt: s.StartedAt, FinishedAt: now}
	if r.RejectedRows == nil {
		r.RejectedRows = []Rejection{}
	}
	r.RejectedRowsOmitted = s.Counts.Rejected - len(r.RejectedRows)
	return r
}

// FailedReport is the report of a file that could not be imported.
func FailedReport(file string, format Format, reason string, started, now time.Time) Report {
	return Report{File: file, Format: format, Status: "failed", Error: reason, RejectedRows: []Rejection{},
		StartedAt: started, FinishedAt: now}
}

func (s *State) reject(line int, externalID, reason string) {
	s.Counts.Rejected++
	if len(s.Rejected) < MaxRejectionsListed {
		s.Rejected = append(s.Rejected, Rejection{Line: line, ExternalID: externalID, Reason: reason})
	}
}

// Run imports rows from rd into st, BatchSize at a time, until the file
// ends (done) or stop reports, between batches, that the time is up (not
// done: s.Position is where the next chunk starts). A bad row is counted
// and listed, never stops the others; an error is a store or read failure,
// after which the chunk may be run again from s as it was before (the
// upserts are idempotent).
func Run(ctx context.Context, rd *Reader, st Store, s *State, today time.Time, stop func() bool) (done bool, err error) {
	s.Chunks++
	if s.Seen == nil {
		s.Seen = map[string]int{}
	}
	batch := make([]grievance.Person, 0, BatchSize)
	lines := make([]int, 0, BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		out, err := st.ImportPeople(ctx, batch)
		if err != nil {
			return err
		}
		if len(out) != len(batch) {
			return fmt.Errorf("directory: store answered %d outcomes for %d records", len(out), len(batch))
		}
		for i, o := range out {
			switch o {
			case Inserted:
				s.Counts.Inserted++
			case Updated:
				s.Counts.Updated++
			case Unchanged:
				s.Counts.Unchanged++
			case Refused:
				s.reject(lines[i], batch[i].ExternalID, "id belongs to a staff user; staff come from the user pool")
			default:
				return fmt.Errorf("directory: unknown outcome %d", o)
			}
		}
		batch, lines = batch[:0], lines[:0]
		s.Position = rd.Position()
		return nil
	}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			if err := flush(); err != nil {
				return false, err
			}
			s.Position = rd.Position()
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("read %s: %w", s.File, err)
		}
		if row.Err != nil {
			s.reject(row.Line, rawID(row.Fields), row.Err.Error())
		} else if p, err := ParseRow(row.Fields, today); err != nil {
			s.reject(row.Line, rawID(row.Fields), grievance.ErrorMessage(err))
		} else if first, dup := s.Seen[p.ID]; dup {
			s.reject(row.Line, p.ExternalID, fmt.Sprintf("duplicate id: line %d has the same record", first))
		} else {
			s.Seen[p.ID] = row.Line
			batch = append(batch, p)
			lines = append(lines, row.Line)
		}
		if len(batch) == BatchSize {
			if err := flush(); err != nil {
				return false, err
			}
			if stop() {
				return false, nil
			}
		}
	}
}

// rawID is a rejected row's external id as written, cut to a length a
// report can carry.
func rawID(f map[string]string) string {
	id := []rune(strings.TrimSpace(f["external_id"]))
	if len(id) > 100 {
		id = id[:100]
	}
	return string(id)
}

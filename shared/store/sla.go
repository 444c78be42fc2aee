package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Service-level sweep (functions/sla, docs/sla.md): open tickets by due
// date from index g6, and one marker item per step the sweep takes on a
// ticket for a due date (overdue, then each escalation level), so that
// each step is published once however often the sweep runs.
//
// Marker: pk SLA#<ticket id>, sk <due date>#<step> (step OVERDUE, or
// ESC#<level, 2 digits>), with the state of the step: claimed by a run
// (runId, claimedAt) or published. expiresAt lets DynamoDB drop markers
// once the sweep no longer looks at their due date (grievance.SLAHorizon).
const (
	prefixSLA     = "SLA#"
	KindSLAMarker = "slaMarker"
	slaPublished  = "published"
	slaClaimed    = "claimed"
)

// SLAStep is one step of the sweep on a ticket for a due date: Level 0 is
// the overdue notice, 1… the escalation levels.
type SLAStep struct {
	TicketID string
	DueDate  string
	Level    int
}

func (st SLAStep) key() dynamo.Keys {
	step := "OVERDUE"
	if st.Level > 0 {
		step = fmt.Sprintf("ESC#%02d", st.Level)
	}
	return dynamo.Keys{prefixSLA + st.TicketID, st.DueDate + "#" + step}
}

type slaMarker struct {
	PK        string    `dynamo:"pk"`
	SK        string    `dynamo:"sk"`
	Kind      string    `dynamo:"kind"`
	State     string    `dynamo:"state"`
	RunID     string    `dynamo:"runId,omitempty"`
	ClaimedAt time.Time `dynamo:"claimedAt"`
	ExpiresAt int64     `dynamo:"expiresAt"`
}

// OverdueTickets calls fn for every open ticket whose due date is within
// [fromDay, beforeDay), oldest due date first, from index g6 (one paged
// Query; the index holds only open tickets with a due date).
func (s *Store) OverdueTickets(ctx context.Context, fromDay, beforeDay string, fn func(*grievance.Ticket) (bool, error)) error {
	// g6sk is "<due date>#<id>": every key of a day sorts after the bare
	// day and before the next day, so [fromDay, beforeDay] as strings
	// holds exactly the due dates fromDay … beforeDay-1.
	q := s.main.Get("g6pk", pkDue).Index(IndexDue).Range("g6sk", dynamo.Between, fromDay, beforeDay)
	return mergePages(ctx, []*pager{newPager(q, false)}, "g6sk", false, func(item dynamo.Item) (bool, error) {
		var it ticketItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return false, fmt.Errorf("decode overdue ticket: %w", err)
		}
		t, err := it.ticket()
		if err != nil {
			return false, err
		}
		return fn(t)
	})
}

// PublishedSLASteps returns which of steps are marked published (one
// eventually consistent BatchGetItem per 100): a cheap filter before
// claiming, whose condition is what actually decides.
func (s *Store) PublishedSLASteps(ctx context.Context, steps []SLAStep) (map[SLAStep]bool, error) {
	out := map[SLAStep]bool{}
	byKey := map[dynamo.Keys]SLAStep{}
	var keys []dynamo.Keyed
	for _, st := range steps {
		k := st.key()
		if _, dup := byKey[k]; !dup {
			byKey[k] = st
			keys = append(keys, k)
		}
	}
	for start := 0; start < len(keys); start += maxBatchGet {
		var found []slaMarker
		err := s.main.Batch(AttrPK, AttrSK).Get(keys[start:min(start+maxBatchGet, len(keys))]...).All(ctx, &found)
		if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
			return nil, translate("read sla markers", err)
		}
		for _, m := range found {
			if m.State == slaPublished {
				out[byKey[dynamo.Keys{m.PK, m.SK}]] = true
			}
		}
	}
	return out, nil
}

// ClaimSLAStep marks step as being published by run runID. It fails
// (false) when the step is published or claimed by another run less than
// stale ago: a run that died after claiming leaves a claim that a later
// run takes over.
func (s *Store) ClaimSLAStep(ctx context.Context, step SLAStep, runID string, now time.Time, stale time.Duration) (bool, error) {
	k := step.key()
	deadline, _ := grievance.Deadline(step.DueDate)
	m := slaMarker{PK: k[0].(string), SK: k[1].(string), Kind: KindSLAMarker, State: slaClaimed, RunID: runID,
		ClaimedAt: now.UTC(), ExpiresAt: deadline.Add(grievance.SLAHorizon + 30*24*time.Hour).Unix()}
	err := s.main.Put(m).If("attribute_not_exists(pk) OR ($ = ? AND claimedAt < ?)", "state", slaClaimed, now.Add(-stale).UTC()).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, translate("claim sla step", err)
	}
	return true, nil
}

// CompleteSLAStep marks a claimed step published.
func (s *Store) CompleteSLAStep(ctx context.Context, step SLAStep) error {
	k := step.key()
	err := s.main.Update(AttrPK, k[0]).Range(AttrSK, k[1]).Set("state", slaPublished).Remove("runId").Run(ctx)
	return translate("mark sla step published", err)
}

// ReleaseSLAStep drops run runID's claim on step (its events could not be
// published), so the next run tries again at once.
func (s *Store) ReleaseSLAStep(ctx context.Context, step SLAStep, runID string) error {
	k := step.key()
	err := s.main.Delete(AttrPK, k[0]).Range(AttrSK, k[1]).If("$ = ? AND runId = ?", "state", slaClaimed, runID).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return nil
	}
	return translate("release sla step", err)
}

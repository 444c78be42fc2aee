package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// History types, as django-simple-history names them.
const (
	HistoryCreated = "+"
	HistoryChanged = "~"
	HistoryDeleted = "-"
)

// historyItem is one recorded version of a ticket or comment in the history
// table. Its key (entity, version) makes recording idempotent: a stream
// record delivered twice finds its version already there.
type historyItem struct {
	PK string `dynamo:"pk"` // TICKET#<id> or COMMENT#<id>
	SK string `dynamo:"sk"` // V#<version, zero padded>
	// H1 lists every ticket version: newest ticket first, then newest
	// version first, when read descending.
	H1PK string `dynamo:"h1pk,omitempty"`
	H1SK string `dynamo:"h1sk,omitempty"`
	// The history sort indexes' keys (historysorted.go) and the
	// attributes they project: a ticket version's, set with its counts.
	H2PK       string `dynamo:"h2pk,omitempty"`
	H2SK       string `dynamo:"h2sk,omitempty"`
	H3PK       string `dynamo:"h3pk,omitempty"`
	H3SK       string `dynamo:"h3sk,omitempty"`
	H4PK       string `dynamo:"h4pk,omitempty"`
	H4SK       string `dynamo:"h4sk,omitempty"`
	H5PK       string `dynamo:"h5pk,omitempty"`
	H5SK       string `dynamo:"h5sk,omitempty"`
	H6PK       string `dynamo:"h6pk,omitempty"`
	H6SK       string `dynamo:"h6sk,omitempty"`
	H7PK       string `dynamo:"h7pk,omitempty"`
	H7SK       string `dynamo:"h7sk,omitempty"`
	Status     string `dynamo:"status,omitempty"`
	Category   string `dynamo:"category,omitempty"`
	Priority   string `dynamo:"priority,omitempty"`
	ReporterID string `dynamo:"reporterId,omitempty"`
	StaffID    string `dynamo:"attendingStaffId,omitempty"`

	Kind          string    `dynamo:"kind"` // ticket or comment
	EntityID      string    `dynamo:"entityId"`
	Version       int       `dynamo:"version"`
	HistoryType   string    `dynamo:"historyType"`
	HistoryDate   time.Time `dynamo:"historyDate"`
	HistoryUser   string    `dynamo:"historyUser,omitempty"`
	ChangedFields []string  `dynamo:"changedFields,omitempty"`
	// Image is the item as stored in the main table at that version (the
	// old image for a removal).
	Image nestedItem `dynamo:"image"`
	// SequenceNumber is the stream record that produced the version.
	SequenceNumber string `dynamo:"sequenceNumber,omitempty"`
	// Counted marks a ticket version whose counts (historycounts.go) were
	// added with it. Records of the code before the counts lack it, which
	// is how the backfill finds them and why counts are trusted only
	// beside the completeness marker.
	Counted bool `dynamo:"counted,omitempty"`
	// Pairs marks a counted version whose pair counts
	// (grievance.VersionPairKeys) were added too: records counted before
	// the pairs lack it, and the backfill adds those counts.
	Pairs bool `dynamo:"pairs,omitempty"`
}

const historyTickets = "TICKETS"

// nestedItem is an item stored inside another as a map attribute, kept as
// the SDK's attribute values so that it decodes like a top-level item.
// dynamo.Item alone cannot be decoded: guregu/dynamo has no way to fill
// the types.AttributeValue interface of a map entry.
type nestedItem dynamo.Item

// MarshalDynamo implements dynamo.Marshaler.
func (n nestedItem) MarshalDynamo() (types.AttributeValue, error) {
	return &types.AttributeValueMemberM{Value: n}, nil
}

// UnmarshalDynamo implements dynamo.Unmarshaler.
func (n *nestedItem) UnmarshalDynamo(av types.AttributeValue) error {
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return fmt.Errorf("nested item: want a map, got %T", av)
	}
	*n = m.Value
	return nil
}

func versionKey(v int) string { return fmt.Sprintf("V#%010d", v) }

// h1Key is the hist1 sort key of a ticket's version: number, then version.
func h1Key(seq int64, v int) string { return seqKey(seq) + "#" + fmt.Sprintf("%010d", v) }

// TicketVersion implements grievance.HistoryStore.
func (s *Store) TicketVersion(ctx context.Context, id string, v int) (*grievance.Ticket, error) {
	var it historyItem
	err := s.history.Get(AttrPK, prefixTicket+id).Range(AttrSK, dynamo.Equal, versionKey(v)).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, notFound("Ticket version", fmt.Sprintf("%s v%d", id, v))
	}
	if err != nil {
		return nil, translate("get ticket version", err)
	}
	return it.ticket()
}

// ScanTicketHistory implements grievance.HistoryStore.
func (s *Store) ScanTicketHistory(ctx context.Context, ticketID string, fn func(*grievance.Ticket) (bool, error)) error {
	var p *pager
	skAttr := "h1sk"
	if ticketID != "" {
		p = newPager(s.history.Get(AttrPK, prefixTicket+ticketID).Range(AttrSK, dynamo.BeginsWith, "V#").Consistent(true), true)
		skAttr = AttrSK
	} else {
		p = newPager(s.history.Get("h1pk", historyTickets).Index(HistoryIndexAll), true)
	}
	return s.scanHistory(ctx, p, skAttr, fn)
}

// scanHistory passes on the versions p reads, removal rows left out.
func (s *Store) scanHistory(ctx context.Context, p *pager, skAttr string, fn func(*grievance.Ticket) (bool, error)) error {
	return mergePages(ctx, []*pager{p}, skAttr, true, versionsTo(fn))
}

// versionsTo passes on the ticket version of each history record item,
// removal rows left out (openIMIS lists none; soft deletes are versions).
func versionsTo(fn func(*grievance.Ticket) (bool, error)) func(dynamo.Item) (bool, error) {
	return func(item dynamo.Item) (bool, error) {
		var it historyItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return false, err
		}
		if it.HistoryType == HistoryDeleted {
			return true, nil
		}
		t, err := it.ticket()
		if err != nil {
			return false, err
		}
		return fn(t)
	}
}

// ScanTicketHistoryAfter implements grievance.HistoryPager: the history
// index below the row's key.
func (s *Store) ScanTicketHistoryAfter(ctx context.Context, seq int64, version int, fn func(*grievance.Ticket) (bool, error)) error {
	return s.scanHistory(ctx, newPager(s.history.Get("h1pk", historyTickets).Index(HistoryIndexAll).Range("h1sk", dynamo.Less, h1Key(seq, version)), true), "h1sk", fn)
}

var _ grievance.HistoryPager = (*Store)(nil)

func (it *historyItem) ticket() (*grievance.Ticket, error) {
	var ti ticketItem
	if err := dynamo.UnmarshalItem(dynamo.Item(it.Image), &ti); err != nil {
		return nil, fmt.Errorf("decode ticket version %s v%d: %w", it.EntityID, it.Version, err)
	}
	return ti.ticket()
}

var _ grievance.HistoryStore = (*Store)(nil)

var _ grievance.VersionIndex = (*Store)(nil)

// VersionsBySeq implements grievance.VersionIndex: one Query of the
// history index per ticket (its versions share the number's prefix), all
// at once.
func (s *Store) VersionsBySeq(ctx context.Context, seqs []int64) (map[int64][]*grievance.Ticket, error) {
	return s.versionsOf(ctx, seqs, "read ticket versions", func(q *dynamo.Query, n int64) *dynamo.Query {
		return q.Range("h1sk", dynamo.BeginsWith, seqKey(n)+"#")
	})
}

// VersionsWithin implements grievance.VersionIndex: one Query of the
// history index per ticket whose span holds a version, its numbers from
// the span's first to its last (or the ticket's newest), newest first.
func (s *Store) VersionsWithin(ctx context.Context, spans map[int64]grievance.VersionSpan) (map[int64][]*grievance.Ticket, error) {
	var seqs []int64
	for n, sp := range spans {
		if !sp.Empty() {
			seqs = append(seqs, n)
		}
	}
	slices.Sort(seqs)
	return s.versionsOf(ctx, seqs, "read ticket versions", func(q *dynamo.Query, n int64) *dynamo.Query {
		sp := spans[n]
		hi := seqKey(n) + "#~" // past every version of the ticket
		if sp.Below != 0 {
			hi = h1Key(n, sp.Below-1)
		}
		return q.Range("h1sk", dynamo.Between, h1Key(n, max(sp.From, 1)), hi)
	})
}

// versionsOf reads the versions of each ticket of seqs that its range
// of the history index holds (one Query each, 16 at a time), newest
// first, removal records left out.
func (s *Store) versionsOf(ctx context.Context, seqs []int64, what string, in func(*dynamo.Query, int64) *dynamo.Query) (map[int64][]*grievance.Ticket, error) {
	out := make(map[int64][]*grievance.Ticket, len(seqs))
	var mu sync.Mutex
	err := parallel(ctx, len(seqs), 16, func(ctx context.Context, i int) error {
		n := seqs[i]
		it := in(s.history.Get("h1pk", historyTickets).Index(HistoryIndexAll), n).Order(dynamo.Descending).Iter()
		var versions []*grievance.Ticket
		var h historyItem
		for it.Next(ctx, &h) {
			if h.HistoryType != HistoryDeleted {
				t, err := h.ticket()
				if err != nil {
					return err
				}
				versions = append(versions, t)
			}
			h = historyItem{}
		}
		if err := it.Err(); err != nil {
			return translate(what, err)
		}
		mu.Lock()
		out[n] = versions
		mu.Unlock()
		return nil
	})
	return out, err
}

// NewestVersionsBySeq implements grievance.VersionIndex: one Query of the
// history index per ticket, newest first, reading one item.
func (s *Store) NewestVersionsBySeq(ctx context.Context, seqs []int64) (map[int64]*grievance.Ticket, error) {
	out := make(map[int64]*grievance.Ticket, len(seqs))
	var mu sync.Mutex
	err := parallel(ctx, len(seqs), 16, func(ctx context.Context, i int) error {
		n := seqs[i]
		var hs []historyItem
		_, err := s.history.Get("h1pk", historyTickets).Index(HistoryIndexAll).
			Range("h1sk", dynamo.BeginsWith, seqKey(n)+"#").Order(dynamo.Descending).
			SearchLimit(1).AllWithLastEvaluatedKey(ctx, &hs)
		if err != nil {
			return translate("read newest ticket version", err)
		}
		if len(hs) == 0 || hs[0].HistoryType == HistoryDeleted {
			return nil
		}
		t, err := hs[0].ticket()
		if err != nil {
			return err
		}
		mu.Lock()
		out[n] = t
		mu.Unlock()
		return nil
	})
	return out, err
}

package store

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// The due days (grievance.DueDayIndex): every ticket's due date as a day
// number, by ticket number, in items of 4,096 tickets in the Main table:
// pk DUEDAYS, sk the block (6 digits), `b` the days and `v` the version.
// A block whose dated tickets fall within 254 days (as a block's tickets,
// created together, do) keeps a byte a ticket after its first day (4 KB),
// else two (8 KB); at 100,000 tickets the column is 25 items, one Query.
//
// The stream consumer sets a ticket's day when its due date changes (or
// it is created, or deleted: unknown again), with the order postings; the
// backfill's text pass fills the days still unknown only, so it never
// puts back an older date the consumer has replaced.
const (
	pkDueDays    = "DUEDAYS"
	skDaysMarker = "days"
	KindDueDays  = "dueDays"
	dayBlockBits = 12
	dayBlockSize = 1 << dayBlockBits
)

type dueDaysItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	B    []byte `dynamo:"b"`
	V    int64  `dynamo:"v"`
}

// dayBlock is the days of one block's tickets.
type dayBlock [dayBlockSize]uint16

// encode encodes the block: tag 1, the first day and a byte a ticket
// (0 unknown, 1 none, else 2 + the day after the first) when the days
// fit; else tag 2 and two bytes a ticket.
func (b *dayBlock) encode() []byte {
	lo, hi := uint16(0xffff), uint16(0)
	for _, d := range b {
		if d > grievance.DayNone {
			lo, hi = min(lo, d), max(hi, d)
		}
	}
	if hi < lo || hi-lo <= 253 {
		out := make([]byte, 3, 3+dayBlockSize)
		out[0] = 1
		binary.LittleEndian.PutUint16(out[1:], lo)
		for _, d := range b {
			if d > grievance.DayNone {
				d = d - lo + 2
			}
			out = append(out, byte(d))
		}
		return out
	}
	out := make([]byte, 1, 1+2*dayBlockSize)
	out[0] = 2
	for _, d := range b {
		out = binary.LittleEndian.AppendUint16(out, d)
	}
	return out
}

func decodeDayBlock(enc []byte) (*dayBlock, error) {
	b := &dayBlock{}
	switch {
	case len(enc) == 0:
		return b, nil
	case enc[0] == 1 && len(enc) == 3+dayBlockSize:
		lo := binary.LittleEndian.Uint16(enc[1:])
		for i, c := range enc[3:] {
			d := uint16(c)
			if d > grievance.DayNone {
				d = d - 2 + lo
			}
			b[i] = d
		}
		return b, nil
	case enc[0] == 2 && len(enc) == 1+2*dayBlockSize:
		for i := range b {
			b[i] = binary.LittleEndian.Uint16(enc[1+2*i:])
		}
		return b, nil
	}
	return nil, errors.New("due days: bad block")
}

// DueDays implements grievance.DueDayIndex: one Query of the column.
func (s *Store) DueDays(ctx context.Context) ([]uint16, error) {
	var items []dueDaysItem
	if err := s.main.Get(AttrPK, pkDueDays).All(ctx, &items); err != nil {
		return nil, translate("read due days", err)
	}
	var out []uint16
	for _, it := range items {
		blk, err := strconv.ParseInt(it.SK, 10, 64)
		if err != nil {
			return nil, errors.New("due days: bad block key")
		}
		b, err := decodeDayBlock(it.B)
		if err != nil {
			return nil, err
		}
		if need := int(blk+1) << dayBlockBits; len(out) < need {
			out = append(out, make([]uint16, need-len(out))...)
		}
		copy(out[blk<<dayBlockBits:], b[:])
	}
	return out, nil
}

// DueDaysComplete implements grievance.DueDayIndex: the marker is
// written when ticket 1 is first indexed by this code (a fresh table), by
// an import of ticket 1 and by a backfill text pass from the start.
func (s *Store) DueDaysComplete(ctx context.Context) (bool, error) {
	return s.marked(ctx, skDaysMarker)
}

// dayOfGram is the day of a due date's order posting gram.
func dayOfGram(gram string) uint16 {
	if len(gram) == 0 || gram[len(gram)-1] != '#' {
		return grievance.DayUnknown
	}
	v, err := hex.DecodeString(gram[:len(gram)-1])
	if err != nil {
		return grievance.DayUnknown
	}
	return grievance.DayOf(string(v))
}

// dayChanges are the days to set, per ticket number.
type dayChanges map[int64]uint16

// diff records moving one ticket from old (nil, or a reference from
// before the order postings: unknown) to next.
func (dc dayChanges) diff(old *searchState, next searchState) {
	if next.seq <= 0 {
		return
	}
	day := func(st searchState) uint16 {
		if !st.live {
			return grievance.DayUnknown
		}
		return dayOfGram(st.orders["due_date"])
	}
	if old != nil && old.orders != nil && day(*old) == day(next) {
		return
	}
	dc[next.seq] = day(next)
}

// applyDays sets the days of dc, a conditional put per block changed
// (on the version read; a block another writer changed meanwhile is read
// again and redone). onlyUnknown keeps the days already known (the
// backfill).
func (s *Store) applyDays(ctx context.Context, dc dayChanges, onlyUnknown bool) error {
	byBlock := map[int64][]int64{}
	for n := range dc {
		byBlock[n>>dayBlockBits] = append(byBlock[n>>dayBlockBits], n)
	}
	blocks := slices.Sorted(maps.Keys(byBlock))
	return parallel(ctx, len(blocks), 8, func(ctx context.Context, i int) error {
		blk := blocks[i]
		for attempt := 1; ; attempt++ {
			var cur dueDaysItem
			err := s.main.Get(AttrPK, pkDueDays).Range(AttrSK, dynamo.Equal, blockSK(blk)).Consistent(true).One(ctx, &cur)
			exists := err == nil
			if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
				return translate("read due days", err)
			}
			b, err := decodeDayBlock(cur.B)
			if err != nil {
				return err
			}
			next := *b
			for _, n := range byBlock[blk] {
				if o := n & (dayBlockSize - 1); !onlyUnknown || next[o] == grievance.DayUnknown {
					next[o] = dc[n]
				}
			}
			if next == *b {
				return nil
			}
			it := dueDaysItem{PK: pkDueDays, SK: blockSK(blk), Kind: KindDueDays, B: next.encode(), V: cur.V + 1}
			put := s.main.Put(it).If("attribute_not_exists(pk)")
			if exists {
				put = s.main.Put(it).If("v = ?", cur.V)
			}
			err = put.Run(ctx)
			if !dynamo.IsCondCheckFailed(err) && !txConflict(err) {
				return translate("write due days", err)
			}
			if attempt >= postingAttempts {
				return fmt.Errorf("due days: %w", errPostingRace)
			}
			if err := pause(ctx, attempt, 5*time.Millisecond); err != nil {
				return err
			}
		}
	})
}

package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/guregu/dynamo/v2"
)

// A column keeps a small number per ticket (the due days, the history
// rows), by ticket number, in items of 4,096 tickets in the Main table:
// pk the column, sk the block (6 digits), `b` the numbers and `v` the
// version. Numbers 0 (unknown) and 1 are kept as they are; a block whose
// other numbers fall within 254 of one another (as the due dates or the
// version counts of tickets created together do) keeps a byte a ticket
// after its lowest (4 KB), else two (8 KB). At 100,000 tickets a column is
// 25 items, one Query.
const (
	colBlockBits = 12
	colBlockSize = 1 << colBlockBits
)

// column names a column's partition and what its items are.
type column struct {
	pk, kind, what string
}

type columnItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	B    []byte `dynamo:"b"`
	V    int64  `dynamo:"v"`
}

// colBlock is the numbers of one block's tickets.
type colBlock [colBlockSize]uint16

// colRaw is the highest number kept as it is, below a block's lowest.
const colRaw = 1

// encode encodes the block: tag 1, the lowest number above colRaw and a
// byte a ticket (numbers up to colRaw as they are, else 2 + the number
// after the lowest) when they fit; else tag 2 and two bytes a ticket.
func (b *colBlock) encode() []byte {
	lo, hi := uint16(0xffff), uint16(0)
	for _, d := range b {
		if d > colRaw {
			lo, hi = min(lo, d), max(hi, d)
		}
	}
	if hi < lo || hi-lo <= 253 {
		out := make([]byte, 3, 3+colBlockSize)
		out[0] = 1
		binary.LittleEndian.PutUint16(out[1:], lo)
		for _, d := range b {
			if d > colRaw {
				d = d - lo + 2
			}
			out = append(out, byte(d))
		}
		return out
	}
	out := make([]byte, 1, 1+2*colBlockSize)
	out[0] = 2
	for _, d := range b {
		out = binary.LittleEndian.AppendUint16(out, d)
	}
	return out
}

func decodeColBlock(enc []byte) (*colBlock, error) {
	b := &colBlock{}
	switch {
	case len(enc) == 0:
		return b, nil
	case enc[0] == 1 && len(enc) == 3+colBlockSize:
		lo := binary.LittleEndian.Uint16(enc[1:])
		for i, c := range enc[3:] {
			d := uint16(c)
			if d > colRaw {
				d = d - 2 + lo
			}
			b[i] = d
		}
		return b, nil
	case enc[0] == 2 && len(enc) == 1+2*colBlockSize:
		for i := range b {
			b[i] = binary.LittleEndian.Uint16(enc[1+2*i:])
		}
		return b, nil
	}
	return nil, errors.New("column: bad block")
}

// read returns the whole column, indexed by ticket number: one Query.
func (c column) read(ctx context.Context, s *Store) ([]uint16, error) {
	var items []columnItem
	if err := s.main.Get(AttrPK, c.pk).All(ctx, &items); err != nil {
		return nil, translate("read "+c.what, err)
	}
	var out []uint16
	for _, it := range items {
		blk, err := strconv.ParseInt(it.SK, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: bad block key", c.what)
		}
		b, err := decodeColBlock(it.B)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.what, err)
		}
		if need := int(blk+1) << colBlockBits; len(out) < need {
			out = append(out, make([]uint16, need-len(out))...)
		}
		copy(out[blk<<colBlockBits:], b[:])
	}
	return out, nil
}

// apply sets the numbers of changes, a conditional put per block changed
// (on the version read; a block another writer changed meanwhile is read
// again and redone). merge gives a ticket's number from the one stored
// and the one asked for, so that a replay or a writer that lost a race
// keeps what a newer write set.
func (c column) apply(ctx context.Context, s *Store, changes map[int64]uint16, merge func(cur, next uint16) uint16) error {
	byBlock := map[int64][]int64{}
	for n := range changes {
		byBlock[n>>colBlockBits] = append(byBlock[n>>colBlockBits], n)
	}
	blocks := slices.Sorted(maps.Keys(byBlock))
	return parallel(ctx, len(blocks), 8, func(ctx context.Context, i int) error {
		blk := blocks[i]
		for attempt := 1; ; attempt++ {
			var cur columnItem
			err := s.main.Get(AttrPK, c.pk).Range(AttrSK, dynamo.Equal, blockSK(blk)).Consistent(true).One(ctx, &cur)
			exists := err == nil
			if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
				return translate("read "+c.what, err)
			}
			b, err := decodeColBlock(cur.B)
			if err != nil {
				return fmt.Errorf("%s: %w", c.what, err)
			}
			next := *b
			for _, n := range byBlock[blk] {
				o := n & (colBlockSize - 1)
				next[o] = merge(next[o], changes[n])
			}
			if next == *b {
				return nil
			}
			it := columnItem{PK: c.pk, SK: blockSK(blk), Kind: c.kind, B: next.encode(), V: cur.V + 1}
			put := s.main.Put(it).If("attribute_not_exists(pk)")
			if exists {
				put = s.main.Put(it).If("v = ?", cur.V)
			}
			err = put.Run(ctx)
			if !dynamo.IsCondCheckFailed(err) && !txConflict(err) {
				return translate("write "+c.what, err)
			}
			if attempt >= postingAttempts {
				return fmt.Errorf("%s: %w", c.what, errPostingRace)
			}
			if err := pause(ctx, attempt, 5*time.Millisecond); err != nil {
				return err
			}
		}
	})
}

// set is the merge that writes the number asked for.
func set(_, next uint16) uint16 { return next }

// fillUnknown is the merge that keeps a number already known (the
// backfill, whose image is older than the consumer's).
func fillUnknown(cur, next uint16) uint16 {
	if cur != 0 {
		return cur
	}
	return next
}

package store

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/guregu/dynamo/v2"
)

// A column keeps a small number per ticket (the due days, the history
// rows), by ticket number, in the Main table: pk COL#<column>, sk the
// block (6 digits) of 16,384 tickets, `b` the numbers deflated and `v`
// the version. Numbers 0 (unknown) and 1 are kept as they are; a block
// whose other numbers fall within 254 of one another (as the due dates or
// the version counts of tickets created together do) keeps a byte a
// ticket after its lowest, else two; deflated, a block of version counts
// is about 6 KB and one of due days about 10 KB. At 100,000 tickets a
// column is 7 items, one Query.
//
// Until a table's columns are widened, its columns are also in the
// earlier narrow blocks (pk the column, 4,096 tickets an item, not
// deflated): a read takes a ticket's number from the wide block where
// known, else from the narrow one, and writes go to the wide blocks only.
// The backfill's widening pass (WidenColumns) moves the narrow numbers
// into the wide blocks and deletes the narrow ones, then writes the
// marker that lets reads skip them.
const (
	colBlockBits    = 14
	colBlockSize    = 1 << colBlockBits
	narrowBlockBits = 12
	narrowBlockSize = 1 << narrowBlockBits
	prefixColumn    = "COL#"
	// skWideMarker: no narrow block is left (a fresh table, or one the
	// widening pass has done).
	skWideMarker = "wideColumns"
)

// column names a column (the narrow blocks' partition) and what its items
// are.
type column struct {
	pk, kind, what string
}

// widePK is the partition of the column's wide blocks.
func (c column) widePK() string { return prefixColumn + c.pk }

type columnItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	B    []byte `dynamo:"b"`
	V    int64  `dynamo:"v"`
}

// colRaw is the highest number kept as it is, below a block's lowest.
const colRaw = 1

// Block encodings: 1, the lowest number above colRaw and a byte a ticket
// (numbers up to colRaw as they are, else 2 + the number after the
// lowest) when they fit; else 2 and two bytes a ticket. Wide blocks are
// tag 3 and one of those, deflated.
const (
	tagBytes    = 1
	tagWords    = 2
	tagDeflated = 3
)

// packNumbers encodes a block's numbers (untagged by deflate).
func packNumbers(b []uint16) []byte {
	lo, hi := uint16(0xffff), uint16(0)
	for _, d := range b {
		if d > colRaw {
			lo, hi = min(lo, d), max(hi, d)
		}
	}
	if hi < lo || hi-lo <= 253 {
		out := make([]byte, 3, 3+len(b))
		out[0] = tagBytes
		binary.LittleEndian.PutUint16(out[1:], lo)
		for _, d := range b {
			if d > colRaw {
				d = d - lo + 2
			}
			out = append(out, byte(d))
		}
		return out
	}
	out := make([]byte, 1, 1+2*len(b))
	out[0] = tagWords
	for _, d := range b {
		out = binary.LittleEndian.AppendUint16(out, d)
	}
	return out
}

// unpackNumbers decodes what packNumbers encoded for a block of len(b)
// tickets into b.
func unpackNumbers(enc []byte, b []uint16) error {
	switch {
	case len(enc) == 0:
		clear(b)
	case enc[0] == tagBytes && len(enc) == 3+len(b):
		lo := binary.LittleEndian.Uint16(enc[1:])
		for i, c := range enc[3:] {
			d := uint16(c)
			if d > colRaw {
				d = d - 2 + lo
			}
			b[i] = d
		}
	case enc[0] == tagWords && len(enc) == 1+2*len(b):
		for i := range b {
			b[i] = binary.LittleEndian.Uint16(enc[1+2*i:])
		}
	default:
		return errors.New("column: bad block")
	}
	return nil
}

// Deflate's state is large (a writer is about 600 KB): pooled, since a
// stream batch or a list encodes or decodes several blocks.
var (
	deflaters = sync.Pool{New: func() any { w, _ := flate.NewWriter(nil, flate.DefaultCompression); return w }}
	inflaters = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
)

// encodeWide encodes a wide block: tag 3, then the numbers packed and
// deflated. A block of numbers all unknown is empty.
func encodeWide(b *[colBlockSize]uint16) []byte {
	return deflated(packNumbers(b[:]))
}

// deflated is tag 3 and raw deflated (the wide blocks and the wide
// spans of order runs).
func deflated(raw []byte) []byte {
	var buf bytes.Buffer
	buf.WriteByte(tagDeflated)
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(&buf)
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.Write(raw)
	_ = w.Close()
	return buf.Bytes()
}

// inflated reverses deflated, reading at most limit bytes, so that a
// corrupt item cannot inflate without end.
func inflated(enc []byte, limit int) ([]byte, error) {
	if len(enc) == 0 || enc[0] != tagDeflated {
		return nil, errors.New("not deflated")
	}
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(enc[1:]), nil); err != nil {
		return nil, err
	}
	// A stream cut short is an error (io.ErrUnexpectedEOF), not less.
	raw, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	if len(raw) > limit {
		return nil, errors.New("too long")
	}
	return raw, nil
}

// maxPacked bounds a wide block's packed numbers.
const maxPacked = 1 + 2*colBlockSize

func decodeWide(enc []byte) (*[colBlockSize]uint16, error) {
	b := &[colBlockSize]uint16{}
	if len(enc) == 0 {
		return b, nil
	}
	packed, err := inflated(enc, maxPacked)
	if err != nil {
		return nil, fmt.Errorf("column: wide block: %w", err)
	}
	if err := unpackNumbers(packed, b[:]); err != nil {
		return nil, err
	}
	return b, nil
}

// wide reports whether the table's narrow blocks are gone, remembered
// per Store (a container) once seen: the marker is never removed.
func (s *Store) wide(ctx context.Context) (bool, error) {
	if s.wideSeen.Load() {
		return true, nil
	}
	ok, err := s.marked(ctx, skWideMarker)
	if ok {
		s.wideSeen.Store(true)
	}
	return ok, err
}

// read returns the whole column, indexed by ticket number: one Query of
// the wide blocks (with, until the table's columns are widened, one of
// the narrow blocks and one of the marker beside it).
func (c column) read(ctx context.Context, s *Store) ([]uint16, error) {
	var (
		wideItems, narrowItems []columnItem
		wide                   bool
	)
	skipNarrow := s.wideSeen.Load()
	n := 3
	if skipNarrow {
		n = 1
	}
	err := parallel(ctx, n, n, func(ctx context.Context, i int) error {
		var err error
		switch i {
		case 0:
			err = s.main.Get(AttrPK, c.widePK()).All(ctx, &wideItems)
		case 1:
			err = s.main.Get(AttrPK, c.pk).All(ctx, &narrowItems)
		case 2:
			wide, err = s.wide(ctx)
		}
		return err
	})
	if err != nil {
		return nil, translate("read "+c.what, err)
	}
	out, err := c.wideNumbers(wideItems)
	if err != nil {
		return nil, err
	}
	grow := func(need int) {
		if len(out) < need {
			out = append(out, make([]uint16, need-len(out))...)
		}
	}
	if wide || skipNarrow {
		// Narrow blocks read beside the marker are gone or stale.
		return out, nil
	}
	var nb [narrowBlockSize]uint16
	for _, it := range narrowItems {
		blk, err := strconv.ParseInt(it.SK, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: bad block key", c.what)
		}
		if err := unpackNumbers(it.B, nb[:]); err != nil {
			return nil, fmt.Errorf("%s: %w", c.what, err)
		}
		grow(int(blk+1) << narrowBlockBits)
		for i, d := range nb {
			// The wide block's number is newer where it is known.
			if o := blk<<narrowBlockBits + int64(i); out[o] == 0 {
				out[o] = d
			}
		}
	}
	return out, nil
}

// readWithin returns the column's numbers of the tickets numbered lo to
// hi, indexed by ticket number (the others' are 0): one Query of the wide
// blocks that hold them, where read takes every block. A list that has
// narrowed its candidates before it reads a column (the counts of a
// changed text, beside the page's first read) reads one item where the
// column is 7 at 100,000 tickets, whenever its candidates are numbered
// close together. Until the table's columns are widened it reads the
// whole column, as read does.
func (c column) readWithin(ctx context.Context, s *Store, lo, hi int64) ([]uint16, error) {
	if lo < 0 || hi < lo {
		return nil, nil
	}
	var (
		items []columnItem
		wide  = s.wideSeen.Load()
	)
	n := 2
	if wide {
		n = 1
	}
	err := parallel(ctx, n, n, func(ctx context.Context, i int) error {
		if i == 1 {
			var err error
			wide, err = s.wide(ctx)
			return err
		}
		return s.main.Get(AttrPK, c.widePK()).Range(AttrSK, dynamo.Between, blockSK(lo>>colBlockBits), blockSK(hi>>colBlockBits)).All(ctx, &items)
	})
	if err != nil {
		return nil, translate("read "+c.what, err)
	}
	if !wide {
		// Narrow blocks may hold numbers the wide ones lack.
		return c.read(ctx, s)
	}
	return c.wideNumbers(items)
}

// wideNumbers are the numbers of the wide blocks items, indexed by ticket
// number, up to the last block's end (a missing block's are 0).
func (c column) wideNumbers(items []columnItem) ([]uint16, error) {
	var out []uint16
	for _, it := range items {
		blk, err := strconv.ParseInt(it.SK, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: bad block key", c.what)
		}
		b, err := decodeWide(it.B)
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

// apply sets the numbers of changes, a conditional put per wide block
// changed (on the version read; a block another writer changed meanwhile
// is read again and redone). merge gives a ticket's number from the one
// stored and the one asked for, so that a replay or a writer that lost a
// race keeps what a newer write set.
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
			err := s.main.Get(AttrPK, c.widePK()).Range(AttrSK, dynamo.Equal, blockSK(blk)).Consistent(true).One(ctx, &cur)
			exists := err == nil
			if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
				return translate("read "+c.what, err)
			}
			b, err := decodeWide(cur.B)
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
			it := columnItem{PK: c.widePK(), SK: blockSK(blk), Kind: c.kind, B: encodeWide(&next), V: cur.V + 1}
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

// setNumbers sets the column's numbers of changes; onlyUnknown keeps the
// numbers already known (the backfill, which must not put back an older
// number the consumer has replaced).
func (c column) setNumbers(ctx context.Context, s *Store, changes map[int64]uint16, onlyUnknown bool) error {
	merge := set
	if onlyUnknown {
		merge = fillUnknown
	}
	return c.apply(ctx, s, changes, merge)
}

// fillUnknown is the merge that keeps a number already known (the
// backfill, whose image is older than the consumer's).
func fillUnknown(cur, next uint16) uint16 {
	if cur != 0 {
		return cur
	}
	return next
}

// WidenResult tells what WidenColumns did.
type WidenResult struct {
	// Narrow is the narrow blocks found; Moved, those whose numbers
	// were moved into wide blocks and deleted (or, dry, would be).
	Narrow, Moved int
	// Spans is the order runs' narrow spans found and deleted (or, dry,
	// would be), once the wide spans were cut from the order postings.
	Spans int
	// Complete: the marker exists (found, or written at the end).
	Complete bool
	Requests int
}

// WidenColumns is the backfill's widening pass: every narrow block's
// known numbers go into its wide block where that block's are unknown
// (the wide blocks are written only by code newer than the narrow ones),
// then the narrow block is deleted on condition that no writer changed it
// meanwhile (else it is read again and done again). Then the order runs'
// wide spans are cut from the order postings and the narrow spans
// deleted (orderruns.go). Then the marker is written, and reads stop
// reading narrow blocks and use the wide spans. A table whose marker
// exists is done: one GetItem. Safe beside the consumer and idempotent;
// run it once every consumer runs this code (a writer of narrow blocks
// after it would not be read).
func (s *Store) WidenColumns(ctx context.Context, dry bool) (WidenResult, error) {
	var r WidenResult
	done, err := s.wide(ctx)
	r.Requests++
	if err != nil || done {
		r.Complete = done
		return r, err
	}
	// Each page's blocks are moved as it comes (a table's narrow blocks,
	// one per 4,096 tickets and column, need not fit in memory).
	n, err := s.scanPages(ctx, func() *dynamo.Scan {
		return s.main.Scan().Consistent(true).
			Filter("kind IN (?, ?, ?) AND NOT begins_with(pk, ?)", KindDueDays, KindHistoryRows, KindValueRows, prefixColumn)
	}, func(item dynamo.Item) error {
		var it columnItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return fmt.Errorf("widen columns: %w", err)
		}
		r.Narrow++
		req, err := s.widenBlock(ctx, it, dry)
		r.Requests += req
		if err != nil {
			return err
		}
		r.Moved++
		return nil
	})
	r.Requests += n
	if err != nil {
		return r, translate("widen columns", err)
	}
	spans, n, err := s.widenRuns(ctx, dry)
	r.Spans, r.Requests = spans, r.Requests+n
	if err != nil {
		return r, fmt.Errorf("widen columns: %w", err)
	}
	if dry {
		return r, nil
	}
	if err := s.mark(ctx, skWideMarker); err != nil {
		return r, err
	}
	r.Requests++
	r.Complete = true
	s.wideSeen.Store(true)
	return r, nil
}

// widenBlock moves one narrow block's numbers into its wide block and
// deletes it, returning the requests made. A block a writer of the code
// before changed between the move and the delete is moved again: the
// numbers it changed are newer than those moved, so they are set.
func (s *Store) widenBlock(ctx context.Context, it columnItem, dry bool) (int, error) {
	c := column{pk: it.PK, kind: it.Kind, what: "column " + it.PK}
	blk, err := strconv.ParseInt(it.SK, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: bad block key %q", c.what, it.SK)
	}
	req := 0
	var moved *[narrowBlockSize]uint16
	for attempt := 1; ; attempt++ {
		nb := &[narrowBlockSize]uint16{}
		if err := unpackNumbers(it.B, nb[:]); err != nil {
			return req, fmt.Errorf("%s: %w", c.what, err)
		}
		changes := map[int64]uint16{}
		merge := fillUnknown
		for i, d := range nb {
			switch {
			case moved == nil && d != 0:
				changes[blk<<narrowBlockBits+int64(i)] = d
			case moved != nil && d != moved[i]:
				changes[blk<<narrowBlockBits+int64(i)] = d
				merge = set
			}
		}
		if dry {
			return req, nil
		}
		if len(changes) > 0 {
			if err := c.apply(ctx, s, changes, merge); err != nil {
				return req, fmt.Errorf("widen columns: %w", err)
			}
			req += 2
		}
		moved = nb
		if s.widenRead != nil {
			s.widenRead(it.PK, it.SK)
		}
		err := s.main.Delete(AttrPK, it.PK).Range(AttrSK, it.SK).If("v = ?", it.V).Run(ctx)
		req++
		if err == nil {
			return req, nil
		}
		if !dynamo.IsCondCheckFailed(err) {
			return req, translate("widen columns: delete "+c.what, err)
		}
		if attempt >= postingAttempts {
			return req, fmt.Errorf("%s: %w", c.what, errPostingRace)
		}
		err = s.main.Get(AttrPK, it.PK).Range(AttrSK, dynamo.Equal, it.SK).Consistent(true).One(ctx, &it)
		req++
		if errors.Is(err, dynamo.ErrNotFound) {
			return req, nil
		}
		if err != nil {
			return req, translate("widen columns: read "+c.what, err)
		}
	}
}

package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// The values' dictionary (grievance.HeldValueLister): per lookup field
// (grievance.ValueFields), one item in the History table, pk
// VCOUNT#values, sk the field, whose string set `vals` holds "=" + every
// value some counted version held ("=" alone: the empty value, which a
// set cannot hold). A history list's lookup reads it (one item a field)
// where the counts list their values only with all of their shards (the
// field's partition: values × 8 items).
//
// A value is added before the transaction that counts its first version
// (recordCounted), by an UpdateItem of its own: a set's ADD is idempotent,
// so redeliveries and racing consumers add nothing twice, and a value
// added for a transaction that then fails is one no version holds, whose
// postings are empty. Adding it in the transaction would make every
// transaction write the same item, which the counts shard to avoid.
//
// The dictionary is trusted only when `complete`: set in the transaction
// of ticket 1's version 1 (as the counts' markers: every later version's
// values are added before they are counted), or by the backfill's
// version-count pass from the counts' partitions (a table counted before
// the dictionary). It is never trusted once `full`: a value longer than
// heldValueBytes, or more than heldValuesMax values, would take the item
// towards DynamoDB's 400 KB, so they mark it full instead and the lists
// read the counts' partitions, as before.
const (
	pkHeldValues   = prefixVersionCount + "values"
	heldValueBytes = 256
	heldValuesMax  = 1000
)

type heldValuesItem struct {
	PK       string   `dynamo:"pk"`
	SK       string   `dynamo:"sk"`
	Kind     string   `dynamo:"kind"`
	Vals     []string `dynamo:"vals,set,omitempty"`
	Complete bool     `dynamo:"complete,omitempty"`
	Full     bool     `dynamo:"full,omitempty"`
}

// heldKnown remembers, per container, the values it has seen in the
// dictionary: only a value new to it costs an UpdateItem.
type heldKnown struct{ m sync.Map }

func (h *heldKnown) has(field, value string) bool {
	_, ok := h.m.Load(field + "\x00" + value)
	return ok
}

func (h *heldKnown) add(field, value string) { h.m.Store(field+"\x00"+value, true) }

var _ grievance.HeldValueLister = (*Store)(nil)

// HeldValues implements grievance.HeldValueLister: one GetItem a field,
// all at once, eventually consistent (GetItem, not BatchGetItem: the API
// may only get and query the History table). A value added a moment ago
// may be missing, as from the counts' partitions, which it precedes.
func (s *Store) HeldValues(ctx context.Context, fields []string) (map[string][]string, bool, error) {
	items := make([]heldValuesItem, len(fields))
	err := parallel(ctx, len(fields), len(fields), func(ctx context.Context, i int) error {
		err := s.history.Get(AttrPK, pkHeldValues).Range(AttrSK, dynamo.Equal, fields[i]).One(ctx, &items[i])
		if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
			return translate("read the values of versions", err)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	out := make(map[string][]string, len(fields))
	for i, it := range items {
		if !it.Complete || it.Full {
			return nil, false, nil // not there, or not known complete
		}
		vs := make([]string, 0, len(it.Vals))
		for _, v := range it.Vals {
			vs = append(vs, strings.TrimPrefix(v, "="))
		}
		slices.Sort(vs)
		out[fields[i]] = vs
	}
	return out, true, nil
}

// addHeldValues adds to the dictionary the lookup fields' values of recs'
// counts this container has not added before.
func (s *Store) addHeldValues(ctx context.Context, recs []*countedRecord) error {
	byField := map[string][]string{}
	for _, r := range recs {
		for _, k := range r.counts {
			if slices.Contains(grievance.ValueFields, k.Field) && !s.held.has(k.Field, k.Value) && !slices.Contains(byField[k.Field], k.Value) {
				byField[k.Field] = append(byField[k.Field], k.Value)
			}
		}
	}
	for field, values := range byField {
		if err := s.addHeld(ctx, field, values, false); err != nil {
			return err
		}
		for _, v := range values {
			s.held.add(field, v)
		}
	}
	return nil
}

// addHeld adds values to field's dictionary, marking it complete when
// complete is set, or marks it full when they would not fit.
func (s *Store) addHeld(ctx context.Context, field string, values []string, complete bool) error {
	set := make([]string, 0, len(values))
	fits := len(values) <= heldValuesMax
	for _, v := range values {
		fits = fits && len(v) <= heldValueBytes
		set = append(set, "="+v)
	}
	u := s.history.Update(AttrPK, pkHeldValues).Range(AttrSK, field).Set("kind", KindVersionCount)
	if complete {
		u = u.Set("complete", true)
	}
	if fits && len(set) > 0 {
		u = u.AddStringsToSet("vals", set...).
			If("attribute_not_exists($) AND (attribute_not_exists($) OR size($) <= ?)", "full", "vals", "vals", heldValuesMax-len(set))
	}
	if fits || complete && len(set) == 0 {
		err := u.Run(ctx)
		if err == nil || !dynamo.IsCondCheckFailed(err) {
			return translate(fmt.Sprintf("add the values of %s versions", field), err)
		}
	}
	err := s.history.Update(AttrPK, pkHeldValues).Range(AttrSK, field).Set("kind", KindVersionCount).Set("full", true).Run(ctx)
	return translate(fmt.Sprintf("mark the values of %s versions full", field), err)
}

// completeHeldValues makes the dictionary of a table counted before it
// complete, from the counts' partitions: the backfill's version-count
// pass, once every version is counted and every consumer adds the values
// it counts. One GetItem when it is complete already.
func (s *Store) completeHeldValues(ctx context.Context, dry bool) (requests, listed int, err error) {
	_, ok, err := s.HeldValues(ctx, grievance.ValueFields)
	requests += len(grievance.ValueFields)
	if err != nil || ok {
		return requests, 0, err
	}
	ask := map[string][]string{}
	for _, f := range grievance.ValueFields {
		ask[f] = nil
	}
	counts, err := s.VersionCounts(ctx, ask)
	requests += len(ask)
	if err != nil {
		return requests, 0, err
	}
	if dry {
		return requests, len(grievance.ValueFields), nil
	}
	for _, f := range grievance.ValueFields {
		var values []string
		for v := range counts[f] {
			values = append(values, v)
		}
		slices.Sort(values)
		if err := s.addHeld(ctx, f, values, true); err != nil {
			return requests, listed, fmt.Errorf("backfill: %w", err)
		}
		requests++
		listed++
	}
	return requests, listed, nil
}

package grievancetest

import (
	"context"
	"slices"

	"github.com/redress-grm/redress/shared/grievance"
)

var _ grievance.TextIndex = (*Store)(nil)

// Postings implements grievance.TextIndex from the stored tickets, always
// up to date (the DynamoDB adapter's index trails the stream).
func (s *Store) Postings(ctx context.Context, keys []grievance.PostingKey) (map[grievance.PostingKey]*grievance.SeqSet, error) {
	if err := s.fail("Postings"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[grievance.PostingKey]*grievance.SeqSet, len(keys))
	for _, k := range keys {
		out[k] = &grievance.SeqSet{}
	}
	for _, t := range s.bySeq {
		if t == nil || t.IsDeleted {
			continue
		}
		grams := map[string]map[string]bool{}
		for _, k := range keys {
			if k.Field == grievance.LiveField {
				out[k].Add(t.Seq)
				continue
			}
			if v := grievance.IndexedValue(t, k.Field); slices.Contains(grievance.ValueIndexedFields, k.Field) {
				if k == grievance.ValueKey(k.Field, v) {
					out[k].Add(t.Seq)
				}
				continue
			}
			if grams[k.Field] == nil {
				grams[k.Field] = map[string]bool{}
				for _, g := range grievance.Grams(grievance.IndexedText(t, k.Field)) {
					grams[k.Field][g] = true
				}
			}
			if grams[k.Field][k.Gram] {
				out[k].Add(t.Seq)
			}
		}
	}
	return out, nil
}

// LiveTicketsBySeq implements grievance.TextIndex.
func (s *Store) LiveTicketsBySeq(ctx context.Context, seqs []int64) (map[int64]*grievance.Ticket, error) {
	if err := s.fail("LiveTicketsBySeq"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64]*grievance.Ticket, len(seqs))
	for _, n := range seqs {
		if n < 1 || int(n) > len(s.bySeq) {
			continue
		}
		if t := s.bySeq[n-1]; t != nil && !t.IsDeleted {
			out[n] = cloneTicket(t)
		}
	}
	return out, nil
}

package grievance

import (
	"context"
	"fmt"
	"strings"
)

// historySearch narrows a filtered history list (showHistory) with the
// history postings: only the tickets that ever held what the filters ask
// for have their versions read, newest ticket first. Every version is
// still judged by the filters and the reader's rights, so the postings
// only choose what to read. nil: the index cannot narrow this list.
func (s *Service) historySearch(ctx context.Context, pl *ticketPlan) (rows[*Ticket], error) {
	ti, ok := s.store.(TextIndex)
	vi, vok := s.history.(VersionIndex)
	if !ok || !vok || pl.q.Version != 0 {
		return nil, nil
	}
	if _, ok := exactValue(pl.fs, "id"); ok {
		return nil, nil
	}
	keys := []PostingKey{HistoryAll}
	type need struct {
		f    Filter
		keys []PostingKey
		or   bool // the keys' union (values), else their intersection
	}
	var needs []need
	for _, f := range pl.fs {
		switch {
		case f.Field == "code" && searchable(f):
			needs = append(needs, need{f: f})
		case searchable(f):
			grams, _ := queryGrams(strings.ToLower(f.Value.(string)))
			n := need{f: f}
			for _, g := range grams {
				n.keys = append(n.keys, HistoryKey(PostingKey{Field: f.Field, Gram: g}))
			}
			needs = append(needs, n)
		case indexAnswers(f):
			n := need{f: f, or: true}
			for _, k := range valueKeys(f) {
				n.keys = append(n.keys, HistoryKey(k))
			}
			needs = append(needs, n)
		}
	}
	if len(needs) == 0 {
		return nil, nil
	}
	for _, n := range needs {
		keys = append(keys, n.keys...)
	}
	post, err := ti.Postings(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read history index: %w", err)
	}
	cands := post[HistoryAll].Clone()
	for _, n := range needs {
		switch {
		case n.f.Field == "code":
			cands.And(codeMatches(cands.Max(), n.f.Lookup, n.f.Value.(string)))
		case n.or:
			union := &SeqSet{}
			for _, k := range n.keys {
				union.Or(post[k])
			}
			cands.And(union)
		default:
			for _, k := range n.keys {
				cands.And(post[k])
			}
		}
	}
	w := pl.w
	hint := cands.Len()
	if pl.native && !w.needAll && w.first >= 0 {
		// A ticket has a few versions: half the page's rows in tickets
		// is usually the page.
		hint = (w.first+1+w.lower)/2 + 2
		if pl.versionCount != nil {
			// The count, read beside the postings, says how many rows a
			// candidate holds on average.
			if n, err := pl.versionCount(); err == nil && n > 0 {
				hint = min(cands.Len(), (w.first+1+w.lower)*cands.Len()/n+2)
			}
		}
	}
	judged := 0
	return byNumber(cands, 0, cands.Max(), pl.desc || !pl.native, hint, &judged, func(seqs []int64) (map[int64][]*Ticket, error) {
		return vi.VersionsBySeq(ctx, seqs)
	}), nil
}

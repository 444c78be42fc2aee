package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

const blockTickets = 1 << 14

// postingMembers reads one posting as a search does.
func postingMembers(t *testing.T, s *store.Store, k grievance.PostingKey) []int64 {
	t.Helper()
	post, err := s.Postings(context.Background(), []grievance.PostingKey{k})
	if err != nil {
		t.Fatal(err)
	}
	return members(post[k])
}

// setIn lists, in order, the tickets the maps say are members.
func setIn(ms ...map[int64]bool) []int64 {
	var out []int64
	for _, m := range ms {
		for n, in := range m {
			if in {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkLayout fails when the rule of sealed postings is broken: a narrow
// item below its wide item's upto, a block kept twice, or a wide item
// holding a block outside its range.
func checkLayout(t *testing.T, l store.PostingLayout, wideBlocks int64) {
	t.Helper()
	seen := map[int64]bool{}
	for _, w := range l.Wide {
		for _, b := range w.Blocks {
			if b < w.First || b >= w.Upto || b >= w.First+wideBlocks {
				t.Errorf("wide item at %d (upto %d) holds block %d", w.First, w.Upto, b)
			}
			seen[b] = true
		}
	}
	for _, b := range l.Narrow {
		if seen[b] {
			t.Errorf("block %d kept twice", b)
		}
		for _, w := range l.Wide {
			if b >= w.First && b < w.Upto {
				t.Errorf("narrow block %d below its wide item's upto %d", b, w.Upto)
			}
		}
	}
}

// Ensure a posting keeps its older blocks in one wide item and only the
// newest narrow, whichever block a change reaches: a new block folds the
// ones below it, a change below the wide item's upto goes into it (a
// member set or cleared, a block emptied or begun), and the members are
// exactly those set.
func TestPostings_OlderBlocksFoldIntoOneWideItem(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	k := grievance.PostingKey{Field: "title", Gram: "wat"}
	want := map[int64]bool{}
	apply := func(step string, seqs []int64, member bool) {
		t.Helper()
		var chs []store.PostingChange
		for _, n := range seqs {
			chs = append(chs, store.PostingChange{Key: k, Seq: n, Member: member})
			want[n] = member
		}
		if err := store.ApplyPostingChanges(ctx, s, chs); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	check := func(step string, narrow, wide []int64, upto int64) {
		t.Helper()
		exp := setIn(want)
		if got := postingMembers(t, s, k); !slices.Equal(got, exp) {
			t.Errorf("%s: members %v, want %v", step, got, exp)
		}
		l := store.LayoutOf(t, s, k.Field, k.Gram)
		checkLayout(t, l, 8)
		slices.Sort(l.Narrow)
		if !slices.Equal(l.Narrow, narrow) {
			t.Errorf("%s: narrow blocks %v, want %v", step, l.Narrow, narrow)
		}
		switch {
		case wide == nil && len(l.Wide) != 0:
			t.Errorf("%s: wide items %+v, want none", step, l.Wide)
		case wide != nil && (len(l.Wide) != 1 || !slices.Equal(l.Wide[0].Blocks, wide) || l.Wide[0].Upto != upto):
			t.Errorf("%s: wide items %+v, want one holding %v up to %d", step, l.Wide, wide, upto)
		}
	}
	at := func(block, offset int64) int64 { return block*blockTickets + offset }

	apply("first block", []int64{at(0, 1), at(0, 2)}, true)
	check("first block", []int64{0}, nil, 0)
	apply("one batch over four blocks", []int64{at(1, 5), at(3, 0), at(2, 9), at(3, 16383)}, true)
	check("one batch over four blocks", []int64{3}, []int64{0, 1, 2}, 3)
	apply("a member cleared below upto", []int64{at(1, 5)}, false)
	check("a member cleared below upto", []int64{3}, []int64{0, 2}, 3)
	apply("an emptied block begun again, below upto", []int64{at(1, 77)}, true)
	check("an emptied block begun again, below upto", []int64{3}, []int64{0, 1, 2}, 3)
	apply("the newest block", []int64{at(3, 4)}, true)
	check("the newest block", []int64{3}, []int64{0, 1, 2}, 3)
	apply("a block past a gap", []int64{at(6, 1)}, true)
	check("a block past a gap", []int64{6}, []int64{0, 1, 2, 3}, 6)
	apply("the gap's block, below upto", []int64{at(5, 3)}, true)
	check("the gap's block, below upto", []int64{6}, []int64{0, 1, 2, 3, 5}, 6)
	apply("the newest block emptied", []int64{at(6, 1)}, false)
	check("the newest block emptied", nil, []int64{0, 1, 2, 3, 5}, 6)
	apply("it begun again", []int64{at(6, 2)}, true)
	check("it begun again", []int64{6}, []int64{0, 1, 2, 3, 5}, 6)
}

// Ensure blocks past a wide item's range start the next one: with 2
// blocks a wide item, a posting over 7 blocks is 3 wide items and the
// newest block.
func TestPostings_WideItemsHoldTheirOwnBlocks(t *testing.T) {
	defer store.SetWideBlocks(2)()
	s := MustOpen(t)
	ctx := context.Background()
	k := grievance.PostingKey{Field: "description", Gram: "ter"}
	var want []int64
	for b := range int64(7) {
		n := b*blockTickets + b + 1
		want = append(want, n)
		if err := store.ApplyPostingChanges(ctx, s, []store.PostingChange{{Key: k, Seq: n, Member: true}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := postingMembers(t, s, k); !slices.Equal(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
	l := store.LayoutOf(t, s, k.Field, k.Gram)
	checkLayout(t, l, 2)
	if len(l.Wide) != 3 || !slices.Equal(l.Narrow, []int64{6}) {
		t.Errorf("layout %+v, want 3 wide items and narrow block 6", l)
	}
}

// Ensure writers of one posting at once (the consumers of several
// shards) lose nothing when their changes fold blocks under each other:
// each owns its tickets and sets and clears them in random order, over
// blocks created, folded and changed below upto concurrently, with 2
// blocks a wide item so that ranges fill and close too.
func TestPostings_ConcurrentWritersAndFoldsLoseNothing(t *testing.T) {
	defer store.SetWideBlocks(2)()
	s := MustOpen(t)
	ctx := context.Background()
	k := grievance.PostingKey{Field: "title", Gram: "pay"}
	const writers, rounds = 6, 8
	final := make([]map[int64]bool, writers)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		final[w] = map[int64]bool{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for r := range rounds {
				var chs []store.PostingChange
				for range 3 {
					// Block r or one below, so new blocks are created while
					// older ones are changed.
					block := int64(max(r-rng.IntN(3), 0))
					n := block*blockTickets + int64(w)*100 + int64(rng.IntN(4))
					member := rng.IntN(4) != 0
					chs = append(chs, store.PostingChange{Key: k, Seq: n, Member: member})
					final[w][n] = member
				}
				// A write that lost its race on every attempt fails the
				// consumer's batch, and the stream delivers it again: so
				// does the writer here (a loaded machine makes that more
				// likely, never a loss).
				err := store.ApplyPostingChanges(ctx, s, chs)
				for again := 0; errors.Is(err, store.ErrPostingRace) && again < 4; again++ {
					err = store.ApplyPostingChanges(ctx, s, chs)
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d round %d: %w", w, r, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := setIn(final...)
	if got := postingMembers(t, s, k); !slices.Equal(got, want) {
		t.Errorf("members %v,\nwant     %v", got, want)
	}
	l := store.LayoutOf(t, s, k.Field, k.Gram)
	checkLayout(t, l, 2)
	if len(l.Narrow) > 1 {
		t.Logf("narrow blocks %v (a block created below the newest stays narrow until the next one)", l.Narrow)
	}
}

// Ensure each place where a fold and another write can cross is fenced:
// the other writer's change is made exactly where the first has read
// what it writes from, and both changes survive with the rule kept.
func TestPostings_AFoldAndAWriteThatCrossBothSurvive(t *testing.T) {
	at := func(block, offset int64) int64 { return block*blockTickets + offset }
	cases := []struct {
		name   string
		before []int64 // members set first (a negative one cleared)
		first  int64   // the change that reads, then is overtaken
		stage  string
		other  int64 // the change made where the first has read
		narrow []int64
		wide   []int64
		upto   int64
	}{
		{"a block created after a fold past it", []int64{at(0, 1)}, at(1, 1), "state", at(2, 1), []int64{2}, []int64{0, 1}, 2},
		{"a block written after a fold took it", []int64{at(0, 1)}, at(0, 2), "state", at(1, 1), []int64{1}, []int64{0}, 1},
		{"a fold after a creation it found absent", []int64{at(0, 1)}, at(2, 1), "below", at(1, 1), []int64{2}, []int64{0, 1}, 2},
		// Block 1 emptied leaves block 3 narrow above upto 1: the fold
		// that creates block 4 finds block 2 absent, and it is created.
		{"a fold over a block created in its range", []int64{at(0, 1), at(1, 1), -at(1, 1), at(3, 1)}, at(4, 1), "below", at(2, 1), []int64{4}, []int64{0, 2, 3}, 4},
		{"a fold after another fold of the same blocks", []int64{at(0, 1), at(1, 1)}, at(2, 1), "below", at(3, 1), []int64{3}, []int64{0, 1, 2}, 3},
		{"a wide item written after another wrote it", []int64{at(0, 1), at(1, 1)}, at(0, 2), "state", at(0, 3), []int64{1}, []int64{0}, 1},
	}
	// The same races on a text posting and on an order posting's group
	// (which shares its column's partition with the others).
	keys := map[string]grievance.PostingKey{"text": {Field: "title", Gram: "fen"}, "order": grievance.OrderKey("version", "fen")}
	for _, tc := range cases {
		for kind, k := range keys {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				s := MustOpen(t)
				ctx := context.Background()
				if kind == "order" {
					// A neighbour on either side of the group.
					for _, v := range []string{"fe", "feo"} {
						if err := store.ApplyPostingChanges(ctx, s, []store.PostingChange{{Key: grievance.OrderKey("version", v), Seq: at(1, 9), Member: true}}); err != nil {
							t.Fatal(err)
						}
					}
				}
				in := map[int64]bool{}
				set := func(n int64) error {
					in[max(n, -n)] = n > 0
					return store.ApplyPostingChanges(ctx, s, []store.PostingChange{{Key: k, Seq: max(n, -n), Member: n > 0}})
				}
				for _, n := range tc.before {
					if err := set(n); err != nil {
						t.Fatal(err)
					}
				}
				crossed := false
				store.SetPostingRead(s, func(stage string) {
					if stage != tc.stage || crossed {
						return
					}
					crossed = true
					if err := set(tc.other); err != nil {
						t.Errorf("the other change: %v", err)
					}
				})
				if err := set(tc.first); err != nil {
					t.Fatal(err)
				}
				store.SetPostingRead(s, nil)
				if !crossed {
					t.Fatal("the other change was never made")
				}
				want := setIn(in)
				if got := keyMembers(t, s, k); !slices.Equal(got, want) {
					t.Errorf("members %v, want %v", got, want)
				}
				l := store.LayoutOf(t, s, k.Field, k.Gram)
				checkLayout(t, l, 8)
				slices.Sort(l.Narrow)
				if !slices.Equal(l.Narrow, tc.narrow) || len(l.Wide) != 1 || !slices.Equal(l.Wide[0].Blocks, tc.wide) || l.Wide[0].Upto != tc.upto {
					t.Errorf("layout %+v, want narrow %v and one wide item holding %v up to %d", l, tc.narrow, tc.wide, tc.upto)
				}
				if kind == "order" {
					for _, v := range []string{"fe", "feo"} {
						if got := keyMembers(t, s, grievance.OrderKey("version", v)); !slices.Equal(got, []int64{at(1, 9)}) {
							t.Errorf("neighbour %q: members %v", v, got)
						}
					}
				}
			})
		}
	}
}

// keyMembers reads one posting as a list does: a text posting as a
// search, an order posting's group from a walk of its column.
func keyMembers(t *testing.T, s *store.Store, k grievance.PostingKey) []int64 {
	t.Helper()
	col, ok := strings.CutPrefix(k.Field, grievance.OrderField(""))
	if !ok {
		return postingMembers(t, s, k)
	}
	for _, b := range walkOrder(t, s, col, false, 100) {
		if b.Gram == k.Gram {
			return members(b.Members)
		}
	}
	return nil
}

// Ensure a table whose postings were written before the wide items is
// sealed once by the backfill's pass: each posting folded below its
// newest block (members unchanged), one with a single block left alone,
// a dry run writing nothing, and a second run one GetItem.
func TestSealPostings_FoldsAnOlderTableOnce(t *testing.T) {
	defer store.SetWideBlocks(2)()
	s := MustOpen(t)
	ctx := context.Background()
	at := func(block, offset int64) int64 { return block*blockTickets + offset }
	dense := grievance.PostingKey{Field: "title", Gram: "rec"}
	single := grievance.PostingKey{Field: "title", Gram: "zzz"}
	var want []int64
	for b := range int64(5) {
		store.PutNarrowPosting(t, s, dense.Field, dense.Gram, b, at(b, 1), at(b, 2+b))
		want = append(want, at(b, 1), at(b, 2+b))
	}
	store.PutNarrowPosting(t, s, single.Field, single.Gram, 3, at(3, 9))
	// An order posting's group of many tickets, and its neighbour in the
	// column's partition, which must be left as it is.
	staff := grievance.OrderKey("attending_staff", "officer-a")
	next := grievance.OrderKey("attending_staff", "officer-b")
	var staffWant []int64
	for b := range int64(3) {
		store.PutNarrowPosting(t, s, staff.Field, staff.Gram, b, at(b, 7))
		staffWant = append(staffWant, at(b, 7))
	}
	store.PutNarrowPosting(t, s, next.Field, next.Gram, 1, at(1, 8))

	r, err := s.SealPostings(ctx, true)
	if err != nil || r.Complete || r.Postings != 2 || r.Folded != 6 {
		t.Fatalf("dry run: %+v, %v; want 2 postings, 6 narrow items to fold, no marker", r, err)
	}
	if l := store.LayoutOf(t, s, dense.Field, dense.Gram); len(l.Wide) != 0 || len(l.Narrow) != 5 {
		t.Fatalf("the dry run wrote: %+v", l)
	}
	if r, err = s.SealPostings(ctx, false); err != nil || !r.Complete || r.Postings != 2 || r.Folded != 6 {
		t.Fatalf("run: %+v, %v", r, err)
	}
	l := store.LayoutOf(t, s, staff.Field, staff.Gram)
	checkLayout(t, l, 2)
	if len(l.Wide) != 1 || !slices.Equal(l.Wide[0].Blocks, []int64{0, 1}) || !slices.Equal(l.Narrow, []int64{2}) {
		t.Errorf("order group kept as %+v, want blocks 0–1 wide, 2 narrow", l)
	}
	if l := store.LayoutOf(t, s, next.Field, next.Gram); len(l.Wide) != 0 || !slices.Equal(l.Narrow, []int64{1}) {
		t.Errorf("the next group kept as %+v, want left alone", l)
	}
	var got []string
	for _, b := range walkOrder(t, s, "attending_staff", false, 1) {
		got = append(got, fmt.Sprint(members(b.Members)))
	}
	if want := []string{fmt.Sprint(staffWant), fmt.Sprint([]int64{at(1, 8)})}; !slices.Equal(got, want) {
		t.Errorf("order groups after sealing %v, want %v", got, want)
	}
	if got := postingMembers(t, s, dense); !slices.Equal(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
	l = store.LayoutOf(t, s, dense.Field, dense.Gram)
	checkLayout(t, l, 2)
	if len(l.Wide) != 2 || !slices.Equal(l.Narrow, []int64{4}) || l.Wide[0].Upto != 2 || l.Wide[1].Upto != 4 {
		t.Errorf("layout %+v, want blocks 0–3 in 2 wide items closed at their ends, block 4 narrow", l)
	}
	if got := postingMembers(t, s, single); !slices.Equal(got, []int64{at(3, 9)}) {
		t.Errorf("single block posting %v", got)
	}
	if l := store.LayoutOf(t, s, single.Field, single.Gram); len(l.Wide) != 0 || !slices.Equal(l.Narrow, []int64{3}) {
		t.Errorf("single block posting kept as %+v, want left alone", l)
	}
	if r, err = s.SealPostings(ctx, false); err != nil || !r.Complete || r.Requests != 1 || r.Postings != 0 {
		t.Errorf("second run: %+v, %v; want the marker found in one request", r, err)
	}
}

// Ensure an import, which creates a posting's blocks at once, leaves it
// sealed as the consumer would: the blocks below the newest in wide items
// (over several ranges), the newest narrow, every member there.
func TestImport_CreatesSealedPostingsAtOnce(t *testing.T) {
	defer store.SetWideBlocks(2)()
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	var all, rare []int64
	for b := range int64(7) {
		for o := range int64(3) {
			n := b*blockTickets + o*50 + 1
			tk := newTicket(id(int(n)), grievance.StatusOpen, "Default")
			tk.Seq, tk.Code, tk.Title = n, grievance.FormatCode(n), "water"
			if b%3 == 0 && o == 0 {
				tk.Title = "water zebra"
				rare = append(rare, n)
			}
			ts = append(ts, tk)
			all = append(all, n)
		}
	}
	if err := s.ImportTickets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if err := s.ImportDerived(ctx, ts); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key    grievance.PostingKey
		want   []int64
		narrow int64
		wide   int
	}{
		{grievance.PostingKey{Field: "title", Gram: "wat"}, all, 6, 3},
		{grievance.PostingKey{Field: "title", Gram: "zeb"}, rare, 6, 2},
		{grievance.HistoryKey(grievance.PostingKey{Field: "title", Gram: "wat"}), all, 6, 3},
		// Every ticket is at version 1: one order group.
		{grievance.OrderKey("version", grievance.SortValue(ts[0], "version")), all, 6, 3},
	} {
		if got := keyMembers(t, s, tc.key); !slices.Equal(got, tc.want) {
			t.Errorf("%v: members %v, want %v", tc.key, got, tc.want)
		}
		l := store.LayoutOf(t, s, tc.key.Field, tc.key.Gram)
		checkLayout(t, l, 2)
		if !slices.Equal(l.Narrow, []int64{tc.narrow}) || len(l.Wide) != tc.wide {
			t.Errorf("%v: layout %+v, want narrow block %d and %d wide items", tc.key, l, tc.narrow, tc.wide)
		}
	}
}

// Ensure an order posting's groups are sealed as the text postings are
// (a group of many tickets keeps its older blocks in wide items) while
// the column's partition still reads in order from either end, each
// group whole and once, whatever a call's limit cuts: a group's wide
// items sort between its narrow blocks and the next group, also when the
// next group's value starts with this one's ("a", "ab") or is a long
// value's prefix group (~).
func TestOrderPostings_GroupsSealAndReadWholeInOrder(t *testing.T) {
	defer store.SetWideBlocks(2)()
	s := MustOpen(t)
	ctx := context.Background()
	at := func(block, offset int64) int64 { return block*blockTickets + offset }
	long := strings.Repeat("a", 450)
	groups := map[string]map[int64]bool{"a": {}, "ab": {}, "b": {}, long: {}}
	apply := func(step, value string, seqs []int64, member bool) {
		t.Helper()
		var chs []store.PostingChange
		for _, n := range seqs {
			chs = append(chs, store.PostingChange{Key: grievance.OrderKey("attending_staff", value), Seq: n, Member: member})
			groups[value][n] = member
		}
		if err := store.ApplyPostingChanges(ctx, s, chs); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	check := func(step string) {
		t.Helper()
		values := slices.SortedFunc(maps.Keys(groups), func(a, b string) int {
			return strings.Compare(grievance.OrderKey("attending_staff", a).Gram, grievance.OrderKey("attending_staff", b).Gram)
		})
		var want []string
		for _, v := range values {
			if m := setIn(groups[v]); len(m) > 0 {
				want = append(want, fmt.Sprint(m))
			}
		}
		for _, desc := range []bool{false, true} {
			exp := slices.Clone(want)
			if desc {
				slices.Reverse(exp)
			}
			for _, limit := range []int{1, 2, 3, 100} {
				var got []string
				for _, b := range walkOrder(t, s, "attending_staff", desc, limit) {
					got = append(got, fmt.Sprint(members(b.Members)))
				}
				if !slices.Equal(got, exp) {
					t.Errorf("%s: desc %v, limit %d: groups %v, want %v", step, desc, limit, got, exp)
				}
			}
		}
		for v := range groups {
			k := grievance.OrderKey("attending_staff", v)
			checkLayout(t, store.LayoutOf(t, s, k.Field, k.Gram), 2)
		}
	}

	apply("a group over five blocks", "a", []int64{at(0, 1), at(1, 2), at(2, 3), at(3, 4), at(4, 5)}, true)
	apply("its neighbours", "ab", []int64{at(2, 6)}, true)
	apply("its neighbours", "b", []int64{at(0, 7), at(4, 8)}, true)
	apply("a long value", long, []int64{at(1, 9), at(3, 10)}, true)
	check("written")
	k := grievance.OrderKey("attending_staff", "a")
	if l := store.LayoutOf(t, s, k.Field, k.Gram); len(l.Wide) != 2 || !slices.Equal(l.Narrow, []int64{4}) {
		t.Errorf("group a kept as %+v, want blocks 0–3 in two wide items, 4 narrow", l)
	}
	apply("a member leaves a wide item", "a", []int64{at(1, 2)}, false)
	apply("and joins the next group", "ab", []int64{at(1, 2)}, true)
	apply("a new block", "a", []int64{at(6, 11)}, true)
	check("changed")
	if l := store.LayoutOf(t, s, k.Field, k.Gram); len(l.Wide) != 3 || !slices.Equal(l.Narrow, []int64{6}) {
		t.Errorf("group a kept as %+v, want blocks 0–5 in three wide items, 6 narrow", l)
	}
}

package grievance

import (
	"slices"
	"sync"
)

// individualLinks remembers, per container, which individual each
// beneficiary read so far belongs to. A beneficiary row shows its
// individual's names, so a page of beneficiary reporters needs a second
// directory read once the first has named the individuals; with the link
// remembered, the individual is asked for in the first read. It is only a
// guess of which records to read: the records read decide what is shown,
// and a beneficiary now linked to another individual costs the second
// read, as without the guess.
type individualLinks struct {
	mu sync.Mutex
	m  map[string]string
}

// maxLinks bounds the memory: past it the links start afresh.
const maxLinks = 20000

// expand returns ids and the individuals of the beneficiaries among them
// that it knows.
func (l *individualLinks) expand(ids []string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := ids
	for _, id := range ids {
		if ind, ok := l.m[id]; ok && !slices.Contains(out, ind) {
			if len(out) == len(ids) {
				out = slices.Clone(ids)
			}
			out = append(out, ind)
		}
	}
	return out
}

// learn records the links of the beneficiaries among people.
func (l *individualLinks) learn(people map[string]*Person) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, p := range people {
		if p == nil || p.Type != PersonBeneficiary || p.IndividualID == "" {
			continue
		}
		if l.m == nil || len(l.m) >= maxLinks {
			l.m = map[string]string{}
		}
		l.m[id] = p.IndividualID
	}
}

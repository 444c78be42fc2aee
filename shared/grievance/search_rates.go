package grievance

import (
	"fmt"
	"time"
)

// searchRates remembers, per container and for a few minutes, what share
// of a text search's candidates were rows when the container last read
// them for the same reader and filters. The web client sends a search
// again and again as its user sorts a column, pages or comes back after
// saving a ticket; without the share, the first read of each page takes
// the page, a quarter more and two, for candidates that hold every gram of
// the query but not the query, or that another filter or the sight rule
// turns away. With it the read takes what the page needs at that share
// and two more: a search whose candidates all matched reads two tickets
// more than the page (not seven for a page of 20), and one whose
// candidates matched one in two reads twice the page at once instead of
// going back for the rest (a round trip more). A share only sizes a read:
// a stale one costs a read more or a few tickets, never a wrong row or
// count.
type searchRates struct {
	m recent[searchRate]
}

type searchRate struct {
	rows, judged int
}

const (
	// searchRateTTL is how long a share is trusted: tickets change, and
	// a search left for longer is typed anew anyway.
	searchRateTTL = 5 * time.Minute
	// searchRateSample is the fewest candidates judged whose share is
	// remembered: fewer say too little.
	searchRateSample = 8
	// searchRatesMax bounds the memory: past it, it starts again empty.
	searchRatesMax = 4096
)

// searchRateKey names a search for its reader: what the sight rule hides
// and what the filters accept decide which candidates are rows; the
// order and the page do not.
func searchRateKey(p *Principal, fs []Filter) string {
	id := ""
	if p != nil {
		id = p.ID
	}
	return fmt.Sprintf("%q %v", id, fs)
}

// firstRead returns how many candidates the first read of a page that
// wants hint rows takes.
func (sr *searchRates) firstRead(key string, hint int, now time.Time) int {
	r, ok := sr.m.get(key, now)
	if !ok || r.rows == 0 {
		return withMargin(hint)
	}
	n := (hint*r.judged + r.rows - 1) / r.rows
	// A share of a few rows in many candidates may be old news: the
	// reads after the first grow fourfold anyway.
	return min(n, 4*hint) + 2
}

// withMargin is n candidates and the margin a search reads them with when
// it knows nothing of their share of rows: a quarter more and two.
func withMargin(n int) int { return n + n/4 + 2 }

// learn remembers that rows of judged candidates were rows.
func (sr *searchRates) learn(key string, rows, judged int, now time.Time) {
	if judged < searchRateSample || rows > judged || rows < 0 {
		return
	}
	sr.m.put(key, searchRate{rows, judged}, now, searchRatesMax)
}

// share returns the share of candidates that were rows when key was last
// learnt, if it is recent and some were.
func (sr *searchRates) share(key string, now time.Time) (float64, bool) {
	r, ok := sr.m.get(key, now)
	if !ok || r.rows == 0 {
		return 0, false
	}
	return float64(r.rows) / float64(r.judged), true
}

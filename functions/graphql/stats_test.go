package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/streams"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// statsInvoker applies batches to the aggregates the way functions/history
// does; times > 1 applies every batch again (a redelivery), and records
// counts the records it was given.
type statsInvoker struct {
	st      *store.Store
	times   int
	records atomic.Int64
}

func (s *statsInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	var resp events.DynamoDBEventResponse
	for range max(s.times, 1) {
		failed, err := s.st.ApplyStats(ctx, ev.Records)
		if failed != "" {
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: failed}}
			return json.Marshal(resp)
		} else if err != nil {
			return nil, err
		}
	}
	s.records.Add(int64(len(ev.Records)))
	return json.Marshal(resp)
}

// startStats pumps the main table's stream into the aggregates until the
// test ends.
func (e *env) startStats(tb testing.TB, inv *statsInvoker) {
	tb.Helper()
	api := dynamodbstreams.NewFromConfig(e.cfg, func(o *dynamodbstreams.Options) { o.APIOptions = append(o.APIOptions, streams.FixMotoDates) })
	ctx, cancel := context.WithCancel(context.Background())
	p := streams.NewPoller(api, e.names.Main, inv, streams.Options{Function: "stats-test", PollInterval: 20 * time.Millisecond, DLQPath: tb.TempDir() + "/dlq.jsonl"})
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
}

func (e *env) advance(d time.Duration) { e.now.Add(d.Microseconds()) }

const statsQuery = `{ grievanceStatistics(dateFrom: "2026-11-01", dateTo: "2026-12-31") {
	total resolved resolvedWithDueDate resolvedWithinTime shareResolvedWithinTime averageResolutionHours medianResolutionHours
	byStatus { key count } byCategory { key count } byChannel { key count } byPriority { key count } byFlag { key count } } }`

// statsView is the comparable part of an answer: counts exactly, hours
// rounded to the minute, the median separately.
type statsView struct {
	counts string
	avg    float64
	median float64
}

func viewOf(d map[string]any) statsView {
	s := path(d, "grievanceStatistics").(map[string]any)
	var parts []string
	for _, k := range []string{"total", "resolved", "resolvedWithDueDate", "resolvedWithinTime"} {
		parts = append(parts, fmt.Sprintf("%s=%v", k, s[k]))
	}
	if v, ok := s["shareResolvedWithinTime"].(float64); ok {
		parts = append(parts, fmt.Sprintf("share=%.4f", v))
	}
	for _, k := range []string{"byStatus", "byCategory", "byChannel", "byPriority", "byFlag"} {
		var rows []string
		for _, r := range s[k].([]any) {
			r := r.(map[string]any)
			if r["count"].(float64) != 0 {
				rows = append(rows, fmt.Sprintf("%v:%v", r["key"], r["count"]))
			}
		}
		sort.Strings(rows)
		parts = append(parts, k+"="+strings.Join(rows, ","))
	}
	v := statsView{counts: strings.Join(parts, " ")}
	v.avg, _ = s["averageResolutionHours"].(float64)
	v.median, _ = s["medianResolutionHours"].(float64)
	return v
}

// recount computes, from the tickets themselves, what the statistics must
// say for a reader who sees the categories in visible, with channel
// masked for the categories in maskChannel.
func (e *env) recount(t *testing.T, visible []string, maskChannel []string) statsView {
	t.Helper()
	status, cat, ch, pr, fl := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	var total, resolved, withDue, within int
	var hours []float64
	err := e.st.ScanTickets(context.Background(), grievance.TicketRange{By: grievance.RangeAll}, func(tk *grievance.Ticket) (bool, error) {
		if tk.IsDeleted || !slices.Contains(visible, tk.Category) {
			return true, nil
		}
		total++
		status[string(tk.Status)]++
		cat[tk.Category]++
		c := tk.Channel
		if slices.Contains(maskChannel, tk.Category) && c != "" {
			c = grievance.Restricted
		}
		ch[c]++
		// The workload leaves grievance_priorities at its default: a free-text
		// priority such as "Urgent" counts as [Other].
		p := tk.Priority
		if p != "" && !slices.Contains(grievance.DefaultConfig().GrievancePriorities, p) {
			p = grievance.StatsOther
		}
		pr[p]++
		for _, f := range grievance.FlagList(tk.Flags) {
			fl[f]++
		}
		if tk.Status == grievance.StatusResolved || tk.Status == grievance.StatusClosed {
			resolved++
			hours = append(hours, tk.DateResolved.Sub(tk.DateCreated).Hours())
			deadline, _ := time.Parse("2006-01-02", tk.DueDate)
			withDue++
			if tk.DateResolved.Before(deadline.Add(24 * time.Hour)) {
				within++
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows := func(m map[string]int) string {
		var out []string
		for k, n := range m {
			key := any(k)
			if k == "" {
				key = nil
			}
			if n != 0 {
				out = append(out, fmt.Sprintf("%v:%v", key, n))
			}
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	parts := []string{fmt.Sprintf("total=%d", total), fmt.Sprintf("resolved=%d", resolved), fmt.Sprintf("resolvedWithDueDate=%d", withDue), fmt.Sprintf("resolvedWithinTime=%d", within)}
	if withDue > 0 {
		parts = append(parts, fmt.Sprintf("share=%.4f", float64(within)/float64(withDue)))
	}
	parts = append(parts, "byStatus="+rows(status), "byCategory="+rows(cat), "byChannel="+rows(ch), "byPriority="+rows(pr), "byFlag="+rows(fl))
	v := statsView{counts: strings.Join(parts, " ")}
	if len(hours) > 0 {
		for _, h := range hours {
			v.avg += h
		}
		v.avg /= float64(len(hours))
		slices.Sort(hours)
		v.median = (hours[(len(hours)-1)/2] + hours[len(hours)/2]) / 2
	}
	return v
}

// waitStats waits (bounded) until the statistics claims sees equal want.
func (e *env) waitStats(t *testing.T, claims map[string]string, want statsView) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := viewOf(e.ok(t, claims, statsQuery))
		if got.counts == want.counts && math.Abs(got.avg-want.avg) < 1.0/60 && math.Abs(got.median-want.median) <= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("statistics do not match the recount:\n got  %+v\n want %+v", got, want)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Ensure grievanceStatistics, computed from the aggregates the stream
// consumer keeps, equals a recount of the tickets after a scripted
// workload through the API (creates, status changes, resolutions,
// reopening, category moves, comments, deletion), also when the whole
// stream is delivered again twice over; and that it hides restricted
// categories and anonymized breakdowns from readers without the rights.
func TestGrievanceStatistics_MatchesRecount(t *testing.T) {
	e := newDynamoEnv(t)
	first := &statsInvoker{st: e.consumer}
	e.startStats(t, first)
	doc, _ := json.Marshal(`{"restricted_categories": {"Category B": ["127007"]}, "grievance_anonymized_fields": {"Category A": ["channel"]}}`)
	cmid := uuid.NewString()
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { updateGrievanceConfig(input: {config: %s, clientMutationId: %q}) { internalId } }`, doc, cmid))
	e.mustSucceed(t, adminClaims, cmid)

	mutate := func(doc string) {
		t.Helper()
		cmid := uuid.NewString()
		e.ok(t, adminClaims, strings.Replace(doc, "$M", cmid, 1))
		e.mustSucceed(t, adminClaims, cmid)
	}
	cats := map[string]string{} // updateTicket requires the category
	setStatus := func(id, status string) {
		mutate(fmt.Sprintf(`mutation { updateTicket(input: {id: %q, category: %q, status: %s, clientMutationId: "$M"}) { internalId } }`, id, cats[id], status))
	}
	specs := []string{
		`category: "Default", channel: "Channel A", priority: "High", flags: "Flag A", resolution: "2,0"`,
		`category: "Default", channel: "Channel B", priority: "Low", flags: "[\"Flag A\", \"Flag B\"]", resolution: "0,6"`,
		`category: "Category A", channel: "Channel A", priority: "High", resolution: "1,0"`,
		`category: "Category A", channel: "Channel B", flags: "Default"`,
		`category: "Category B", channel: "Channel A", priority: "Urgent", resolution: "3,0"`,
		`category: "Category B", priority: "Low"`,
		`category: "Default", priority: "High", resolution: "0,2"`,
		`category: "Default", channel: "Default", resolution: "5,0"`,
	}
	var ids []string
	for _, s := range specs {
		ids = append(ids, e.createTicket(t, adminClaims, s))
		cats[ids[len(ids)-1]] = strings.Split(s, `"`)[1]
		e.advance(37 * time.Minute)
	}
	e.advance(3 * time.Hour)
	setStatus(ids[0], "IN_PROGRESS")
	setStatus(ids[1], "CLOSED") // within 0,6
	e.advance(20 * time.Hour)
	setStatus(ids[2], "RESOLVED")
	setStatus(ids[6], "CLOSED") // late: due the first day
	mutate(fmt.Sprintf(`mutation { createComment(input: {ticketId: %q, comment: "note", clientMutationId: "$M"}) { internalId } }`, ids[0]))
	e.advance(50 * time.Hour)
	setStatus(ids[4], "CLOSED")
	setStatus(ids[2], "CLOSED") // stays resolved from the first time
	mutate(fmt.Sprintf(`mutation { reopenTicket(input: {id: %q, clientMutationId: "$M"}) { internalId } }`, ids[1]))
	mutate(fmt.Sprintf(`mutation { updateTicket(input: {id: %q, category: "Category B", clientMutationId: "$M"}) { internalId } }`, ids[3]))
	cats[ids[3]] = "Category B"
	mutate(fmt.Sprintf(`mutation { deleteTicket(input: {ids: [%q], clientMutationId: "$M"}) { internalId } }`, ids[7]))
	e.advance(30 * time.Hour)
	setStatus(ids[1], "RESOLVED")
	setStatus(ids[0], "CLOSED")

	all := []string{"Default", "Category A", "Category B"}
	want := e.recount(t, all, nil)
	e.waitStats(t, adminClaims, want)
	if !strings.Contains(want.counts, "total=7") || !strings.Contains(want.counts, "resolved=5") {
		t.Fatalf("workload did not do what the test expects: %s", want.counts)
	}
	// An officer (no 127007) neither sees Category B nor Category A's
	// channels.
	e.waitStats(t, officerClaims, e.recount(t, []string{"Default", "Category A"}, []string{"Category A"}))

	// The whole stream again, each batch applied twice: nothing changes.
	again := &statsInvoker{st: e.consumer, times: 2}
	e.startStats(t, again)
	seen := first.records.Load()
	deadline := time.Now().Add(20 * time.Second)
	for again.records.Load() < seen {
		if time.Now().After(deadline) {
			t.Fatalf("redelivery reached %d of %d records", again.records.Load(), seen)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.waitStats(t, adminClaims, want)

	// Readers without the statistics right are refused; bad ranges are
	// errors.
	if r := e.gql(t, staffClaims, `{ grievanceStatistics { total } }`, nil); len(r.Errors) == 0 {
		t.Fatalf("staff without rights got statistics: %s", r.Raw)
	}
	if r := e.gql(t, adminClaims, `{ grievanceStatistics(dateFrom: "2026-12-01", dateTo: "2026-11-01") { total } }`, nil); len(r.Errors) == 0 {
		t.Fatalf("inverted range accepted: %s", r.Raw)
	}

	// slaStatus and resolvedWithinTime on the tickets, and their filters.
	d := e.ok(t, adminClaims, `{ tickets(slaStatus: "MISSED") { edges { node { code slaStatus resolvedWithinTime } } } }`)
	for _, n := range nodes(d, "tickets") {
		if n["slaStatus"] != "MISSED" || n["resolvedWithinTime"] != false {
			t.Fatalf("MISSED filter row %v", n)
		}
	}
	d = e.ok(t, adminClaims, `{ tickets(resolvedWithinTime: true) { totalCount edges { node { slaStatus } } } }`)
	if n := nodes(d, "tickets"); len(n) == 0 || n[0]["slaStatus"] != "MET" {
		t.Fatalf("resolvedWithinTime filter: %v", n)
	}
}

package grievance_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// Ensure, over programmes drawn at random (seeded: the same on every
// run), that a history list by any mix of the panel's filters answers
// the totalCount and the page that judging every version does, for every
// reader: the counts of versions, the history rows, their pairs, the
// counts of texts changed once and the sight rule's columns, in whatever
// mix a programme's tickets need them, never count a row that is not
// there nor miss one that is. The hand-written cases each check one
// shortcut; this checks them against each other.
func TestHistoryRows_RandomProgrammesSameAsJudgingEveryVersion(t *testing.T) {
	readers := []*grievance.Principal{admin, specialist, gbvOfficer, officer, viewer, staff}
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 19))
		st := grievancetest.NewStore()
		for _, id := range textReporters {
			st.AddPeople(grievance.Person{ID: id, Type: grievance.PersonIndividual, FirstName: "Reporter"})
		}
		ins := randomTickets(r, 70)
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput { return randomSteps(r, ins[i]) }, r.IntN(70))
		plain := oracle(st)
		svc := grievance.NewService(st, rowsNow, grievancetest.IDs(), grievance.Options{History: st})
		// A page of 3: a longer one may read every candidate, and then
		// count none of them.
		three := 3
		for i := range 30 {
			fs := randomPanel(r)
			q := grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: fs, WantCount: true, Page: grievance.PageArgs{First: &three}, OrderBy: []string{"-dateCreated"}}
			for _, reader := range readers {
				ctx := grievance.NewContext(context.Background(), reader)
				got, err := svc.ListTickets(ctx, q)
				if err != nil {
					t.Fatalf("seed %d, list %d %s, %s: %v", seed, i, describe(fs), reader.Username, err)
				}
				want, err := plain.ListTickets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				all := rowsByPaging(t, ctx, plain, q)
				if got.TotalCount != all || versions(got.Items) != versions(want.Items) || got.HasNextPage != want.HasNextPage {
					t.Errorf("seed %d, list %d %s, %s: totalCount %d (rows %s); every version judged: %d (rows %s)",
						seed, i, describe(fs), reader.Username, got.TotalCount, versions(got.Items), all, versions(want.Items))
				}
			}
		}
	}
}

// randomTickets are n tickets in any category and priority, titled
// about water or a road, some describing a late payment, some reported
// by one of two people.
func randomTickets(r *rand.Rand, n int) []grievance.TicketInput {
	ins := make([]grievance.TicketInput, n)
	for i := range ins {
		in := grievance.TicketInput{Category: strp(pick(r, writeCategories)), Title: strp(randomTitle(r, i)),
			Description: strp(pick(r, []string{"no water at the tap", "late payment of the transfer", ""})), Priority: strp(pick(r, []string{"High", "Medium", "Low"}))}
		if r.IntN(3) > 0 {
			in.ReporterType, in.ReporterID = strp("individual"), strp(pick(r, textReporters))
		}
		ins[i] = in
	}
	return ins
}

// randomSteps are up to five updates of the ticket created from in,
// each changing one to three of its status, category, priority,
// attending staff, reporter and texts (to a value it does not hold: an
// update that changes nothing is refused).
func randomSteps(r *rand.Rand, in grievance.TicketInput) []grievance.TicketInput {
	cur := map[string]string{"status": "RECEIVED", "category": *in.Category, "priority": *in.Priority, "staff": "",
		"title": *in.Title, "description": *in.Description, "reporter": ""}
	if in.ReporterID != nil {
		cur["reporter"] = *in.ReporterID
	}
	choices := map[string][]string{
		"status":      {"OPEN", "IN_PROGRESS", "RESOLVED"},
		"category":    writeCategories,
		"priority":    {"High", "Medium", "Low"},
		"staff":       {staff.ID, ally.ID},
		"reporter":    textReporters,
		"title":       {"Water point", "road", "water road", "point"},
		"description": {"water again", "payment was late", "late pay received"},
	}
	fields := []string{"status", "status", "category", "priority", "staff", "reporter", "title", "description"}
	steps := make([]grievance.TicketInput, r.IntN(6))
	for i := range steps {
		s := &steps[i]
		set := map[string]bool{} // a field set twice could come back
		for range 1 + r.IntN(3) {
			field := pick(r, fields)
			v := pick(r, choices[field])
			if field == "title" {
				v = fmt.Sprintf("%s %d", v, r.IntN(1000))
			}
			if v == cur[field] || set[field] {
				continue
			}
			cur[field], set[field] = v, true
			switch field {
			case "status":
				s.Status = strp(v)
			case "category":
				s.Category = strp(v)
			case "priority":
				s.Priority = strp(v)
			case "staff":
				s.AttendingStaffID = strp(v)
			case "reporter":
				s.ReporterType, s.ReporterID = strp("individual"), strp(v)
			case "title":
				s.Title = strp(v)
			case "description":
				s.Description = strp(v)
			}
		}
	}
	return slices.DeleteFunc(steps, func(s grievance.TicketInput) bool { return s == (grievance.TicketInput{}) })
}

func randomTitle(r *rand.Rand, i int) string {
	return fmt.Sprintf("%s %d", pick(r, []string{"Water point", "road", "water road", "point"}), i)
}

// randomPanel is one to four filters the client's panel can send in
// history mode: a text, the status, category and priority lookups, the
// staff picker and the reporter.
func randomPanel(r *rand.Rand) []grievance.Filter {
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	all := []func() grievance.Filter{
		func() grievance.Filter {
			return f("title", grievance.IContains, pick(r, []string{"water", "road", "oa", "point"}))
		},
		func() grievance.Filter {
			return f("description", grievance.IContains, pick(r, []string{"late pay", "water"}))
		},
		func() grievance.Filter {
			return f("status", grievance.IContains, pick(r, []string{"OPEN", "IN_PROGRESS", "E", "RES", "RECEIVED"}))
		},
		func() grievance.Filter {
			if r.IntN(2) == 0 {
				return f("category", grievance.Exact, pick(r, writeCategories))
			}
			return f("category", grievance.IContains, pick(r, []string{"secret", "an", "open"}))
		},
		func() grievance.Filter {
			if r.IntN(2) == 0 {
				return f("priority", grievance.Exact, pick(r, []string{"High", "Low"}))
			}
			return f("priority", grievance.IContains, pick(r, []string{"i", "l"}))
		},
		func() grievance.Filter {
			return f("attending_staff__id", grievance.Exact, pick(r, []string{staff.ID, ally.ID}))
		},
		func() grievance.Filter { return f("reporter_id", grievance.Exact, pick(r, textReporters)) },
	}
	var fs []grievance.Filter
	for _, i := range r.Perm(len(all))[:1+r.IntN(4)] {
		fs = append(fs, all[i]())
	}
	return fs
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func describe(fs []grievance.Filter) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, fmt.Sprintf("%s %s %q", f.Field, f.Lookup, f.Value))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

package grievance_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// nameIndex is a name index as the store keeps it, but of names set by
// the test, so that it can lag behind the records: Entries maps person
// ids to the last name the index still has for them. It returns the ids
// in id order, each once, as ScanNameParts promises.
type nameIndex struct {
	Entries map[string]string
}

func (nameIndex) ScanPeople(context.Context, grievance.PersonScan, func(*grievance.Person) (bool, error)) error {
	return nil
}

func (nameIndex) ScanProgrammes(context.Context, string, func(*grievance.Programme) (bool, error)) error {
	return nil
}

func (x *nameIndex) ScanNameParts(_ context.Context, q grievance.NamePartScan, fn func(string) (bool, error)) error {
	part := []rune(q.Part)
	if len(part) > grievance.NamePartRunes {
		part = part[:grievance.NamePartRunes] // what the index can match
	}
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range x.Entries {
			if !yield(id) {
				return
			}
		}
	}) {
		if strings.Contains(strings.ToLower(x.Entries[id]), string(part)) {
			if more, err := fn(id); !more || err != nil {
				return err
			}
		}
	}
	return nil
}

func pickerService(t *testing.T, people []grievance.Person, idx *nameIndex) (*grievance.Service, context.Context) {
	t.Helper()
	st := grievancetest.NewStore()
	st.AddPeople(people...)
	svc := grievance.NewService(st, grievancetest.NewClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), time.Millisecond).Now,
		grievancetest.IDs(), grievance.Options{Directory: idx})
	officer := &grievance.Principal{ID: "00000000-0000-4000-8000-0000000000aa", Username: "officer", Rights: map[string]bool{"127000": true}}
	return svc, grievance.NewContext(context.Background(), officer)
}

func pid(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// A name search shows only records whose name contains the text: an
// index entry that lags behind a rename, or that matches only the start
// of a text longer than the index keeps, never becomes a row, and a text
// that long is counted from checked records.
func TestSearchPeople_ChecksEveryRowAgainstTheRecord(t *testing.T) {
	long := strings.Repeat("x", grievance.NamePartRunes)
	people := []grievance.Person{
		{ID: pid(1), Type: grievance.PersonIndividual, LastName: "Soares", Phone: "+67077000001", Email: "a@example.org"},
		{ID: pid(2), Type: grievance.PersonIndividual, LastName: "Pereira"}, // was Soares
		{ID: pid(3), Type: grievance.PersonIndividual, LastName: "A" + long + "yz"},
		{ID: pid(4), Type: grievance.PersonIndividual, LastName: "B" + long + "qq"},
	}
	idx := &nameIndex{Entries: map[string]string{pid(1): "Soares", pid(2): "Soares", pid(3): people[2].LastName, pid(4): people[3].LastName}}
	svc, ctx := pickerService(t, people, idx)
	ten := 10
	tests := []struct {
		name      string
		text      string
		want      []string
		wantTotal int
	}{
		// The lagging entry is counted (the count reads ids only) but
		// not shown.
		{"lagging entry", "OARES", []string{pid(1)}, 2},
		{"longer than the index", long + "Y", []string{pid(3)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := svc.SearchPeople(ctx, grievance.PersonQuery{Type: grievance.PersonIndividual, Name: tt.text,
				Page: grievance.PageArgs{First: &ten}, WantCount: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range page.Items {
				got = append(got, p.ID)
				if p.Phone != "" || p.Email != "" {
					t.Fatalf("row %s shows phone or e-mail", p.ID)
				}
			}
			if !slices.Equal(got, tt.want) || page.TotalCount != tt.wantTotal {
				t.Fatalf("rows %v total %d, want %v total %d", got, page.TotalCount, tt.want, tt.wantTotal)
			}
		})
	}
}

package main

import (
	"fmt"
	"slices"
	"testing"
)

// Ensure each sortable column's order and the priority filter, served by
// the sort indexes in DynamoDB, give the rows the list's order gives: by
// value, ties newest first, both ways. They are the only readers of those
// indexes, so this test also records their queries for the permission
// check of infra/.
func TestTickets_SortIndexesOrderTheRows(t *testing.T) {
	e := newDynamoEnv(t)
	var codes []string
	for i, f := range []string{
		`title: "b", priority: "Low"`, `title: "a", priority: "High"`, `title: "c", priority: "Low"`, `title: "a", priority: "Medium"`,
	} {
		id := e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Default", dueDate: "2026-12-0%d", %s`, 4-i%2, f))
		codes = append(codes, code(t, e, id))
	}
	list := func(args string) []string {
		var out []string
		for _, n := range nodes(e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(first: 3, %s) { totalCount edges { node { code } } } }`, args)), "tickets") {
			out = append(out, fmt.Sprint(n["code"]))
		}
		return out
	}
	c := func(i ...int) []string {
		var out []string
		for _, n := range i {
			out = append(out, codes[n])
		}
		return out
	}
	for _, tc := range []struct {
		args string
		want []string
	}{
		{`orderBy: ["title"]`, c(3, 1, 0)},
		{`orderBy: ["-title"]`, c(2, 0, 3)},
		{`orderBy: ["priority"]`, c(1, 2, 0)},
		{`orderBy: ["-priority"]`, c(3, 2, 0)},
		{`orderBy: ["status"]`, c(3, 2, 1)},
		{`orderBy: ["-category"]`, c(3, 2, 1)},
		{`orderBy: ["dueDate"]`, c(3, 1, 2)},
		{`orderBy: ["-dueDate"]`, c(2, 0, 3)},
		{`priority: "Low", orderBy: ["-dateCreated"]`, c(2, 0)},
	} {
		if got := list(tc.args); !slices.Equal(got, tc.want) {
			t.Errorf("tickets(%s) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

func code(t *testing.T, e *env, id string) string {
	t.Helper()
	ns := nodes(e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(id: %q) { edges { node { code } } } }`, id)), "tickets")
	if len(ns) != 1 {
		t.Fatalf("ticket %s: %v", id, ns)
	}
	return fmt.Sprint(ns[0]["code"])
}

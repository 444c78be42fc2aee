package grievance

import (
	"fmt"
	"slices"
)

// SortIndexed are the orders the store keeps an index for besides ticket
// number (the web client's sortable columns): a list in one of them reads a
// page from the index instead of sorting every row in memory.
var SortIndexed = []string{"priority", "status", "category", "title", "due_date", "reporter_id", "version", "attending_staff"}

// SortValue is the text a ticket sorts by on field, as the index stores
// it: the same order the in-memory sort gives (the version zero-padded, so
// that text order is number order).
func SortValue(t *Ticket, field string) string {
	s, n := ticketOrderValue(t, field)
	if field == "version" {
		return fmt.Sprintf("%010d", n)
	}
	return s
}

// TicketOrder is the list order of one orderBy key: field's value
// ascending or descending, ties newest ticket first in either direction.
func TicketOrder(field string, desc bool) func(a, b *Ticket) int {
	return compareTickets([]orderKey{{field, desc}})
}

// sortIndexFor returns the field whose index serves order for reader g, or
// "" when none does: the order must be one indexed key, and no category
// may hide that field from the reader, because the index orders by the
// stored value and the rows shown would betray where a hidden value sorts.
func sortIndexFor(order []orderKey, g *guard) string {
	if len(order) != 1 || !slices.Contains(SortIndexed, order[0].field) || g.mayHide(maskedAs(order[0].field)) {
		return ""
	}
	return order[0].field
}

// maskedAs is the anonymizable field a filter or order field reads
// (reporter_id reads the reporter, which a category may hide).
func maskedAs(field string) string {
	if f, ok := filterField[field]; ok {
		return f
	}
	return field
}

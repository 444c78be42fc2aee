package grievance

import "slices"

// SortIndexed are the orders the store keeps an index for besides ticket
// number (the web client's sortable columns): a list in one of them reads a
// page from the index instead of sorting every row in memory.
var SortIndexed = []string{"priority", "status", "category", "title", "due_date"}

// SortValue is the text a ticket sorts by on field, as the index stores
// it: the same text the in-memory sort compares.
func SortValue(t *Ticket, field string) string {
	s, _ := ticketOrderValue(t, field)
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
	if len(order) != 1 || !slices.Contains(SortIndexed, order[0].field) || g.mayHide(order[0].field) {
		return ""
	}
	return order[0].field
}

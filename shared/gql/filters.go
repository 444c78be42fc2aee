package gql

import (
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/redress-grm/redress/shared/grievance"
)

// filterArg is one django-filter style argument: its GraphQL name and type
// and the domain filter it becomes.
type filterArg struct {
	name   string
	typ    graphql.Input
	field  string // domain field, e.g. "attending_staff__username"
	lookup grievance.Lookup
	id     bool // the value is an id: global ids are accepted too
}

// filterBase is a row of the filter tables: a base argument name, its type
// and the lookup suffixes it takes ("" is the exact lookup).
type filterBase struct {
	name     string
	typ      graphql.Input
	suffixes []string
}

var textSuffixes = []string{"", "Istartswith", "Icontains", "Iexact"}

// ticketFilterBases are openIMIS's ticket filters (§8.4) that make sense
// without openIMIS's core tables: the IUser/Officer lookups on the
// attending staff are left out.
func ticketFilterBases() []filterBase {
	bases := []filterBase{
		{"id", graphql.ID, []string{"", "Isnull"}},
		{"version", graphql.Int, []string{""}},
	}
	for _, n := range []string{"key", "code", "title", "description", "priority", "category", "flags", "channel", "resolution"} {
		bases = append(bases, filterBase{n, graphql.String, textSuffixes})
	}
	return append(bases,
		filterBase{"status", ticketStatusScalar, textSuffixes},
		filterBase{"reporterId", graphql.String, []string{""}},
		filterBase{"dueDate", dateScalar, textSuffixes},
		filterBase{"dateOfIncident", dateScalar, textSuffixes},
		filterBase{"dateCreated", dateTimeScalar, textSuffixes},
		filterBase{"attendingStaff_Id", graphql.ID, []string{""}},
		filterBase{"attendingStaff_Username", graphql.String, []string{"", "Icontains"}},
	)
}

func commentFilterBases() []filterBase {
	bases := []filterBase{
		{"id", graphql.ID, []string{"", "Isnull"}},
		{"comment", graphql.String, textSuffixes},
		{"dateCreated", dateTimeScalar, textSuffixes},
		{"isResolution", graphql.Boolean, []string{""}},
	}
	// Every ticket filter again, on the comment's ticket: ticket_Id,
	// ticket_Title_Icontains, ticket_AttendingStaff_Username, …
	for _, b := range ticketFilterBases() {
		b.name = "ticket_" + strings.ToUpper(b.name[:1]) + b.name[1:]
		bases = append(bases, b)
	}
	return bases
}

// expandFilters turns table rows into arguments.
func expandFilters(bases []filterBase) []filterArg {
	var out []filterArg
	for _, b := range bases {
		for _, suf := range b.suffixes {
			name, typ := b.name, b.typ
			if suf != "" {
				name += "_" + suf
			}
			if suf == "Isnull" {
				typ = graphql.Boolean
			}
			field, lookup := argToFilter(name)
			out = append(out, filterArg{name: name, typ: typ, field: field, lookup: lookup,
				id: typ == graphql.ID})
		}
	}
	return out
}

var lookupSuffixes = map[string]grievance.Lookup{
	"Istartswith": grievance.IStartsWith,
	"Icontains":   grievance.IContains,
	"Iexact":      grievance.IExact,
	"Isnull":      grievance.IsNull,
}

// argToFilter maps an argument name to the domain field and lookup, undoing
// graphene's to_camel_case: parts separated by "_" are Django's "__"
// path separators, each part is camelCase for a snake_case name, and a
// trailing lookup part names the lookup. title_Icontains → (title,
// icontains); attendingStaff_Username_Icontains →
// (attending_staff__username, icontains); ticket_Id → (ticket__id, exact).
func argToFilter(name string) (string, grievance.Lookup) {
	parts := strings.Split(name, "_")
	lookup := grievance.Exact
	if n := len(parts); n > 1 {
		if l, ok := lookupSuffixes[parts[n-1]]; ok {
			lookup = l
			parts = parts[:n-1]
		}
	}
	for i, p := range parts {
		parts[i] = grievance.Snake(p)
	}
	return strings.Join(parts, "__"), lookup
}

// addFilterArgs declares the filter arguments on args.
func addFilterArgs(args graphql.FieldConfigArgument, defs []filterArg) graphql.FieldConfigArgument {
	for _, d := range defs {
		args[d.name] = &graphql.ArgumentConfig{Type: d.typ}
	}
	return args
}

// filtersFrom returns the domain filters for the arguments sent. Empty
// values are passed on: the domain ignores them as openIMIS does.
func filtersFrom(args map[string]any, defs []filterArg) []grievance.Filter {
	var out []grievance.Filter
	for _, d := range defs {
		v, ok := args[d.name]
		if !ok {
			continue
		}
		if s, isStr := v.(string); isStr && d.id {
			v = rawID(s)
		}
		out = append(out, grievance.Filter{Field: d.field, Lookup: d.lookup, Value: v})
	}
	return out
}

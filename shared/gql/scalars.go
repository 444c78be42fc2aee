package gql

import (
	"strings"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/redress-grm/redress/shared/grievance"
)

// The scalars below keep openIMIS's names and output formats. Their inputs
// are deliberately lenient (any string): a malformed date or UUID in a
// mutation must land in the mutation log as openIMIS clients expect, and
// filters accept partial values (dueDate_Icontains: "2024-11"); the domain
// validates every value where it matters.

// stringLiteral returns the text of a string literal, or nil.
func stringLiteral(v ast.Value) any {
	if s, ok := v.(*ast.StringValue); ok {
		return s.Value
	}
	return nil
}

func stringValue(v any) any {
	switch x := v.(type) {
	case string:
		return x
	case *string:
		if x != nil {
			return *x
		}
	}
	return nil
}

// serializeText renders optional text: "" is null.
func serializeText(v any) any {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return x
	case *string:
		if x == nil || *x == "" {
			return nil
		}
		return *x
	}
	return nil
}

func textScalar(name, desc string) *graphql.Scalar {
	return graphql.NewScalar(graphql.ScalarConfig{
		Name:         name,
		Description:  desc,
		Serialize:    serializeText,
		ParseValue:   stringValue,
		ParseLiteral: stringLiteral,
	})
}

var (
	dateScalar = textScalar("Date", `A date, "YYYY-MM-DD".`)
	uuidScalar = textScalar("UUID", "A UUID, canonical lower-case form on output.")
	// jsonStringScalar carries JSON text: outputs are already-encoded JSON
	// (openIMIS's json.dumps of the value), inputs are JSON text.
	jsonStringScalar = textScalar("JSONString", "JSON text.")

	dateTimeScalar = graphql.NewScalar(graphql.ScalarConfig{
		Name:        "DateTime",
		Description: "An ISO-8601 date-time without zone (UTC), microseconds when non-zero.",
		Serialize: func(v any) any {
			switch x := v.(type) {
			case time.Time:
				if x.IsZero() {
					return nil
				}
				return grievance.FormatDateTime(x)
			case string:
				return serializeText(x)
			}
			return nil
		},
		ParseValue:   stringValue,
		ParseLiteral: stringLiteral,
	})
)

// statusScalar is a lenient stand-in for openIMIS's TicketStatus enums. The
// openIMIS client sends statuses as enum literals (status_Icontains: OPEN,
// status: IN_PROGRESS) while other clients quote them; both are accepted and
// checked against the five statuses (strings in any case). An empty string
// is accepted so that a cleared filter ("") is ignored, as openIMIS ignores
// empty filter values.
func statusScalar(name string) *graphql.Scalar {
	parse := func(s string, literal bool) any {
		if s == "" {
			return ""
		}
		if !literal {
			s = strings.ToUpper(s)
		}
		if _, err := grievance.ParseStatus(s); err != nil {
			return nil
		}
		return s
	}
	return graphql.NewScalar(graphql.ScalarConfig{
		Name:        name,
		Description: "A ticket status: RECEIVED, OPEN, IN_PROGRESS, RESOLVED or CLOSED (enum literal or string).",
		Serialize: func(v any) any {
			switch x := v.(type) {
			case grievance.Status:
				return string(x)
			case string:
				return x
			}
			return nil
		},
		ParseValue: func(v any) any {
			if s, ok := v.(string); ok {
				return parse(s, false)
			}
			return nil
		},
		ParseLiteral: func(v ast.Value) any {
			switch x := v.(type) {
			case *ast.EnumValue:
				return parse(x.Value, true)
			case *ast.StringValue:
				return parse(x.Value, false)
			}
			return nil
		},
	})
}

var (
	ticketStatusScalar     = statusScalar("TicketStatus")
	ticketStatusEnumScalar = statusScalar("TicketStatusEnum")
)

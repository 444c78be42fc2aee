package gql_test

import (
	"fmt"
	"strings"
)

// attack is a family of hostile documents: doc(n) repeats its hostile
// part n times.
type attack struct {
	name string
	doc  func(n int) string
}

// fill returns doc(n) for the largest n whose document fits in size bytes.
func (a attack) fill(size int) string {
	lo, hi := 1, 1
	for len(a.doc(hi)) <= size {
		lo, hi = hi, hi*2
	}
	for lo+1 < hi {
		m := (lo + hi) / 2
		if len(a.doc(m)) <= size {
			lo = m
		} else {
			hi = m
		}
	}
	return a.doc(lo)
}

func rep(s string, n int) string { return strings.Repeat(s, n) }

// attacks are the hostile document shapes the limits must bound.
var attacks = []attack{
	{"nested_list_values", func(n int) string {
		return `{ tickets(orderBy: ` + rep("[", n) + `"title"` + rep("]", n) + `) { totalCount } }`
	}},
	{"nested_object_values", func(n int) string {
		return `mutation { createTicket(input: ` + rep("{a:", n) + "1" + rep("}", n) + `) { internalId } }`
	}},
	{"nested_object_values_string_arg", func(n int) string {
		return `{ tickets(title: ` + rep("{a:", n) + "1" + rep("}", n) + `) { totalCount } }`
	}},
	{"long_list_value", func(n int) string {
		return `{ tickets(orderBy: [` + rep(`"title",`, n) + `]) { totalCount } }`
	}},
	{"long_list_of_objects", func(n int) string {
		return `{ tickets(orderBy: [` + rep(`{a:1},`, n) + `]) { totalCount } }`
	}},
	{"duplicate_arguments", func(n int) string {
		return `{ tickets(` + rep("first:1,", n) + `) { totalCount } }`
	}},
	{"unknown_arguments", func(n int) string {
		return `{ tickets(` + rep("a:1,", n) + `) { totalCount } }`
	}},
	{"nested_inline_fragments", func(n int) string {
		return `{ ` + rep("...on Query{", n) + `__typename` + rep("}", n) + ` }`
	}},
	{"nested_untyped_inline_fragments", func(n int) string {
		return `{ ` + rep("...{", n) + `__typename` + rep("}", n) + ` }`
	}},
	{"unknown_fragment_spreads", func(n int) string {
		return `{ __typename ` + rep("...F,", n) + ` }`
	}},
	{"repeated_fragment_spreads", func(n int) string {
		return `{ ` + rep("...F,", n) + ` } fragment F on Query { __typename }`
	}},
	{"fragment_chain", func(n int) string {
		var b strings.Builder
		b.WriteString(`{ ...F0 }`)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, " fragment F%d on Query{...F%d}", i, i+1)
		}
		fmt.Fprintf(&b, " fragment F%d on Query{__typename}", n)
		return b.String()
	}},
	{"unused_fragments", func(n int) string {
		var b strings.Builder
		b.WriteString(`{ __typename }`)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, " fragment F%d on Query{...F%d}", i, i)
		}
		return b.String()
	}},
	{"directives", func(n int) string {
		return `{ __typename ` + rep("@skip(if:false)", n) + ` }`
	}},
	{"unknown_directives", func(n int) string {
		return `{ __typename ` + rep("@a", n) + ` }`
	}},
	{"variable_definitions", func(n int) string {
		var b strings.Builder
		b.WriteString("query(")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "$v%d:Int,", i)
		}
		b.WriteString(`) { __typename }`)
		return b.String()
	}},
	{"duplicate_variable_definitions", func(n int) string {
		return "query(" + rep("$v:Int,", n) + `) { tickets(first:$v) { totalCount } }`
	}},
	{"variable_usages", func(n int) string {
		return `query($v:String) { tickets(orderBy: [` + rep("$v,", n) + `]) { totalCount } }`
	}},
	{"undefined_variables", func(n int) string {
		return `{ tickets(orderBy: [` + rep("$v,", n) + `]) { totalCount } }`
	}},
	{"nested_list_variable_default", func(n int) string {
		return `query($v:[String]=` + rep("[", n) + `"a"` + rep("]", n) + `) { tickets(orderBy: $v) { totalCount } }`
	}},
	{"anonymous_operations", func(n int) string {
		return rep("{__typename}", n)
	}},
	{"wrong_inline_fragments", func(n int) string {
		return `{ ` + rep("...on Mutation{", n) + `__typename` + rep("}", n) + ` }`
	}},
	{"errors_after_padding", func(n int) string {
		return "#" + rep("x", 200000) + "\n" + rep("\n", n) + `{ tickets(` + rep("a:1,", n) + `) { totalCount } }`
	}},
	{"newlines_and_errors", func(n int) string {
		return `{ tickets(` + rep("a:1\n", n) + `) { totalCount } }`
	}},
}

var syntaxAttacks = []attack{
	{"syntax_error_after_spaces", func(n int) string { return "{ tickets " + rep(" ", n) + ") }" }},
	{"syntax_error_after_string", func(n int) string { return `{ tickets(title: "` + rep("x", n) + `" ) }` }},
	{"syntax_error_after_newlines", func(n int) string { return "{ tickets " + rep("\n", n) + ") }" }},
	{"syntax_error_after_brackets", func(n int) string { return "{ tickets(a: " + rep("[", n) + ") }" }},
}

func init() { attacks = append(attacks, syntaxAttacks...) }

func init() {
	attacks = append(attacks,
		attack{"syntax_error_after_long_string", func(n int) string { return `{ tickets(title: "` + rep("x", n) + `" ]) }` }},
		attack{"syntax_error_after_adjacent_strings", func(n int) string { return `{ tickets(orderBy: [` + rep(`"a"`, n) + `) }` }},
		attack{"syntax_error_in_long_block_string", func(n int) string { return `{ tickets(title: """` + rep("\n", n) + "\x01" + `""") }` }},
		attack{"syntax_error_after_long_name", func(n int) string { return `{ ` + rep("a", n) + ` ) }` }},
	)
}

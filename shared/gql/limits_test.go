package gql_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/location"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
	"github.com/graphql-go/graphql/language/visitor"
	"github.com/graphql-go/graphql/testutil"

	"github.com/redress-grm/redress/shared/gql"
)

func withLimits(l gql.Limits) envOption { return func(o *gql.Options) { o.Limits = l } }

func withSuggestions(o *gql.Options) { o.FieldSuggestions = true }

// limitErr asserts a 400 whose first error has code and a message
// containing want.
func limitErr(tb testing.TB, res *result, code, want string) {
	tb.Helper()
	if res.status != 400 || len(res.Errors) == 0 {
		tb.Fatalf("status=%d, want 400 with errors: %s", res.status, res.raw)
	}
	if got := res.Errors[0].Extensions["code"]; got != code {
		tb.Fatalf("code=%v, want %s: %s", got, code, res.raw)
	}
	if !strings.Contains(res.Errors[0].Message, want) {
		tb.Fatalf("message=%q, want it to contain %q", res.Errors[0].Message, want)
	}
	if res.Errors[0].Extensions["requestId"] != "req-test" {
		tb.Fatalf("no request id: %s", res.raw)
	}
	if strings.Contains(res.raw, `"data"`) {
		tb.Fatalf("limit error with data: %s", res.raw)
	}
}

// Documents at the default depth limit (10) and one past it.
const (
	depth10 = `{ comments(first: 1) { edges { node { ticket { commentSet(first: 1) { edges { node { ticket { userCreated { username } } } } } } } } } }`
	depth11 = `{ comments(first: 1) { edges { node { ticket { commentSet(first: 1) { edges { node { ticket { commentSet(first: 1) { pageInfo { hasNextPage } } } } } } } } } } }`
)

func TestLimits_ClientDocumentsPass(t *testing.T) {
	// Ensure the web client's documents and the standard introspection
	// query pass the default limits.
	e := newEnv(t, withIntrospection)
	id := e.createTicket(t, `category: "Default", title: "x"`)
	e.ok(t, reader, clientTicketList)
	e.ok(t, reader, strings.Replace(clientTicketList, "first: 10", "first: 100", 1))
	e.ok(t, admin, fmt.Sprintf(clientComments, id))
	e.ok(t, reader, testutil.IntrospectionQuery)
}

func TestLimits_Depth(t *testing.T) {
	e := newEnv(t)
	// Ensure a document at the limit passes and one level more is refused.
	e.ok(t, admin, depth10)
	res := e.do(t, admin, depth11, nil)
	limitErr(t, res, "LIMIT_EXCEEDED", "nests fields 11 deep; the limit is 10")

	// Ensure fragments count where they are spread.
	res = e.do(t, admin, `{ comments(first: 1) { edges { node { ...T } } } }
		fragment T on CommentGQLType { ticket { commentSet(first: 1) { edges { node { ticket { commentSet(first: 1) { edges { node { id } } } } } } } } }`, nil)
	limitErr(t, res, "LIMIT_EXCEEDED", "nests fields 12 deep")

	// Ensure the limit is configurable.
	small := newEnv(t, withLimits(gql.Limits{MaxDepth: 3}))
	small.ok(t, reader, `{ tickets { totalCount pageInfo { hasNextPage } } }`)
	limitErr(t, small.do(t, reader, `{ tickets { edges { node { id } } } }`, nil), "LIMIT_EXCEEDED", "the limit is 3")

	// Ensure the introspection query gets its own depth where introspection
	// is on, and a deep __type query is still bounded.
	on := newEnv(t, withIntrospection)
	on.ok(t, reader, testutil.IntrospectionQuery)
	deep := "name"
	for i := 0; i < 15; i++ { // __type, 15 levels, name: 17 deep
		deep = fmt.Sprintf([]string{"fields { %s }", "type { %s }"}[i%2], deep)
	}
	deep = fmt.Sprintf(`{ __type(name: "TicketGQLType") { %s } }`, deep)
	limitErr(t, on.do(t, reader, deep, nil), "LIMIT_EXCEEDED", "the limit is 15")
}

func TestLimits_Cost(t *testing.T) {
	e := newEnv(t)
	// Ensure 100 tickets × 100 comments × 2 fields is refused, with the
	// cost by the documented model (2 + 100 × (3 + 100 × 3))…
	three := `{ tickets { edges { node { commentSet { edges { node { id comment } } } } } } }`
	limitErr(t, e.do(t, admin, three, nil), "LIMIT_EXCEEDED", "would cost 30302; the limit is 25000")
	// …and passes when first asks for fewer rows.
	e.ok(t, admin, strings.Replace(three, "tickets", "tickets(first: 2)", 1))
	// Ensure first above the maximum or a variable counts as 100.
	limitErr(t, e.do(t, admin, strings.Replace(three, "tickets", "tickets(first: 5000)", 1), nil), "LIMIT_EXCEEDED", "would cost")
	res := e.do(t, admin, `query ($n: Int) `+strings.Replace(three, "tickets", "tickets(first: $n)", 1), map[string]any{"n": 1})
	limitErr(t, res, "LIMIT_EXCEEDED", "would cost")

	// Ensure the limit is configurable and every node counts: the
	// client's 10-row list costs tickets 1 + its arguments 5 (first, 10,
	// orderBy, the list and its item) + totalCount 1 + pageInfo 5 + edges
	// (1 + 10 × (node 1 + 25 fields + attendingStaff's 2)) = 293 by the
	// documented model.
	e2 := newEnv(t, withLimits(gql.Limits{MaxCost: 293}))
	e2.ok(t, reader, clientTicketList)
	e3 := newEnv(t, withLimits(gql.Limits{MaxCost: 292}))
	limitErr(t, e3.do(t, reader, clientTicketList, nil), "LIMIT_EXCEEDED", "would cost 293; the limit is 292")
	// Ensure a negative limit turns it off.
	newEnv(t, withLimits(gql.Limits{MaxCost: -1})).ok(t, admin, three)
}

func TestLimits_FragmentBombs(t *testing.T) {
	e := newEnv(t)
	// Ensure fragments spreading fragments are refused quickly without
	// expanding them: 2^30 expansions by the chain's length, 8^9 within
	// the chain limit by cost.
	bomb := func(levels, fanout int) string {
		var b strings.Builder
		b.WriteString(`{ tickets(first: 1) { edges { node { ...F0 } } } }`)
		for i := 0; i < levels; i++ {
			fmt.Fprintf(&b, "\nfragment F%d on TicketGQLType { title %s}", i, strings.Repeat(fmt.Sprintf("...F%d ", i+1), fanout))
		}
		fmt.Fprintf(&b, "\nfragment F%d on TicketGQLType { title }", levels)
		return b.String()
	}
	for _, tc := range []struct {
		doc, want string
	}{
		{bomb(30, 2), "Fragments spread fragments more than 10 deep; the limit is 10."},
		{bomb(9, 8), "would cost"},
	} {
		done := make(chan *result, 1)
		go func() { done <- e.do(t, admin, tc.doc, nil) }()
		select {
		case res := <-done:
			limitErr(t, res, "LIMIT_EXCEEDED", tc.want)
		case <-time.After(30 * time.Second):
			t.Fatal("fragment bomb not refused within 30 s")
		}
	}
	// Ensure a fragment cycle is reported, not walked forever.
	res := e.do(t, admin, `{ tickets { edges { node { ...A } } } } fragment A on TicketGQLType { title ...B } fragment B on TicketGQLType { ...A }`, nil)
	if res.status != 400 || !strings.Contains(res.raw, "Cannot spread fragment") {
		t.Fatalf("got %s", res.raw)
	}
	// Ensure a second fragment of a name that spreads itself is refused:
	// NoFragmentCycles walks one definition per name and missed it, and
	// OverlappingFieldsCanBeMerged then overflowed the stack (found by
	// FuzzDo; it killed the process).
	for _, doc := range []string{
		`{ tickets { edges { node { ...A } } } } fragment A on TicketGQLType { title } fragment A on TicketGQLType { ...A }`,
		`{ tickets { edges { node { ...A } } } } fragment A on TicketGQLType { ...A } fragment A on TicketGQLType { title }`,
	} {
		res := e.do(t, admin, doc, nil)
		if res.status != 400 || !strings.Contains(res.raw, `There can only be one fragment named \"A\".`) {
			t.Fatalf("%s: got %d %s", doc, res.status, res.raw)
		}
	}
}

func TestLimits_FieldsAndAliases(t *testing.T) {
	e := newEnv(t)
	// Ensure a document of more fields than the limit is refused before
	// graphql-go's own (quadratic) rules see it.
	many := "{ tickets { edges { node { " + strings.Repeat("title ", 600) + "} } } }"
	limitErr(t, e.do(t, reader, many, nil), "LIMIT_EXCEEDED", "selects 603 fields; the limit is 500")

	// Ensure aliases beyond the limit are refused (alias batching).
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 11; i++ {
		fmt.Fprintf(&b, " a%d: tickets(first: 1) { totalCount }", i)
	}
	b.WriteString(" }")
	limitErr(t, e.do(t, reader, b.String(), nil), "LIMIT_EXCEEDED", "uses 11 aliases; the limit is 10")
	e.ok(t, reader, strings.Replace(b.String(), " a10: tickets(first: 1) { totalCount }", "", 1))
}

func TestLimits_Suggestions(t *testing.T) {
	// Ensure "Did you mean" hints are stripped unless enabled.
	for _, tc := range []struct {
		doc  string
		want string
	}{
		{`{ tickets { edges { node { titl } } } }`, `Cannot query field "titl" on type "TicketGQLType".`},
		{`{ tickets(titl: "x") { totalCount } }`, `Unknown argument "titl" on field "tickets" of type "Query".`},
		{`query ($x: Strin) { tickets(title: $x) { totalCount } }`, `Unknown type "Strin".`},
	} {
		res := newEnv(t).do(t, reader, tc.doc, nil)
		if res.status != 400 || res.Errors[0].Message != tc.want {
			t.Errorf("off: %q, want %q", res.Errors[0].Message, tc.want)
		}
		res = newEnv(t, withSuggestions).do(t, reader, tc.doc, nil)
		if !strings.Contains(res.Errors[0].Message, "Did you mean") {
			t.Errorf("on: %q lacks the suggestion", res.Errors[0].Message)
		}
	}
}

func TestLimits_IntrospectionOffCode(t *testing.T) {
	// Ensure introspection off answers with a code a client can match.
	res := newEnv(t).do(t, reader, testutil.IntrospectionQuery, nil)
	limitErr(t, res, "INTROSPECTION_DISABLED", "introspection is disabled")
}

func TestLimits_OncePerDocument(t *testing.T) {
	// Ensure validation (limits included) runs once per distinct document.
	var runs atomic.Int64
	count := func(ctx *graphql.ValidationContext) *graphql.ValidationRuleInstance {
		runs.Add(1)
		return &graphql.ValidationRuleInstance{VisitorOpts: &visitor.VisitorOptions{}}
	}
	e := newEnv(t, func(o *gql.Options) { o.Rules = []graphql.ValidationRuleFn{count} })
	for range 3 {
		e.ok(t, reader, clientTicketList)
	}
	if got := runs.Load(); got != 1 {
		t.Fatalf("validation ran %d times, want 1", got)
	}
}

func TestDo_DocumentsThatBreakTheValidator(t *testing.T) {
	// Ensure documents graphql-go parses but cannot validate (found by
	// FuzzHandle) are a 400, not a panic, and that the log line names the
	// document by hash, not by what a client typed into it.
	e := newEnv(t)
	for _, doc := range []string{`query($A:){A}`, `query($a:) { tickets { totalCount } }`,
		`mutation($a:) { createTicket(input: {title: "Beaten at the pay point"}) { clientMutationId } }`} {
		res := e.do(t, admin, doc, nil)
		if res.status != 400 || res.Errors[0].Message != "The document is malformed." {
			t.Fatalf("%s: %s", doc, res.raw)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, "pay point") || strings.Count(logs, "documentSHA256=") != 3 {
		t.Fatalf("logs: %s", logs)
	}
}

func TestLimits_DocumentShape(t *testing.T) {
	// Ensure the shapes that made graphql-go's parsing or validation
	// super-linear are refused before it runs, each by its own limit,
	// whatever the rights of the caller.
	e := newEnv(t)
	args := func(n int, arg string) string {
		return `{ tickets(` + strings.Repeat(arg+",", n) + `) { totalCount } }`
	}
	vars := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "$v%d: Int, ", i)
		}
		return "query(" + b.String() + ") { tickets { totalCount } }"
	}
	defs := func(n int) string {
		var b strings.Builder
		b.WriteString("{ ...F0 }")
		for i := range n {
			fmt.Fprintf(&b, " fragment F%d on Query { __typename }", i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"TokensBeforeParsing", args(6000, "a: 1"), "more than 10000 tokens; the limit is 10000"},
		{"BracketNestingBeforeParsing", `{ tickets(orderBy: ` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `) { totalCount } }`, "nests brackets more than 64 deep"},
		{"ValueNesting", `{ tickets(orderBy: [[[[[["title"]]]]]]) { totalCount } }`, "A list or object value nests more than 5 deep"},
		{"ObjectValueNesting", `mutation { createTicket(input: {a: {a: {a: {a: {a: {a: 1}}}}}}) { internalId } }`, "A list or object value nests more than 5 deep"},
		{"ValueSize", `{ tickets(orderBy: [` + strings.Repeat(`"title", `, 100) + `]) { totalCount } }`, "An argument value has 101 items; the limit is 100"},
		{"DuplicateArguments", args(101, "first: 1"), "A field or directive has 101 arguments; the limit is 100"},
		{"UnknownArguments", args(101, "a: 1"), "has 101 arguments; the limit is 100"},
		{"DirectiveArguments", `{ __typename @skip(` + strings.Repeat("if: false, ", 101) + `) }`, "has 101 arguments; the limit is 100"},
		{"InlineFragmentNesting", `{ ` + strings.Repeat("... on Query { ", 11) + `__typename` + strings.Repeat(" }", 11) + ` }`, "Inline fragments nest more than 10 deep"},
		{"UntypedInlineFragmentNesting", `{ ` + strings.Repeat("... { ", 11) + `__typename` + strings.Repeat(" }", 11) + ` }`, "Inline fragments nest more than 10 deep"},
		{"Definitions", defs(50), "The document has 51 operations and fragments; the limit is 50"},
		{"Variables", vars(51), "An operation declares 51 variables; the limit is 50"},
		{"Nodes", `{ ` + strings.Repeat("__typename @skip(if: false) ", 700) + `}`, "more than 2000 nodes"},
		{"Directives", `{ __typename ` + strings.Repeat("@skip(if: false) ", 6) + `}`, "A node has 6 directives; the limit is 5"},
		{"UnknownSpreads", `{ __typename ` + strings.Repeat("...F ", 101) + `}`, "more than 100 fragment spreads"},
		{"RepeatedSpreads", `{ ` + strings.Repeat("...F ", 101) + `} fragment F on Query { __typename }`, "more than 100 fragment spreads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limitErr(t, e.do(t, noRights, tc.doc, nil), "LIMIT_EXCEEDED", tc.want)
		})
	}
	// Ensure documents at each limit still reach graphql-go's own rules.
	if res := e.do(t, admin, `{ tickets(orderBy: [[[[["title"]]]]]) { totalCount } }`, nil); res.status != 400 || res.Errors[0].Extensions["code"] != nil {
		t.Errorf("value nested 5 deep: want graphql-go's own error, got %s", res.raw)
	}
	e.ok(t, admin, `{ tickets(orderBy: [`+strings.Repeat(`"title", `, 99)+`]) { totalCount } }`)
	e.ok(t, admin, `{ `+strings.Repeat("... on Query { ", 10)+`__typename`+strings.Repeat(" }", 10)+` }`)
}

func TestLimits_ErrorLocationsInLargeDocuments(t *testing.T) {
	// Ensure validation errors deep in a large document of many lines are
	// located as graphql-go locates them (line and column of the original
	// text) without scanning the document once per error.
	e := newEnv(t)
	pad := strings.Repeat("\n", 100000)
	var args strings.Builder
	for i := range 40 {
		fmt.Fprintf(&args, "a%d: 1\n", i)
	}
	doc := "#" + strings.Repeat("x", 100000) + pad + "{ tickets(\r\n" + args.String() + "  b: 2) { totalCount } }"
	before := allocated()
	res := e.do(t, admin, doc, nil)
	if n := allocated() - before; n > 32<<20 {
		t.Errorf("41 errors allocated %d MB", n>>20)
	}
	var got struct {
		Errors []struct {
			Locations []struct{ Line, Column int } `json:"locations"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(res.raw), &got); err != nil || len(got.Errors) != 41 {
		t.Fatalf("want 41 errors: %v %.500s", err, res.raw)
	}
	// graphql-go's own answer on the original text is the oracle.
	src := source.NewSource(&source.Source{Body: []byte(doc)})
	for _, i := range []int{0, 1, 20, 39, 40} {
		e := got.Errors[i]
		name := fmt.Sprintf("a%d: 1", i)
		if i == 40 {
			name = "b: 2"
		}
		l := location.GetLocation(src, strings.Index(doc, name))
		want := struct{ Line, Column int }{l.Line, l.Column}
		if len(e.Locations) != 1 || e.Locations[0] != want {
			t.Fatalf("error %d at %v, want %v", i, e.Locations, want)
		}
	}
}

func TestDo_SyntaxErrors(t *testing.T) {
	// Ensure syntax errors are located and described as graphql-go's own
	// parser does on the original text (without its source excerpt), and
	// that one in a large document costs little: graphql-go alone pads
	// its excerpt one column at a time, quadratic in the column.
	e := newEnv(t)
	for _, tc := range []struct {
		name, doc string
		large     bool
	}{
		{"EOF", `{ tickets(`, false},
		{"AfterComment", "{ tickets # (\n  (title: \"a\" ]) { totalCount } }", false},
		{"AfterLongName", "query Q { " + strings.Repeat("n", 40) + " ( }", false},
		{"CRLF", "{\r\n tickets(\r\n  title: \"a\"\r\n  ]) }", false},
		{"AfterStrings", `{ tickets(orderBy: ["a""b" "c"] title: """x""" ]) }`, false},
		{"Number", `{ tickets(first: 01) { totalCount } }`, false},
		{"AfterSpaces", "{ tickets " + strings.Repeat(" ", 200000) + ") }", true},
		{"AfterLineBreaks", "{ tickets " + strings.Repeat("\n", 200000) + ") }", true},
		{"AfterLongString", `{ tickets(title: "` + strings.Repeat("x", 200000) + `" ]) }`, true},
		{"AfterAdjacentStrings", `{ tickets(orderBy: [` + strings.Repeat(`"a"`, 3000) + `) }`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := allocated()
			res := e.do(t, noRights, tc.doc, nil)
			if n := allocated() - before; n > 32<<20 {
				t.Errorf("allocated %d MB", n>>20)
			}
			if res.status != 400 || len(res.Errors) != 1 {
				t.Fatalf("got %.300s", res.raw)
			}
			if tc.large {
				if !strings.HasPrefix(res.Errors[0].Message, "Syntax Error GraphQL (") {
					t.Fatalf("got %.300s", res.raw)
				}
				return
			}
			_, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(tc.doc), Name: "GraphQL"})})
			want, _, _ := strings.Cut(err.Error(), "\n\n")
			if res.Errors[0].Message != want {
				t.Fatalf("message %q, want %q", res.Errors[0].Message, want)
			}
		})
	}
}

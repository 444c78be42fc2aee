package gql_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/kinds"
	"github.com/graphql-go/graphql/language/visitor"

	"github.com/redress-grm/redress/shared/gql"
)

func TestDo_NullLiterals(t *testing.T) {
	// Ensure `<arg>: null` means "absent" wherever the client sends it,
	// and that "null" in strings and comments is left alone.
	e := newEnv(t)
	e.createTicket(t, `category: "Default", title: "null and void"`)
	e.createTicket(t, `category: "Default", title: "water", priority: "null"`)
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"OneNullArgument", `{ tickets(title_Icontains: null, orderBy: ["title"]) { edges { node { title } } } }`,
			[]string{"null and void", "water"}},
		// Every argument null: the parentheses go too (f() is invalid).
		{"AllArgumentsNull", `{ tickets(status_Icontains: null, code_Icontains: null) { edges { node { title } } } }`,
			[]string{"water", "null and void"}},
		{"NullBesideValue", `{ tickets(priority: null, title_Icontains: "wat") { edges { node { title } } } }`,
			[]string{"water"}},
		// The string "null" is a value, not the literal.
		{"StringNull", `{ tickets(priority: "null") { edges { node { title } } } }`, []string{"water"}},
		{"StringContainingNull", `{ tickets(title_Icontains: "null and") { edges { node { title } } } }`, []string{"null and void"}},
		{"BlockString", `{ tickets(title_Icontains: """null""") { edges { node { title } } } }`, []string{"null and void"}},
		{"Comment", "{ tickets(\n# priority: null\ntitle_Icontains: \"wat\") { edges { node { title } } } }", []string{"water"}},
		{"NonASCIIComment", "{ tickets(# ñull é\ntitle_Icontains: null, priority: \"null\") { edges { node { title } } } }", []string{"water"}},
		{"NonASCIIString", `{ tickets(title_Icontains: "é", priority: null) { edges { node { title } } } }`, nil},
		// graphql-go alone fails on a non-ASCII comment before a name.
		{"NonASCIICommentWithoutNull", "{ tickets(# é\npriority: \"null\") { edges { node { title } } } }", []string{"water"}},
		{"NullOnSubField", `{ tickets(title: "water") { edges { node { title commentSet(comment_Icontains: null) { totalCount } } } } }`,
			[]string{"water"}},
		{"VariableDefaultNull", `query Q($t: String = null) { tickets(title_Icontains: $t, priority: "null") { edges { node { title } } } }`,
			[]string{"water"}},
		{"AliasNamedNull", `{ null: tickets(priority: "null") { edges { node { title } } } }`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, admin, tc.doc, nil)
			if res.status != 200 || len(res.Errors) > 0 {
				t.Fatalf("got %s", res.raw)
			}
			field := "tickets"
			if tc.name == "AliasNamedNull" {
				field = "null"
				tc.want = []string{"water"}
			}
			if got := titles(nodes(t, res.Data, field)); !slices.Equal(got, tc.want) {
				t.Fatalf("titles=%v, want %v", got, tc.want)
			}
		})
	}
	t.Run("InputObjectField", func(t *testing.T) {
		// Ensure null fields of a mutation input are dropped.
		e.mustSucceed(t, admin, "createTicket", `category: "Default", title: "in", status: null, attendingStaffId: null`, "null-in")
	})
	t.Run("NullInListStillFails", func(t *testing.T) {
		// null inside a list is not "absent"; it stays a syntax error.
		res := e.do(t, reader, `{ tickets(orderBy: ["title", null]) { totalCount } }`, nil)
		if res.status != 400 || !strings.Contains(res.Errors[0].Message, `Unexpected Name "null"`) {
			t.Fatalf("got %s", res.raw)
		}
	})
}

func TestDo_ClientParsingRules(t *testing.T) {
	// Ensure the parsing rules the openIMIS client relies on (spec §8).
	e := newEnv(t)
	e.createTicket(t, `category: "Default", title: "a/b"`)
	for _, tc := range []struct {
		name, doc string
		vars      map[string]any
	}{
		{"Commas", `{ tickets { edges { node { title,,, code, } } } }`, nil},
		{"DuplicateFields", `{ tickets { edges { node { title title code title } } } }`, nil},
		{"UndeclaredVariables", `{ tickets { edges { node { title } } } }`, map[string]any{"searchString": "x", "first": 5}},
		{"EscapedSlash", `{ tickets(title: "a\/b") { edges { node { title } } } }`, nil},
		{"SingleStringForList", `{ tickets(orderBy: "-title") { edges { node { title } } } }`, nil},
		{"Variables", `query ($t: String, $n: Int) { tickets(title: $t, first: $n) { edges { node { title } } } }`,
			map[string]any{"t": "a/b", "n": float64(5)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, reader, tc.doc, tc.vars)
			if res.status != 200 || len(res.Errors) > 0 {
				t.Fatalf("got %s", res.raw)
			}
			if got := titles(nodes(t, res.Data, "tickets")); !slices.Equal(got, []string{"a/b"}) {
				t.Fatalf("titles=%v", got)
			}
		})
	}
}

func TestDo_DocumentErrors(t *testing.T) {
	// Ensure parse and validation errors answer 400 with errors only, each
	// with locations and the request id.
	e := newEnv(t)
	for _, tc := range []struct {
		name, doc, msg string
	}{
		{"Syntax", `{ tickets(`, "Syntax Error GraphQL (1:11) Expected Name, found EOF"},
		{"UnescapedQuote", `{ tickets(title: "say "hi"") { totalCount } }`, "Syntax Error GraphQL"},
		{"UnknownField", `{ tickets { edges { node { x } } } }`, `Cannot query field "x" on type "TicketGQLType".`},
		{"UnknownArgument", `{ tickets(isDeleted: false) { totalCount } }`, `Unknown argument "isDeleted" on field "tickets" of type "Query".`},
		{"StrIsNotOnTickets", `{ tickets(str: "x") { totalCount } }`, `Unknown argument "str"`},
		{"Empty", ``, "Must provide an operation."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, reader, tc.doc, nil)
			if res.status != 400 || res.Data != nil || len(res.Errors) == 0 {
				t.Fatalf("got %s", res.raw)
			}
			if !strings.HasPrefix(res.Errors[0].Message, tc.msg) {
				t.Fatalf("message=%q, want prefix %q", res.Errors[0].Message, tc.msg)
			}
			if strings.Contains(res.raw, `"data"`) || (tc.name != "Empty" && !strings.Contains(res.raw, `"locations"`)) {
				t.Fatalf("body %s", res.raw)
			}
			if res.Errors[0].Extensions["requestId"] != "req-test" {
				t.Fatalf("extensions=%v", res.Errors[0].Extensions)
			}
		})
	}
}

func TestDo_OperationName(t *testing.T) {
	e := newEnv(t)
	doc := `query A { tickets { totalCount } } query B { grievanceConfig { grievanceTypes } }`
	ctxDo := func(op string) (int, string) {
		res := e.srvDo(t, doc, op)
		return res.Status, string(res.Body)
	}
	// Ensure the named operation runs.
	if st, body := ctxDo("B"); st != 200 || !strings.Contains(body, "grievanceTypes") || strings.Contains(body, "totalCount") {
		t.Fatalf("B: %d %s", st, body)
	}
	// Ensure an unusable request (no or unknown operation name) is a 400.
	for _, op := range []string{"", "C"} {
		if st, body := ctxDo(op); st != 400 || strings.Contains(body, `"data"`) {
			t.Fatalf("%q: %d %s", op, st, body)
		}
	}
}

func (e *testEnv) srvDo(tb testing.TB, query, op string) gql.Response {
	tb.Helper()
	ctx := gqlContext(reader)
	return e.srv.Do(ctx, gql.Request{Query: query, OperationName: op})
}

func TestDo_Introspection(t *testing.T) {
	off := newEnv(t)
	on := newEnv(t, withIntrospection)
	for _, q := range []string{`{ __schema { queryType { name } } }`, `{ __type(name: "TicketGQLType") { name } }`} {
		// Ensure introspection off gives a clear document error…
		res := off.do(t, reader, q, nil)
		if res.status != 400 || !strings.Contains(res.Errors[0].Message, "introspection is disabled") {
			t.Fatalf("off: %s", res.raw)
		}
		// …and on answers.
		if res := on.do(t, reader, q, nil); res.status != 200 || len(res.Errors) > 0 {
			t.Fatalf("on: %s", res.raw)
		}
	}
	// Ensure __typename works either way.
	d := off.ok(t, reader, `{ tickets { __typename edges { node { __typename } } } }`)
	if get(t, d, "tickets", "__typename") != "TicketGQLTypeConnection" {
		t.Fatalf("data=%v", d)
	}
}

func TestDo_IntrospectedTypeNames(t *testing.T) {
	// Ensure the type names and a few field types of spec Appendix A.
	e := newEnv(t, withIntrospection)
	for typ, fields := range map[string]map[string]string{
		"TicketGQLType": {"id": "ID!", "status": "TicketStatus!", "reporter": "JSONString", "reporterType": "Int",
			"userCreated": "UserGQLType!", "attendingStaff": "UserGQLType", "commentSet": "CommentGQLTypeConnection!",
			"dateCreated": "DateTime", "dateValidFrom": "DateTime!", "dueDate": "Date", "replacementUuid": "UUID", "isHistory": "Boolean"},
		"CommentGQLType":              {"ticket": "TicketGQLType!", "comment": "String!", "commenter": "JSONString", "commenterType": "Int"},
		"TicketGQLTypeConnection":     {"pageInfo": "PageInfo!", "edges": "[TicketGQLTypeEdge]!", "totalCount": "Int", "edgeCount": "Int"},
		"TicketGQLTypeEdge":           {"node": "TicketGQLType", "cursor": "String!"},
		"MutationLogGQLType":          {"status": "Int", "jsonContent": "String!", "requestDateTime": "DateTime!"},
		"CreateTicketMutationPayload": {"clientMutationId": "String", "internalId": "String"},
		"GrievanceTypeConfigurationGQLType": {"grievanceCategoryStaffRoles": "[AttendingStaffRoleGQLType]",
			"grievanceDefaultResolutionsByCategory": "[ResolutionTimesByCategoryGQLType]"},
	} {
		d := e.ok(t, reader, fmt.Sprintf(`{ __type(name: %q) { interfaces { name } fields { name type { kind name ofType { kind name ofType { kind name } } } } } }`, typ))
		got := map[string]string{}
		for _, f := range list(t, d, "__type", "fields") {
			fm := f.(map[string]any)
			got[fm["name"].(string)] = typeString(fm["type"].(map[string]any))
		}
		for name, want := range fields {
			if got[name] != want {
				t.Errorf("%s.%s: %s, want %s", typ, name, got[name], want)
			}
		}
	}
	d := e.ok(t, reader, `{ __type(name: "TicketGQLType") { interfaces { name } } }`)
	if got := fmt.Sprint(get(t, d, "__type", "interfaces")); got != "[map[name:Node]]" {
		t.Errorf("interfaces=%s", got)
	}
}

func typeString(t map[string]any) string {
	switch t["kind"] {
	case "NON_NULL":
		return typeString(t["ofType"].(map[string]any)) + "!"
	case "LIST":
		return "[" + typeString(t["ofType"].(map[string]any)) + "]"
	}
	return t["name"].(string)
}

func TestDo_PresenterHidesInternalErrors(t *testing.T) {
	// Ensure a storage failure reaches the client as "Internal error."
	// with code INTERNAL and the request id, and the log has the cause.
	e := newEnv(t)
	e.createTicket(t, `category: "Default", title: "x"`)
	e.store.Fail = func(op string) error {
		if op == "ScanTickets" || op == "People" {
			return errors.New("operation error DynamoDB: Query, https response error StatusCode: 400, api error ValidationException: arn:aws:dynamodb:secret")
		}
		return nil
	}
	for _, q := range []string{
		`{ tickets { totalCount } }`,
		`{ comments { edges { node { commenter userCreated { username } } } } tickets(id: "00000000-0000-4000-8000-000000000002") { edges { node { reporter userCreated { username } } } } }`,
	} {
		res := e.do(t, reader, q, nil)
		if res.status != 200 || len(res.Errors) == 0 {
			t.Fatalf("got %s", res.raw)
		}
		for _, er := range res.Errors {
			if er.Message != "Internal error." && er.Extensions["code"] != "FORBIDDEN" {
				t.Errorf("message=%q", er.Message)
			}
			if er.Extensions["requestId"] != "req-test" {
				t.Errorf("extensions=%v", er.Extensions)
			}
		}
		if strings.Contains(res.raw, "DynamoDB") || strings.Contains(res.raw, "arn:") {
			t.Fatalf("internal text leaked: %s", res.raw)
		}
	}
	if !strings.Contains(e.logs.String(), "ValidationException") || !strings.Contains(e.logs.String(), "requestId=req-test") {
		t.Fatalf("log lacks cause or request id:\n%s", e.logs)
	}
}

func TestDo_ValidationRulesHook(t *testing.T) {
	// Ensure extra validation rules run (the hook for query limits).
	noComments := func(ctx *graphql.ValidationContext) *graphql.ValidationRuleInstance {
		return &graphql.ValidationRuleInstance{VisitorOpts: &visitor.VisitorOptions{
			KindFuncMap: map[string]visitor.NamedVisitFuncs{kinds.Field: {Kind: func(p visitor.VisitFuncParams) (string, any) {
				if f, ok := p.Node.(*ast.Field); ok && f.Name.Value == "commentSet" {
					ctx.ReportError(gqlerrors.NewError("commentSet is limited here.", []ast.Node{f}, "", nil, []int{}, nil))
				}
				return visitor.ActionNoChange, nil
			}}},
		}}
	}
	e := newEnv(t, func(o *gql.Options) { o.Rules = []graphql.ValidationRuleFn{noComments} })
	res := e.do(t, reader, `{ tickets { edges { node { commentSet { totalCount } } } } }`, nil)
	if res.status != 400 || res.Errors[0].Message != "commentSet is limited here." {
		t.Fatalf("got %s", res.raw)
	}
	e.ok(t, reader, `{ tickets { totalCount } }`)
}

func TestDo_SameDocumentTwice(t *testing.T) {
	// Ensure a cached document gives the same answers (errors included).
	e := newEnv(t)
	for range 2 {
		if res := e.do(t, reader, `{ tickets { totalCount } }`, nil); res.status != 200 {
			t.Fatalf("got %s", res.raw)
		}
		if res := e.do(t, reader, `{ tickets { nope } }`, nil); res.status != 400 {
			t.Fatalf("got %s", res.raw)
		}
	}
}

func TestNew_RequiresService(t *testing.T) {
	if _, err := gql.New(nil, gql.Options{}); err == nil {
		t.Fatal("New(nil) succeeded")
	}
}

func TestDo_Concurrent(t *testing.T) {
	// Ensure one cached document serves concurrent requests (run with -race).
	e := newEnv(t)
	e.createTicket(t, waterTicket)
	done := make(chan string)
	for range 8 {
		go func() {
			res := e.srv.Do(gqlContext(reader), gql.Request{Query: clientTicketList})
			done <- fmt.Sprint(res.Status)
		}()
	}
	for range 8 {
		if st := <-done; st != "200" {
			t.Fatalf("status %s", st)
		}
	}
}

package gql_test

import (
	"os"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"

	"github.com/redress-grm/redress/shared/gql"
)

const schemaFile = "../../docs/schema.graphql"

// Ensure docs/schema.graphql is the schema the API serves: client
// developers and code generators read the file instead of running the
// stack, so a schema change without regenerating it fails here.
// Regenerate with: UPDATE_SCHEMA=1 go test ./shared/gql -run SchemaFile
func TestSchemaFile_MatchesServedSchema(t *testing.T) {
	want := gql.PrintSchema(newEnv(t).srv.Schema())
	if os.Getenv("UPDATE_SCHEMA") != "" {
		if err := os.WriteFile(schemaFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s differs from the served schema (first difference at line %d); regenerate it with\n  UPDATE_SCHEMA=1 go test ./shared/gql -run SchemaFile",
			schemaFile, firstDiffLine(string(got), want))
	}
}

// Ensure the printed schema is valid SDL that names every root field, so
// the committed file is usable by tools and not just stable text.
func TestPrintSchema_ParsesAndListsEveryRootField(t *testing.T) {
	s := newEnv(t).srv.Schema()
	sdl := gql.PrintSchema(s)
	doc, err := parser.Parse(parser.ParseParams{Source: sdl})
	if err != nil {
		t.Fatalf("printed schema does not parse: %v", err)
	}
	declared := map[string]map[string]bool{}
	for _, d := range doc.Definitions {
		if o, ok := d.(*ast.ObjectDefinition); ok {
			fields := map[string]bool{}
			for _, f := range o.Fields {
				fields[f.Name.Value] = true
			}
			declared[o.Name.Value] = fields
		}
	}
	roots := map[string]graphql.FieldDefinitionMap{"Query": s.QueryType().Fields(), "Mutation": s.MutationType().Fields()}
	for root, fields := range roots {
		for n := range fields {
			if !declared[root][n] {
				t.Errorf("%s.%s missing from the printed schema", root, n)
			}
		}
	}
	if !strings.Contains(sdl, "interface Node {") {
		t.Error("Node interface missing from the printed schema")
	}
}

func firstDiffLine(a, b string) int {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}

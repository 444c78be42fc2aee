package directory_test

import (
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The import logic stays as free of adapters as the domain it feeds: its
// production files import the standard library and package grievance only,
// so the importer function and the local command share it without AWS.
func TestDirectory_ImportsOnlyTheStandardLibraryAndTheDomain(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	ctx := build.Default
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if path == "github.com/redress-grm/redress/shared/grievance" {
				continue
			}
			if p, err := ctx.Import(path, "", build.FindOnly); err != nil || !p.Goroot {
				t.Errorf("%s imports %s, which is neither the standard library nor the domain", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no production files found")
	}
}

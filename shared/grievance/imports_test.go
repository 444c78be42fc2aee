package grievance_test

import (
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The domain must stay free of AWS, GraphQL and every other adapter so that
// its rules read, and test, without them. Test files may import helpers of
// this module (grievancetest), production files only the standard library.
func TestGrievance_ImportsOnlyTheStandardLibrary(t *testing.T) {
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
		// Every file counts, whatever its build constraints: a tag must
		// not hide an import from this test.
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if !standard(&ctx, path) {
				t.Errorf("%s imports %s, which is not in the standard library", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no production files found: the test runs in the wrong directory")
	}
}

// standard reports whether path is a standard library package: one that
// the Go installation itself provides.
func standard(ctx *build.Context, path string) bool {
	if path == "C" {
		return false
	}
	p, err := ctx.Import(path, "", build.FindOnly)
	return err == nil && p.Goroot
}

// Ensure the check refuses what it must: a module dependency, this module's
// own adapters and cgo.
func TestStandard_RefusesNonStandardImports(t *testing.T) {
	ctx := build.Default
	for _, path := range []string{"fmt", "encoding/json", "net/http"} {
		if !standard(&ctx, path) {
			t.Errorf("%s taken for non-standard", path)
		}
	}
	for _, path := range []string{"github.com/google/uuid", "github.com/redress-grm/redress/shared/store", "C", "no/such/package"} {
		if standard(&ctx, path) {
			t.Errorf("%s taken for standard", path)
		}
	}
}

package lambdabuild_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/redress-grm/redress/infra/lambdabuild"
)

// TestBuild_IsReproducible: two builds of the same source into different
// folders give the same bytes, hence the same CDK asset hash (a hash of
// the asset folder's files): a deploy replaces a function's code only
// when its code changed.
func TestBuild_IsReproducible(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	a, b := t.TempDir(), t.TempDir()
	for _, out := range []string{a, b} {
		if err := lambdabuild.Build(context.Background(), root, out, "tasks"); err != nil {
			t.Fatal(err)
		}
	}
	x, err := os.ReadFile(filepath.Join(a, "tasks", "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(filepath.Join(b, "tasks", "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Fatalf("two builds differ (%d and %d bytes): the asset hash would change without a code change", len(x), len(y))
	}
	if !bytes.HasPrefix(x, []byte("\x7fELF")) {
		t.Fatal("bootstrap is not an ELF executable")
	}
	// The size target of docs/performance.md §6, which a function without
	// html/template meets only while the linker can drop unused methods.
	if max := 20 << 20; len(x) >= max {
		t.Errorf("tasks bootstrap is %.1f MB, target < %d MB: is grpcnotrace still in Flags, google.golang.org/protobuf at v1.36 or later? (docs/deploy.md, \"Tracing\")",
			float64(len(x))/(1<<20), max>>20)
	}
}

func TestFunctions_ListsEveryMainPackage(t *testing.T) {
	got, err := lambdabuild.Functions(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	// Every function the stack deploys must be found, and nothing that
	// is not a main package may be.
	for _, want := range []string{"authorizer", "graphql", "history", "sla", "tasks"} {
		if !slices.Contains(got, want) {
			t.Errorf("Functions=%v lacks %s", got, want)
		}
	}
	for _, name := range got {
		src, err := os.ReadFile(filepath.Join("..", "..", "functions", name, "main.go"))
		if err != nil || !bytes.Contains(src, []byte("package main")) {
			t.Errorf("Functions lists %s, which is no main package (%v)", name, err)
		}
	}
}

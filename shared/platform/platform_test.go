package platform_test

import (
	"log/slog"
	"testing"

	"github.com/redress-grm/redress/shared/platform"
)

func TestLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "INFO": slog.LevelInfo, " warn ": slog.LevelWarn,
		"error": slog.LevelError, "": slog.LevelInfo, "verbose": slog.LevelInfo,
	} {
		if got := platform.Level(in); got != want {
			t.Errorf("Level(%q)=%v, want %v", in, got, want)
		}
	}
}

func TestBoolAndInt(t *testing.T) {
	t.Setenv("X_BOOL", "true")
	t.Setenv("X_BAD", "maybe")
	t.Setenv("X_INT", "42")
	t.Setenv("X_NEG", "-3")
	if !platform.Bool("X_BOOL", false) || platform.Bool("X_BAD", false) || !platform.Bool("X_UNSET", true) {
		t.Fatal("Bool")
	}
	if platform.Int("X_INT", 1) != 42 || platform.Int("X_NEG", 7) != 7 || platform.Int("X_UNSET", 9) != 9 {
		t.Fatal("Int")
	}
}

// Ensure settings read from a given environment: a missing required one
// is an error naming it, limits keep negative numbers and read garbage as 0.
func TestEnv_RequiredAndLimit(t *testing.T) {
	env := platform.Env(func(name string) string {
		return map[string]string{"BUS": "b", "MAX": "-1", "BAD": "x", "N": "12"}[name]
	})
	if v, err := env.Required("BUS"); v != "b" || err != nil {
		t.Fatalf("Required(BUS)=%q, %v", v, err)
	}
	if _, err := env.Required("MISSING"); err == nil || err.Error() != "environment variable MISSING is not set" {
		t.Fatalf("Required(MISSING) err=%v", err)
	}
	if env.Limit("MAX") != -1 || env.Limit("BAD") != 0 || env.Limit("UNSET") != 0 || env.Limit("N") != 12 {
		t.Fatal("Limit")
	}
}

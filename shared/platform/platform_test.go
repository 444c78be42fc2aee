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

package grievance

import (
	"testing"
	"time"
)

// What a container remembers is forgotten after searchRateTTL, and past
// its bound it starts again empty rather than growing.
func TestRecent_ForgetsAfterTheTTLAndPastItsBound(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	var r recent[int]
	r.put("a", 1, at, 2)
	if v, ok := r.get("a", at.Add(searchRateTTL-time.Second)); !ok || v != 1 {
		t.Errorf("within the TTL: %d, %v; want 1, true", v, ok)
	}
	if _, ok := r.get("a", at.Add(searchRateTTL)); ok {
		t.Error("at the TTL: still remembered")
	}
	if v, ok := r.within("a", at.Add(searchRateTTL), time.Hour); !ok || v != 1 {
		t.Errorf("within an hour, asked for: %d, %v; want 1, true", v, ok)
	}
	r.put("b", 2, at, 2)
	r.put("c", 3, at, 2) // a third key past the bound of 2
	if _, ok := r.get("a", at); ok {
		t.Error("past the bound: the first key still remembered")
	}
	if v, ok := r.get("c", at); !ok || v != 3 {
		t.Errorf("past the bound, the key put: %d, %v; want 3, true", v, ok)
	}
}

package grievance_test

import (
	"context"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// grievanceConfig for a signed-out caller: only when the configuration
// says anonymous_grievance_config; a signed-in caller still needs the
// ticket-query right whatever the key says.
func TestReaderConfig_AnonymousOnlyWhenConfigured(t *testing.T) {
	viewer := &grievance.Principal{ID: "00000000-0000-4000-a000-000000000004", Rights: map[string]bool{grievance.RightQueryTickets: true}}
	norights := &grievance.Principal{ID: "00000000-0000-4000-a000-000000000005", Rights: map[string]bool{}}
	for _, tc := range []struct {
		name string
		doc  string
		p    *grievance.Principal
		want grievance.Code // "" for success
	}{
		{"anonymous, key unset", ``, nil, grievance.CodeUnauthenticated},
		{"anonymous, key false", `{"anonymous_grievance_config": false}`, nil, grievance.CodeUnauthenticated},
		{"anonymous, key true", `{"anonymous_grievance_config": true}`, nil, ""},
		{"signed in with the right", ``, viewer, ""},
		{"signed in without the right, key true", `{"anonymous_grievance_config": true}`, norights, grievance.CodeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := grievancetest.NewStore()
			if tc.doc != "" {
				st.SetConfigDocument([]byte(tc.doc))
			}
			clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
			svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{})
			ctx := context.Background()
			if tc.p != nil {
				ctx = grievance.NewContext(ctx, tc.p)
			}
			_, err := svc.ReaderConfig(ctx)
			if got := grievance.ErrorCode(err); got != tc.want {
				t.Fatalf("code %q, want %q (%v)", got, tc.want, err)
			}
		})
	}
}

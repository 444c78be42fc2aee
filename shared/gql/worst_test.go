package gql_test

import (
	"fmt"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

// worstSizes are the document sizes of BenchmarkWorstDocuments: about
// 1 KB, 8 KB (near the node limits) and the largest query a 256 KB
// request body holds.
var worstSizes = []int{1 << 10, 8 << 10, 250 << 10}

// BenchmarkWorstDocuments sends each hostile document shape at 1 KB and
// at the body limit, as a signed-in user with no rights; every iteration
// is a distinct document (a trailing comment), so none is served from the
// prepared-document cache. docs/reliability.md reports the worst.
func BenchmarkWorstDocuments(b *testing.B) {
	e := newEnv(b)
	ctx := gqlContext(noRights)
	for _, a := range attacks {
		for _, size := range worstSizes {
			doc := a.fill(size - 16)
			b.Run(fmt.Sprintf("%s/%dKB", a.name, size>>10), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					i++
					if res := e.srv.Do(ctx, gqlRequest(fmt.Sprintf("%s\n#%d", doc, i))); res.Status != 200 && res.Status != 400 {
						b.Fatalf("status %d: %.300s", res.Status, res.Body)
					}
				}
			})
		}
	}
}

// noRights is a signed-in user without any right: the attacker of
// issue #12.
var noRights = &grievance.Principal{ID: carolID, Username: "carol"}

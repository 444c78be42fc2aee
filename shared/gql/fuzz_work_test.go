package gql_test

import (
	"runtime/metrics"
	"testing"
)

// maxWorkBytes bounds the memory one document may allocate while it is
// prepared and answered. Allocation stands in for CPU here: graphql-go's
// super-linear paths (printing nested values into messages, locating
// errors, comparing fields) all allocate as they go, while a wall-clock
// bound would flake on a busy machine. The client's largest documents
// allocate well under 1 MB; the hostile documents of issue #12 allocated
// hundreds of MB to GB at 1 KB.
const maxWorkBytes = 32 << 20

func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// FuzzValidationWork sends arbitrary documents as a signed-in user with no
// rights and fails when one document costs more than maxWorkBytes of
// allocation: every document is accepted or refused in bounded work.
func FuzzValidationWork(f *testing.F) {
	for _, a := range attacks {
		f.Add(a.fill(1 << 10))
	}
	f.Add(clientTicketList)
	e := newEnv(f)
	ctx := gqlContext(noRights)
	f.Fuzz(func(t *testing.T, doc string) {
		before := allocated()
		res := e.srv.Do(ctx, gqlRequest(doc))
		if n := allocated() - before; n > maxWorkBytes {
			t.Fatalf("document of %d bytes allocated %d MB (status %d), more than %d MB: %.200q", len(doc), n>>20, res.Status, maxWorkBytes>>20, doc)
		}
	})
}

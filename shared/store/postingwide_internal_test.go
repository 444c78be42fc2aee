package store

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// A wide item gives back the blocks it was made of (an emptied block
// leaves it), and bytes that are not one are an error, never a panic.
func TestDecodeWidePosting_RoundTripsAndRejectsWhatIsNotOne(t *testing.T) {
	dense, sparse, empty := &block{}, &block{}, &block{}
	for o := range uint16(3000) {
		dense.set(o*5, true)
	}
	sparse.set(7, true)
	sparse.set(16383, true)
	enc := encodeWidePosting(map[int64]*block{0: dense, 5: sparse, 9: empty})
	got, err := decodeWidePosting(enc)
	if err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, []int64{0, 5}) {
		t.Fatalf("blocks %v, want [0 5] (the empty one left out)", keys)
	}
	if *got[0] != *dense || *got[5] != *sparse {
		t.Error("the blocks' members differ from those encoded")
	}
	if len(enc) >= 1+blockSize/8 {
		t.Errorf("%d bytes: a regular dense block should deflate below its bitmap's %d", len(enc), blockSize/8)
	}
	twice := deflated(append(append([]byte{0, 3}, sparse.encode()[:3]...), 0, 3, 1, 0, 7))
	for name, b := range map[string][]byte{
		"narrow block":  dense.encode(),
		"truncated":     enc[:len(enc)/2],
		"length past":   deflated([]byte{1, 200, 1, 0}),
		"huge block":    deflated([]byte{0xff, 0xff, 0xff, 0xff, 0x0f, 1, 1}),
		"bad block tag": deflated([]byte{1, 1, 9}),
		"block twice":   twice,
	} {
		if _, err := decodeWidePosting(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// Any wide item: no panic, and what decodes encodes to what decodes to
// the same blocks.
func FuzzDecodeWidePosting(f *testing.F) {
	b := &block{}
	b.set(1, true)
	f.Add(encodeWidePosting(map[int64]*block{3: b}))
	f.Add([]byte{tagDeflated})
	f.Fuzz(func(t *testing.T, enc []byte) {
		blocks, err := decodeWidePosting(enc)
		if err != nil {
			return
		}
		again, err := decodeWidePosting(encodeWidePosting(blocks))
		if err != nil {
			t.Fatal(err)
		}
		for n, blk := range blocks {
			if blk.count() == 0 {
				continue
			}
			if got := again[n]; got == nil || *got != *blk {
				t.Fatalf("block %d differs after a round trip", n)
			}
		}
	})
}

// A full wide item, at any density, stays within what its writes are
// said to cost: 8 blocks of ≤ 2,049 bytes and deflate's framing, about
// 16 KiB (≤ 17 WCU), far below DynamoDB's 400 KB; and deflate makes the
// nearly full ones small (nearly empty blocks are lists of offsets). go test -v logs the sizes
// (docs/data-model.md, "Sealed postings").
func TestWidePosting_StaysWithinItsWriteBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const bound = 17 * 1024
	for _, p := range []float64{0.001, 0.01, 0.1, 0.3, 0.5, 0.9, 0.99, 1} {
		blocks := map[int64]*block{}
		narrow := 0
		for b := range wideBlocks {
			blk := &block{}
			for o := range blockSize {
				if rng.Float64() < p {
					blk.set(uint16(o), true)
				}
			}
			blocks[b] = blk
			narrow += len(blk.encode())
		}
		wide := len(encodeWidePosting(blocks))
		t.Logf("density %5.3f: %d narrow items of %6d bytes in all, one wide item of %6d bytes", p, wideBlocks, narrow, wide)
		if wide > bound {
			t.Errorf("density %.3f: a wide item of %d bytes, over %d", p, wide, bound)
		}
		if p >= 0.99 && wide > narrow/4 {
			t.Errorf("density %.3f: %d bytes deflated from %d", p, wide, narrow)
		}
	}
}

package store

import (
	"bytes"
	"compress/flate"
	"math/rand/v2"
	"testing"
)

// A wide block gives back the numbers it was made of, in either packing,
// and stays small for the numbers a column holds.
func TestEncodeWide_RoundTripsAndStaysSmall(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name    string
		number  func(i int) uint16
		maxSize int
	}{
		{"unknown", func(int) uint16 { return 0 }, 64},
		{"history rows, three versions", func(int) uint16 { return 3 * 8 }, 128},
		{"history rows, mixed", func(int) uint16 { return uint16(8*(1+r.IntN(4)) + 2*r.IntN(2)) }, 8 << 10},
		{"counts of a value", func(int) uint16 { return uint16(r.IntN(3)) }, 5 << 10},
		{"due days over half a year", func(i int) uint16 {
			if r.IntN(3) == 0 {
				return 1
			}
			return uint16(20_700 + i*180/colBlockSize + []int{7, 14, 30}[r.IntN(3)])
		}, 12 << 10},
		{"due days over years (two bytes a ticket)", func(i int) uint16 { return uint16(19_000 + r.IntN(2_000)) }, 34 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b [colBlockSize]uint16
			for i := range b {
				b[i] = tc.number(i)
			}
			enc := encodeWide(&b)
			if len(enc) > tc.maxSize {
				t.Errorf("%d bytes, want at most %d", len(enc), tc.maxSize)
			}
			got, err := decodeWide(enc)
			if err != nil {
				t.Fatal(err)
			}
			if *got != b {
				t.Error("decoded numbers differ")
			}
		})
	}
}

// A corrupt wide block is an error, whatever it inflates to.
func TestDecodeWide_RejectsCorruptBlocks(t *testing.T) {
	deflate := func(b []byte) []byte {
		var buf bytes.Buffer
		buf.WriteByte(tagDeflated)
		w, _ := flate.NewWriter(&buf, flate.BestCompression)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	for name, enc := range map[string][]byte{
		"narrow tag":       {tagBytes, 0, 0},
		"not deflate":      {tagDeflated, 0xff, 0xff, 0xff},
		"short block":      deflate(append([]byte{tagBytes, 0, 0}, make([]byte, 100)...)),
		"unknown packing":  deflate(append([]byte{9}, make([]byte, colBlockSize)...)),
		"inflates too far": deflate(make([]byte, 64*colBlockSize)),
	} {
		if _, err := decodeWide(enc); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func FuzzDecodeWide(f *testing.F) {
	var b [colBlockSize]uint16
	f.Add(encodeWide(&b))
	b[7], b[9000] = 40, 3000
	f.Add(encodeWide(&b))
	f.Fuzz(func(t *testing.T, enc []byte) {
		got, err := decodeWide(enc)
		if err != nil {
			return
		}
		// What decodes encodes to the same numbers.
		again, err := decodeWide(encodeWide(got))
		if err != nil || *again != *got {
			t.Fatalf("re-encoded block differs: %v", err)
		}
	})
}

// mixedRows is a block of history rows of mixed versions and flags.
func mixedRows() *[colBlockSize]uint16 {
	r := rand.New(rand.NewPCG(3, 4))
	var b [colBlockSize]uint16
	for i := range b {
		b[i] = uint16(8*(1+r.IntN(4)) + 2*r.IntN(2))
	}
	return &b
}

func BenchmarkEncodeWide(b *testing.B) {
	blk := mixedRows()
	b.ReportAllocs()
	for b.Loop() {
		encodeWide(blk)
	}
}

func BenchmarkDecodeWide(b *testing.B) {
	enc := encodeWide(mixedRows())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeWide(enc); err != nil {
			b.Fatal(err)
		}
	}
}

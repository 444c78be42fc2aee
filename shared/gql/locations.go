package gql

import (
	"bytes"
	"sort"
	"sync"

	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/location"
)

// lineIndex turns the positions graphql-go records into line and column.
//
// Why: graphql-go v0.8.1 locates every error (validation and execution
// alike) by compiling a regular expression and matching it over the whole
// document (location.GetLocation), so each error costs time in the size of
// the document and its line count: 56 ms for one error in 256 KB of line
// breaks. prepare detaches the body from the parsed document once it has
// parsed, which makes graphql-go's answer {1, position+1}; lineIndex then
// maps the position back with the same rules (lines end at \r\n, \n or
// \r) after one scan of the document, built on the first error.
type lineIndex struct {
	body  []byte
	once  sync.Once
	ends  []int // offset just past each line break
	start []int // offset of each line break
}

func newLineIndex(body []byte) *lineIndex { return &lineIndex{body: body} }

func (x *lineIndex) build() {
	n := bytes.Count(x.body, []byte{'\n'}) + bytes.Count(x.body, []byte{'\r'})
	x.start, x.ends = make([]int, 0, n), make([]int, 0, n)
	for i := 0; i < len(x.body); i++ {
		switch x.body[i] {
		case '\r':
			n := 1
			if i+1 < len(x.body) && x.body[i+1] == '\n' {
				n = 2
			}
			x.start = append(x.start, i)
			x.ends = append(x.ends, i+n)
			i += n - 1
		case '\n':
			x.start = append(x.start, i)
			x.ends = append(x.ends, i+1)
		}
	}
}

// locate returns what location.GetLocation would have answered for pos
// over the whole body.
func (x *lineIndex) locate(pos int) location.SourceLocation {
	x.once.Do(x.build)
	// Line breaks that start before pos.
	n := sort.SearchInts(x.start, pos)
	if n == 0 {
		return location.SourceLocation{Line: 1, Column: pos + 1}
	}
	return location.SourceLocation{Line: n + 1, Column: pos + 1 - x.ends[n-1]}
}

// fix rewrites the detached locations ({1, position+1}) of errs.
func (x *lineIndex) fix(errs []gqlerrors.FormattedError) {
	if x == nil {
		return
	}
	for i := range errs {
		for j, l := range errs[i].Locations {
			if l.Line == 1 && l.Column >= 1 {
				errs[i].Locations[j] = x.locate(l.Column - 1)
			}
		}
	}
}

// locateOnce is locate for a single position, without an index.
func locateOnce(body []byte, pos int) location.SourceLocation {
	line, lineStart := 1, 0
	for i := 0; i < len(body) && i < pos; i++ {
		switch body[i] {
		case '\r':
			if i+1 < len(body) && body[i+1] == '\n' {
				i++
			}
			fallthrough
		case '\n':
			line, lineStart = line+1, i+1
		}
	}
	return location.SourceLocation{Line: line, Column: pos + 1 - lineStart}
}

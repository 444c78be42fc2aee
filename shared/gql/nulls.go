package gql

import (
	"strings"

	"github.com/graphql-go/graphql/language/lexer"
	"github.com/graphql-go/graphql/language/source"
)

// stripNullArguments blanks out arguments and input-object fields whose
// value is the null literal, and "= null" variable defaults.
//
// Why: the openIMIS client sends `<filter>: null` after a person clears a
// picker, and graphql-go v0.8.1's parser rejects the null literal. For a
// nullable argument, null and absent mean the same, so removing them keeps
// the meaning. The pass follows graphql-go's own tokens, so "null" inside
// strings, block strings and comments is never touched (a regex over the
// text could not tell). Removed bytes become spaces, line breaks are kept,
// so locations in later error messages still point at the right place.
// An argument list left empty is blanked with its parentheses, since
// `f()` is a syntax error. null inside a list value is left alone (its
// meaning differs from absence); such documents still fail to parse. On any
// lexing error the query is returned unchanged and the parser reports it.
//
// The same pass blanks comments that contain non-ASCII text: graphql-go
// v0.8.1 mixes rune and byte offsets there and then misreads the next name
// (`{ a(# é⏎ b: 1) }` fails with "Expected :, found Name"). Comments mean
// nothing, so blanking them is always safe.
func stripNullArguments(query string) string {
	if !strings.Contains(query, "null") && !(strings.Contains(query, "#") && !isASCII(query)) {
		return query
	}
	body := []byte(query)
	cuts, ok := nullCuts(body)
	if !ok || len(cuts) == 0 {
		return query
	}
	for _, c := range cuts {
		for i := c.from; i < c.to; i++ {
			if body[i] != '\n' && body[i] != '\r' {
				body[i] = ' '
			}
		}
	}
	return string(body)
}

// span is a byte range [from, to) of the document.
type span struct{ from, to int }

type frameKind int

const (
	frameSelection frameKind = iota // { … } of fields
	frameArgs                       // ( … ) of a field or directive
	frameVarDefs                    // ( … ) of an operation's variables
	frameObject                     // { … } input object value
	frameList                       // [ … ] list value
)

type frame struct {
	kind  frameKind
	open  int // byte offset of the opening token
	kept  int // arguments kept (frameArgs)
	nulls int // arguments removed (frameArgs)
	// removed are the cuts made inside this argument list, superseded
	// when the whole list goes.
	removed []span
}

// tok is a lexer token with byte offsets.
type tok struct {
	kind       lexer.TokenKind
	value      string
	start, end int
}

// nullCuts returns the byte ranges to blank. It drives graphql-go's lexer
// with explicit byte offsets: v0.8.1 reports NAME tokens in rune offsets,
// which drift from byte offsets after non-ASCII text in a comment, so the
// offsets of each token are recomputed here.
func nullCuts(body []byte) ([]span, bool) {
	src := source.NewSource(&source.Source{Body: body})
	next := lexer.Lex(src)
	pos := 0
	var cuts []span
	read := func() (tok, bool) {
		start := skipIgnored(body, pos, func(c span) {
			if !isASCII(string(body[c.from:c.to])) {
				cuts = append(cuts, c)
			}
		})
		t, err := next(pos)
		if err != nil {
			return tok{}, false
		}
		end := t.End
		switch t.Kind {
		case lexer.NAME:
			end = start + len(t.Value) // names are ASCII
		case lexer.EOF:
			end = len(body)
		}
		pos = end
		return tok{kind: t.Kind, value: t.Value, start: start, end: end}, true
	}

	var (
		stack       []*frame
		expectValue bool
		nameStart   int // start of the last argument or field name
		eqStart     int // start of the last "=" of a variable default
		prev, prev2 tok // the two previous tokens
	)
	top := func() *frame {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	push := func(k frameKind, at int) { stack = append(stack, &frame{kind: k, open: at}) }
	pop := func() *frame {
		if len(stack) == 0 {
			return nil
		}
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		return f
	}
	cut := func(s span) {
		if f := top(); f != nil && f.kind == frameArgs {
			f.removed = append(f.removed, s)
			f.nulls++
			return
		}
		cuts = append(cuts, s)
	}
	// value handles the first token of a value in the current frame.
	value := func(t tok) {
		f := top()
		switch t.kind {
		case lexer.NAME:
			if t.value != "null" || f == nil {
				break
			}
			switch f.kind {
			case frameArgs, frameObject:
				cut(span{nameStart, t.end})
				return
			case frameVarDefs:
				cut(span{eqStart, t.end})
				return
			}
		case lexer.BRACE_L:
			push(frameObject, t.start)
		case lexer.BRACKET_L:
			push(frameList, t.start)
		}
		if f != nil && f.kind == frameArgs {
			f.kept++
		}
	}

	for {
		t, ok := read()
		if !ok {
			return nil, false
		}
		if t.kind == lexer.EOF {
			break
		}
		f := top()
		switch {
		case expectValue:
			expectValue = false
			value(t)
		case f != nil && f.kind == frameList:
			if t.kind == lexer.BRACKET_R {
				pop()
				break
			}
			switch t.kind {
			case lexer.BRACE_L:
				push(frameObject, t.start)
			case lexer.BRACKET_L:
				push(frameList, t.start)
			}
		case f != nil && (f.kind == frameArgs || f.kind == frameObject):
			switch t.kind {
			case lexer.NAME:
				nameStart = t.start
			case lexer.COLON:
				expectValue = true
			case lexer.PAREN_R, lexer.BRACE_R:
				done := pop()
				if done.kind != frameArgs {
					break
				}
				if done.kept == 0 && done.nulls > 0 {
					// Every argument was null: drop the parentheses too.
					cuts = append(cuts, span{done.open, t.end})
				} else {
					cuts = append(cuts, done.removed...)
				}
			}
		case f != nil && f.kind == frameVarDefs:
			switch t.kind {
			case lexer.EQUALS:
				eqStart = t.start
				expectValue = true
			case lexer.PAREN_L: // directive arguments on a variable
				push(frameArgs, t.start)
			case lexer.PAREN_R:
				pop()
			}
		default: // selection set or top level
			switch t.kind {
			case lexer.BRACE_L:
				push(frameSelection, t.start)
			case lexer.BRACE_R:
				pop()
			case lexer.PAREN_L:
				directive := prev.kind == lexer.NAME && prev2.kind == lexer.AT
				if f == nil && !directive {
					push(frameVarDefs, t.start)
				} else {
					push(frameArgs, t.start)
				}
			}
		}
		prev2, prev = prev, t
	}
	return cuts, true
}

// skipIgnored returns the offset of the first byte at or after pos that is
// not whitespace, a comma, a BOM or inside a comment (GraphQL's "ignored
// tokens"), mirroring graphql-go's lexer. It reports each comment's span.
func skipIgnored(body []byte, pos int, comment func(span)) int {
	for pos < len(body) {
		switch c := body[pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			pos++
		case c == 0xEF && pos+2 < len(body) && body[pos+1] == 0xBB && body[pos+2] == 0xBF:
			pos += 3
		case c == '#':
			from := pos
			for pos < len(body) && body[pos] != '\n' && body[pos] != '\r' {
				pos++
			}
			comment(span{from, pos})
		default:
			return pos
		}
	}
	return pos
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

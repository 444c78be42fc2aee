package gql

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// syntaxCheck parses a compact copy of body (the document the parser will
// see) and, when it does not parse, returns its syntax error located in
// body.
//
// Why: graphql-go v0.8.1 renders a syntax error with the line around it,
// padding the caret with one string concatenation per column (quadratic:
// 3.4 s for an error at column 65,000) after matching a regular
// expression over the whole document twice (56 ms for 256 KB of line
// breaks). The compact copy has the same tokens with every run of
// whitespace and comments shrunk to one byte, strings and long names
// replaced by short ones of the same kind, and a line break at least
// every 80 bytes or so, so that its error costs little; only the
// position is kept from it and the message is rebuilt for body. A copy
// that parses means body parses too: they differ only where graphql-go's
// grammar does not look.
func syntaxCheck(body []byte) ([]gqlerrors.FormattedError, bool) {
	c, bad := compact(body)
	if bad >= 0 {
		return []gqlerrors.FormattedError{syntaxError(body, bad, "Invalid or unterminated string.")}, false
	}
	if len(c.text) > 0 && c.long {
		return []gqlerrors.FormattedError{limitError(CodeLimitExceeded, "A number in the document is longer than 100 characters.", nil)}, false
	}
	_, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: c.text, Name: "GraphQL"})})
	if err == nil {
		return nil, true
	}
	var ge *gqlerrors.Error
	if !errors.As(err, &ge) || len(ge.Positions) == 0 {
		return gqlerrors.FormatErrors(err), false
	}
	desc := ge.Message
	if i := strings.Index(desc, ") "); i >= 0 {
		desc = desc[i+2:]
	}
	if i := strings.Index(desc, "\n\n"); i >= 0 {
		desc = desc[:i]
	}
	return []gqlerrors.FormattedError{syntaxError(body, c.original(ge.Positions[0]), desc)}, false
}

func syntaxError(body []byte, pos int, desc string) gqlerrors.FormattedError {
	loc := locateOnce(body, pos)
	fe := gqlerrors.FormattedError{Message: fmt.Sprintf("Syntax Error GraphQL (%d:%d) %s", loc.Line, loc.Column, desc)}
	fe.Locations = append(fe.Locations, loc)
	return fe
}

// compacted is the compact copy and where each of its tokens came from.
type compacted struct {
	text []byte
	// from[i] is the compact offset of a token, to[i] its offset in the
	// document; exact[i] tells whether the token was copied as it is
	// (offsets inside it map one to one).
	from, to []int
	exact    []bool
	end      int  // length of the document
	long     bool // a number longer than 100 bytes
}

// original maps an offset of the compact copy to the document.
func (c *compacted) original(pos int) int {
	i := sort.SearchInts(c.from, pos+1) - 1
	if i < 0 {
		return 0
	}
	if c.exact[i] {
		n := pos - c.from[i]
		next := c.end
		if i+1 < len(c.to) {
			next = c.to[i+1]
		}
		return min(c.to[i]+n, next)
	}
	return c.to[i]
}

// compact builds the compact copy of body; bad is the offset of a string
// graphql-go's lexer would refuse (-1 if none).
func compact(body []byte) (c compacted, bad int) {
	c.end = len(body)
	out := make([]byte, 0, min(len(body), 1<<16))
	line := 0 // bytes on the current line of out
	sep := byte(0)
	breakable := false // a separator may be added before the next token
	emit := func(orig int, tok []byte, exact bool) {
		if sep == 0 && breakable && line >= 80 {
			sep = '\n'
		}
		if sep != 0 {
			if line >= 80 {
				sep = '\n'
			}
			out = append(out, sep)
			line++
			if sep == '\n' {
				line = 0
			}
		}
		c.from = append(c.from, len(out))
		c.to = append(c.to, orig)
		c.exact = append(c.exact, exact)
		out = append(out, tok...)
		line += len(tok)
		sep = 0
	}
	for i := 0; i < len(body); {
		b := body[i]
		switch {
		case b == ' ' || b == '\t' || b == ',':
			if sep == 0 {
				sep = ' '
			}
			i++
		case b == '\n' || b == '\r':
			sep = '\n'
			i++
		case b == 0xEF && i+2 < len(body) && body[i+1] == 0xBB && body[i+2] == 0xBF:
			if sep == 0 {
				sep = ' '
			}
			i += 3
		case b == '#':
			// A comment ends at a line break, and at any control character
			// but tab, which the lexer then refuses.
			for i++; i < len(body) && (body[i] >= 0x20 || body[i] == '\t'); i++ {
			}
			if sep == 0 {
				sep = ' '
			}
		case b == '"':
			end, ok := scanString(body, i)
			if !ok {
				return c, i
			}
			tok := []byte(`""`)
			if end-i >= 6 && body[i+1] == '"' && body[i+2] == '"' {
				tok = []byte(`""""""`)
			}
			emit(i, tok, false)
			// Strings side by side would merge into a block string.
			sep, breakable = ' ', true
			i = end
		case b == '_' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z':
			j := i + 1
			for j < len(body) && isNameByte(body[j]) {
				j++
			}
			if j-i > 16 {
				// No keyword is this long: any other name parses alike.
				emit(i, []byte("longName"), false)
			} else {
				emit(i, body[i:j], true)
			}
			breakable = true
			i = j
		case b == '-' || b >= '0' && b <= '9':
			j := i + 1
			for j < len(body) && (isNameByte(body[j]) || body[j] == '.' || body[j] == '+' || body[j] == '-') {
				j++
			}
			if j-i > 100 {
				c.long = true
			}
			emit(i, body[i:j], true)
			// Where a number ends is the lexer's business: nothing is
			// added after it.
			breakable = false
			i = j
		default:
			n := 1
			if b >= 0x80 {
				// Copy a whole UTF-8 sequence (the parser refuses it).
				for n < 4 && i+n < len(body) && body[i+n]&0xC0 == 0x80 {
					n++
				}
			}
			emit(i, body[i:i+n], true)
			breakable = b != '.' && b < 0x80
			i += n
		}
	}
	if sep != 0 {
		out = append(out, sep)
	}
	c.from = append(c.from, len(out))
	c.to = append(c.to, len(body))
	c.exact = append(c.exact, false)
	c.text = out
	return c, -1
}

// scanString returns the end of the string or block string at i, and
// whether graphql-go's lexer accepts it.
func scanString(body []byte, i int) (int, bool) {
	if i+2 < len(body) && body[i+1] == '"' && body[i+2] == '"' {
		for j := i + 3; j < len(body); j++ {
			switch c := body[j]; {
			case c == '"' && j+2 < len(body) && body[j+1] == '"' && body[j+2] == '"':
				return j + 3, true
			case c == '\\' && j+3 < len(body) && body[j+1] == '"' && body[j+2] == '"' && body[j+3] == '"':
				j += 3
			case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
				return j, false
			}
		}
		return len(body), false
	}
	for j := i + 1; j < len(body); j++ {
		switch c := body[j]; {
		case c == '"':
			return j + 1, true
		case c == '\\':
			if j+1 >= len(body) {
				return j, false
			}
			switch body[j+1] {
			case '"', '/', '\\', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+5 >= len(body) || !isHex(body[j+2]) || !isHex(body[j+3]) || !isHex(body[j+4]) || !isHex(body[j+5]) {
					return j, false
				}
				j += 5
			default:
				return j, false
			}
		case c < 0x20 && c != '\t':
			return j, false
		}
	}
	return len(body), false
}

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

package gql

import (
	"fmt"

	"github.com/graphql-go/graphql/gqlerrors"
)

// prescan bounds the tokens and the bracket nesting of a document before
// graphql-go parses it. The parser recurses once per bracket (a 256 KB
// document of nested list literals took 230 ms to parse) and allocates
// per token, so a document the later limits refuse anyway is refused here
// at the cost of one pass over its bytes. It follows the lexical grammar
// only as far as needed to tell strings and comments (whose brackets do
// not count) from the rest; anything it does not recognise is left to the
// parser to report.
func prescan(body []byte, l Limits) (gqlerrors.FormattedError, bool) {
	l = l.withDefaults()
	tokens, depth, deepest := 0, 0, 0
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c >= 0x80:
			// Non-ASCII outside strings is the parser's to refuse; a BOM
			// is ignored like whitespace.
			i++
			continue
		case c == '#':
			for i < len(body) && body[i] != '\n' && body[i] != '\r' {
				i++
			}
			continue
		case c == '"':
			i = skipString(body, i)
		case c == '{' || c == '[' || c == '(':
			depth++
			deepest = max(deepest, depth)
			i++
		case c == '}' || c == ']' || c == ')':
			depth--
			i++
		case isNameByte(c) || c == '-':
			for i < len(body) && (isNameByte(body[i]) || body[i] == '-' || body[i] == '+' || body[i] == '.') {
				i++
			}
		case c == '.' && i+2 < len(body) && body[i+1] == '.' && body[i+2] == '.':
			i += 3
		default:
			i++
		}
		tokens++
		if l.MaxTokens > 0 && tokens > l.MaxTokens {
			return limitError(CodeLimitExceeded, fmt.Sprintf("The document has more than %d tokens; the limit is %d.", l.MaxTokens, l.MaxTokens), nil), false
		}
		if l.MaxNesting > 0 && deepest > l.MaxNesting {
			return limitError(CodeLimitExceeded, fmt.Sprintf("The document nests brackets more than %d deep; the limit is %d.", l.MaxNesting, l.MaxNesting), nil), false
		}
	}
	return gqlerrors.FormattedError{}, true
}

func isNameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// skipString returns the offset after the string or block string that
// starts at i (or where an unterminated one stops).
func skipString(body []byte, i int) int {
	if i+2 < len(body) && body[i+1] == '"' && body[i+2] == '"' {
		for j := i + 3; j < len(body); j++ {
			switch {
			case body[j] == '\\' && j+3 < len(body) && body[j+1] == '"' && body[j+2] == '"' && body[j+3] == '"':
				j += 3
			case body[j] == '"' && j+2 < len(body) && body[j+1] == '"' && body[j+2] == '"':
				return j + 3
			}
		}
		return len(body)
	}
	for j := i + 1; j < len(body); j++ {
		switch body[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		case '\n', '\r':
			return j
		}
	}
	return len(body)
}

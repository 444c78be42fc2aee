package gql

import (
	"fmt"

	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
)

// checkShape bounds the size and nesting of a parsed document before any
// graphql-go validation runs: its visitor and several specified rules are
// super-linear in argument values, duplicate or unknown arguments,
// directives, variables, fragment spreads and nested inline fragments (a
// 1 KB document of nested list literals cost seconds of CPU). The walk
// is its own plain recursion, linear in the document, and stops at the
// first limit it passes, so a hostile document costs no more than
// reading up to that point.
func checkShape(doc *ast.Document, l Limits) []gqlerrors.FormattedError {
	l = l.withDefaults()
	s := &shapeWalker{l: l, frags: map[string]*ast.FragmentDefinition{}, chains: map[string]int{}}
	if l.MaxDefinitions > 0 && len(doc.Definitions) > l.MaxDefinitions {
		e := limitError(CodeLimitExceeded, fmt.Sprintf("The document has %d operations and fragments; the limit is %d.", len(doc.Definitions), l.MaxDefinitions), nil)
		return []gqlerrors.FormattedError{e}
	}
	for _, def := range doc.Definitions {
		if f, ok := def.(*ast.FragmentDefinition); ok && f.Name != nil {
			s.frags[f.Name.Value] = f
		}
	}
	for _, def := range doc.Definitions {
		if s.err != nil {
			break
		}
		switch d := def.(type) {
		case *ast.OperationDefinition:
			s.node(d)
			if l.MaxVariables > 0 && len(d.VariableDefinitions) > l.MaxVariables {
				s.fail(d, "An operation declares %d variables; the limit is %d.", len(d.VariableDefinitions), l.MaxVariables)
				break
			}
			for _, v := range d.VariableDefinitions {
				s.node(v)
				if v != nil && v.DefaultValue != nil {
					s.argValue(v.DefaultValue)
				}
			}
			s.directives(d.Directives)
			s.selections(d.SelectionSet, 0)
		case *ast.FragmentDefinition:
			s.node(d)
			s.directives(d.Directives)
			s.selections(d.SelectionSet, 0)
			s.chain(d)
		default:
			s.node(d)
		}
	}
	if s.err != nil {
		return []gqlerrors.FormattedError{*s.err}
	}
	return nil
}

type shapeWalker struct {
	l     Limits
	frags map[string]*ast.FragmentDefinition
	// chains memoizes chain per fragment name.
	chains map[string]int
	nodes  int
	// spreads counts fragment spreads.
	spreads int
	err     *gqlerrors.FormattedError
}

func (s *shapeWalker) fail(node any, format string, args ...any) {
	if s.err == nil {
		e := limitError(CodeLimitExceeded, fmt.Sprintf(format, args...), node)
		s.err = &e
	}
}

// node counts one node; it reports false once a limit is passed.
func (s *shapeWalker) node(n any) bool {
	if s.err != nil {
		return false
	}
	s.nodes++
	if s.l.MaxNodes > 0 && s.nodes > s.l.MaxNodes {
		s.fail(nil, "The document has more than %d nodes (fields, arguments, values, directives, fragments and variables); the limit is %d.", s.l.MaxNodes, s.l.MaxNodes)
		return false
	}
	return true
}

// selections walks a selection set; nesting is the number of inline
// fragments enclosing it.
func (s *shapeWalker) selections(ss *ast.SelectionSet, nesting int) {
	if ss == nil {
		return
	}
	for _, sel := range ss.Selections {
		if !s.node(sel) {
			return
		}
		switch n := sel.(type) {
		case *ast.Field:
			s.arguments(n, n.Arguments)
			s.directives(n.Directives)
			s.selections(n.SelectionSet, nesting)
		case *ast.InlineFragment:
			if s.l.MaxFragmentNesting > 0 && nesting+1 > s.l.MaxFragmentNesting {
				s.fail(n, "Inline fragments nest more than %d deep; the limit is %d.", s.l.MaxFragmentNesting, s.l.MaxFragmentNesting)
				return
			}
			s.directives(n.Directives)
			s.selections(n.SelectionSet, nesting+1)
		case *ast.FragmentSpread:
			if s.spreads++; s.l.MaxSpreads > 0 && s.spreads > s.l.MaxSpreads {
				s.fail(n, "The document has more than %d fragment spreads; the limit is %d.", s.l.MaxSpreads, s.l.MaxSpreads)
				return
			}
			s.directives(n.Directives)
		}
	}
}

func (s *shapeWalker) directives(ds []*ast.Directive) {
	if s.l.MaxDirectives > 0 && len(ds) > s.l.MaxDirectives {
		s.fail(ds[0], "A node has %d directives; the limit is %d.", len(ds), s.l.MaxDirectives)
		return
	}
	for _, d := range ds {
		if !s.node(d) {
			return
		}
		s.arguments(d, d.Arguments)
	}
}

func (s *shapeWalker) arguments(owner any, args []*ast.Argument) {
	if s.l.MaxArguments > 0 && len(args) > s.l.MaxArguments {
		s.fail(owner, "A field or directive has %d arguments; the limit is %d.", len(args), s.l.MaxArguments)
		return
	}
	for _, a := range args {
		if !s.node(a) {
			return
		}
		if a != nil && a.Value != nil {
			s.argValue(a.Value)
		}
	}
}

// argValue checks one argument's or default's value as a whole.
func (s *shapeWalker) argValue(v ast.Value) {
	before := s.nodes
	s.value(v, 1)
	if n := s.nodes - before; s.err == nil && s.l.MaxValueNodes > 0 && n > s.l.MaxValueNodes {
		s.fail(v, "An argument value has %d items; the limit is %d.", n, s.l.MaxValueNodes)
	}
}

// value counts a value and everything inside it; depth is the nesting
// of lists and objects it sits in (1 for an argument's value).
func (s *shapeWalker) value(v ast.Value, depth int) {
	if !s.node(v) {
		return
	}
	var items []ast.Value
	switch x := v.(type) {
	case *ast.ListValue:
		items = x.Values
	case *ast.ObjectValue:
		for _, f := range x.Fields {
			if f != nil {
				items = append(items, f.Value)
			}
		}
	default:
		return
	}
	if s.l.MaxValueDepth > 0 && depth > s.l.MaxValueDepth {
		s.fail(v, "A list or object value nests more than %d deep; the limit is %d.", s.l.MaxValueDepth, s.l.MaxValueDepth)
		return
	}
	for _, it := range items {
		if it == nil {
			continue
		}
		s.value(it, depth+1)
	}
}

// chain returns the length of the longest chain of fragments spreading
// fragments that starts at f (1 for a fragment that spreads none),
// memoized so that fragments spreading several others cannot make the
// walk exponential. A fragment already on the path counts 0: cycles are
// NoFragmentCycles' to report, which runs next.
func (s *shapeWalker) chain(f *ast.FragmentDefinition) int {
	if s.err != nil || f == nil || f.Name == nil {
		return 0
	}
	name := f.Name.Value
	if n, ok := s.chains[name]; ok {
		return n
	}
	s.chains[name] = 0
	longest := 0
	var walk func(ss *ast.SelectionSet)
	walk = func(ss *ast.SelectionSet) {
		if ss == nil {
			return
		}
		for _, sel := range ss.Selections {
			switch n := sel.(type) {
			case *ast.Field:
				walk(n.SelectionSet)
			case *ast.InlineFragment:
				walk(n.SelectionSet)
			case *ast.FragmentSpread:
				if n.Name != nil {
					longest = max(longest, s.chain(s.frags[n.Name.Value]))
				}
			}
		}
	}
	walk(f.SelectionSet)
	s.chains[name] = longest + 1
	if s.l.MaxFragmentNesting > 0 && longest+1 > s.l.MaxFragmentNesting {
		s.fail(f, "Fragments spread fragments more than %d deep; the limit is %d.", s.l.MaxFragmentNesting, s.l.MaxFragmentNesting)
	}
	return longest + 1
}

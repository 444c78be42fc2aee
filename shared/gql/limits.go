package gql

import (
	"fmt"
	"math"
	"regexp"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/kinds"
	"github.com/graphql-go/graphql/language/location"
	"github.com/graphql-go/graphql/language/visitor"
)

// Limits bound what one document may ask for (OWASP GraphQL cheat sheet:
// depth, amount and cost limiting, alias batching). graphql-go has none of
// its own. They are checked as validation rules, once per distinct document
// (prepared documents are cached), before graphql-go's own rules run, so an
// oversized document never reaches the more expensive specified rules
// (OverlappingFieldsCanBeMerged is quadratic in the fields of a selection
// set). A limit of zero means its default; a negative limit turns it off.
//
// The cost model: every node costs 1: a field selection, each of its
// arguments and every value inside them, each directive, each fragment
// spread and inline fragment. A connection field (one
// with a `first` argument) reads a page of N rows, where N is the literal
// `first` or `last` argument (a variable or no argument counts as the
// page-size maximum, 100); the fields below the connection's list field
// (`edges`) cost N times over. Any other list of objects (introspection's
// `types`, `fields`, …) multiplies what is below it by ListFactor.
// Fragments count where they are spread, as often as they are spread.
// The shape limits (MaxNodes and below) are checked before any of these,
// on the document as written, by checkShape and prescan.
type Limits struct {
	// MaxDepth is the deepest field nesting allowed (the client's deepest
	// document, tickets → edges → node → attendingStaff → id, is 5).
	MaxDepth int
	// IntrospectionDepth and IntrospectionCost replace MaxDepth and
	// MaxCost for __schema and __type selections (they are counted apart
	// from the rest of the operation), so that the standard introspection
	// query (depth 13, cost about 40,000 by the model) passes where
	// introspection is enabled; elsewhere it is refused anyway.
	IntrospectionDepth int
	IntrospectionCost  int
	// MaxFields is the number of field selections written in the document
	// (before fragments are expanded); it bounds validation work.
	MaxFields int
	// MaxCost is the largest cost by the model above. It bounds execution
	// work (graphql-go spends about 2 µs per resolved field): the client's
	// 100-row ticket page costs about 3,000; 100 tickets with their
	// comments (default pages) about 20,000; a third nested page is refused.
	MaxCost int
	// MaxAliases is the number of aliased fields in the document (aliases
	// let one request repeat a field, e.g. to enumerate or brute-force).
	MaxAliases int
	// ListFactor is the assumed length of a list of objects that is not a
	// connection page.
	ListFactor int
	// MaxNodes is the number of nodes written in the document: operations,
	// fragments, variable definitions, fields, fragment spreads, inline
	// fragments, arguments, directives and every value inside an argument
	// or default (each list item, object field and scalar). graphql-go's
	// validation is super-linear in several of these (duplicate or
	// unknown arguments, directives, variables, spreads), so this bounds
	// its work where MaxFields alone does not.
	MaxNodes int
	// MaxArguments is the number of arguments of one field or directive
	// (the widest field, comments, defines 76 filters and paging arguments).
	MaxArguments int
	// MaxValueDepth is how deeply list and object values may nest in an
	// argument or a variable default (printing an invalid value in
	// graphql-go's error message is quadratic in its nesting).
	MaxValueDepth int
	// MaxFragmentNesting is how many inline fragments may enclose one
	// another, and how long a chain of fragments spreading fragments may
	// be.
	MaxFragmentNesting int
	// MaxValueNodes is the number of values in one argument or variable
	// default (a list of 3 strings is 4); graphql-go's check of a list
	// against its item type is quadratic in the items.
	MaxValueNodes int
	// MaxDefinitions is the number of operations and fragments in the
	// document, MaxVariables the number of variables one operation
	// declares (graphql-go's rules about unused and undefined variables
	// and fragments compare them pairwise).
	MaxDefinitions int
	MaxVariables   int
	// MaxTokens and MaxNesting bound the document before it is parsed:
	// its lexical tokens, and how deeply its brackets ({, [ and ( alike)
	// nest.
	MaxTokens  int
	MaxNesting int
	// MaxSpreads is the number of fragment spreads in the document, and
	// MaxDirectives the number of directives on one node (graphql-go
	// compares spreads of a selection set, and a node's directives, in
	// pairs).
	MaxSpreads    int
	MaxDirectives int
}

// Default limits.
const (
	DefaultMaxDepth           = 10
	DefaultIntrospectionDepth = 15
	DefaultIntrospectionCost  = 100000
	DefaultMaxFields          = 500
	DefaultMaxCost            = 25000
	DefaultMaxAliases         = 10
	DefaultListFactor         = 10
	DefaultMaxNodes           = 2000
	DefaultMaxArguments       = 100
	DefaultMaxValueDepth      = 5
	DefaultMaxFragmentNesting = 10
	DefaultMaxValueNodes      = 100
	DefaultMaxDefinitions     = 50
	DefaultMaxVariables       = 50
	DefaultMaxTokens          = 10000
	DefaultMaxNesting         = 64
	DefaultMaxSpreads         = 100
	DefaultMaxDirectives      = 5
	// maxPage is the relay page-size limit (grievance.MaxPageSize upstream:
	// RELAY_CONNECTION_MAX_LIMIT); a connection without first/last reads it.
	maxPage = 100
)

// CodeLimitExceeded is the extensions.code of a limit error.
const CodeLimitExceeded = "LIMIT_EXCEEDED"

// CodeIntrospectionDisabled is the extensions.code of an introspection
// query sent where introspection is off.
const CodeIntrospectionDisabled = "INTROSPECTION_DISABLED"

// withDefaults fills zero limits with their defaults.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.MaxDepth, DefaultMaxDepth)
	def(&l.IntrospectionDepth, DefaultIntrospectionDepth)
	def(&l.IntrospectionCost, DefaultIntrospectionCost)
	def(&l.MaxFields, DefaultMaxFields)
	def(&l.MaxCost, DefaultMaxCost)
	def(&l.MaxAliases, DefaultMaxAliases)
	def(&l.ListFactor, DefaultListFactor)
	def(&l.MaxNodes, DefaultMaxNodes)
	def(&l.MaxArguments, DefaultMaxArguments)
	def(&l.MaxValueDepth, DefaultMaxValueDepth)
	def(&l.MaxFragmentNesting, DefaultMaxFragmentNesting)
	def(&l.MaxValueNodes, DefaultMaxValueNodes)
	def(&l.MaxDefinitions, DefaultMaxDefinitions)
	def(&l.MaxVariables, DefaultMaxVariables)
	def(&l.MaxTokens, DefaultMaxTokens)
	def(&l.MaxNesting, DefaultMaxNesting)
	def(&l.MaxSpreads, DefaultMaxSpreads)
	def(&l.MaxDirectives, DefaultMaxDirectives)
	return l
}

// LimitRule returns a validation rule that checks l (zero fields take their
// defaults) against the whole document.
func LimitRule(l Limits) graphql.ValidationRuleFn {
	l = l.withDefaults()
	return func(ctx *graphql.ValidationContext) *graphql.ValidationRuleInstance {
		return &graphql.ValidationRuleInstance{VisitorOpts: &visitor.VisitorOptions{
			KindFuncMap: map[string]visitor.NamedVisitFuncs{
				kinds.Document: {Kind: func(p visitor.VisitFuncParams) (string, any) {
					if doc, ok := p.Node.(*ast.Document); ok {
						for _, err := range checkLimits(ctx.Schema(), doc, l) {
							ctx.ReportError(err)
						}
					}
					// The walk above covered everything.
					return visitor.ActionSkip, nil
				}},
			},
		}}
	}
}

// limitError is a validation error carrying extensions.code.
func limitError(code, msg string, node any) gqlerrors.FormattedError {
	fe := gqlerrors.FormattedError{Message: msg, Locations: []location.SourceLocation{},
		Extensions: map[string]any{"code": code}}
	if n, ok := node.(interface{ GetLoc() *ast.Location }); ok {
		if loc := n.GetLoc(); loc != nil && loc.Source != nil {
			fe.Locations = []location.SourceLocation{location.GetLocation(loc.Source, loc.Start)}
		}
	}
	return fe
}

// checkLimits walks doc once per operation; fragment costs are memoized per
// (fragment, page) so that fragments spreading fragments cannot make the
// walk itself exponential.
func checkLimits(schema *graphql.Schema, doc *ast.Document, l Limits) []error {
	w := &limitWalker{schema: schema, l: l, frags: map[string]*ast.FragmentDefinition{}, memo: map[memoKey]walkResult{}, active: map[string]bool{}}
	var ops []*ast.OperationDefinition
	fields, aliases := 0, 0
	for _, def := range doc.Definitions {
		switch d := def.(type) {
		case *ast.FragmentDefinition:
			if d.Name != nil {
				w.frags[d.Name.Value] = d
			}
			countFields(d.SelectionSet, &fields, &aliases)
		case *ast.OperationDefinition:
			ops = append(ops, d)
			countFields(d.SelectionSet, &fields, &aliases)
		}
	}
	var errs []error
	if l.MaxFields > 0 && fields > l.MaxFields {
		errs = append(errs, limitError(CodeLimitExceeded, fmt.Sprintf("The document selects %d fields; the limit is %d.", fields, l.MaxFields), nil))
		// Expanding a document this large is the work the limit avoids.
		return errs
	}
	if l.MaxAliases > 0 && aliases > l.MaxAliases {
		errs = append(errs, limitError(CodeLimitExceeded, fmt.Sprintf("The document uses %d aliases; the limit is %d.", aliases, l.MaxAliases), nil))
	}
	for _, op := range ops {
		var root *graphql.Object
		switch op.Operation {
		case ast.OperationTypeMutation:
			root = schema.MutationType()
		case ast.OperationTypeSubscription:
			root = schema.SubscriptionType()
		default:
			root = schema.QueryType()
		}
		name := "The operation"
		if op.Name != nil && op.Name.Value != "" {
			name = fmt.Sprintf("Operation %q", op.Name.Value)
		}
		// Depth is checked per root selection, so that the introspection
		// meta-fields (valid only at the root) get their own limit and
		// memoized fragment results stay position-independent.
		cost, introCost := 0, 0
		reported := false
		for _, sel := range op.SelectionSet.Selections {
			r := w.selection(&ast.SelectionSet{Selections: []ast.Selection{sel}}, root, 0)
			limit := l.MaxDepth
			if f, ok := sel.(*ast.Field); ok && f.Name != nil && (f.Name.Value == "__schema" || f.Name.Value == "__type") {
				limit = l.IntrospectionDepth
				introCost = satAdd(introCost, r.cost)
			} else {
				cost = satAdd(cost, r.cost)
			}
			if limit > 0 && r.depth > limit && !reported {
				reported = true
				errs = append(errs, limitError(CodeLimitExceeded, fmt.Sprintf("%s nests fields %d deep; the limit is %d.", name, r.depth, limit), sel))
			}
		}
		if l.MaxCost > 0 && cost > l.MaxCost {
			errs = append(errs, limitError(CodeLimitExceeded, fmt.Sprintf("%s would cost %s; the limit is %d (each field, argument, value and directive costs 1, times the page size of the connections above it: ask for fewer rows with first, or fewer fields).", name, costText(cost), l.MaxCost), op))
		}
		if l.IntrospectionCost > 0 && introCost > l.IntrospectionCost {
			errs = append(errs, limitError(CodeLimitExceeded, fmt.Sprintf("%s would cost %s in introspection; the limit is %d.", name, costText(introCost), l.IntrospectionCost), op))
		}
	}
	return errs
}

func costText(c int) string {
	if c >= costCap {
		return "more than " + fmt.Sprint(costCap)
	}
	return fmt.Sprint(c)
}

// countFields counts field selections and aliases as written.
func countFields(ss *ast.SelectionSet, fields, aliases *int) {
	if ss == nil {
		return
	}
	for _, sel := range ss.Selections {
		switch s := sel.(type) {
		case *ast.Field:
			*fields++
			if s.Alias != nil && s.Alias.Value != "" {
				*aliases++
			}
			countFields(s.SelectionSet, fields, aliases)
		case *ast.InlineFragment:
			countFields(s.SelectionSet, fields, aliases)
		}
	}
}

type limitWalker struct {
	schema *graphql.Schema
	l      Limits
	frags  map[string]*ast.FragmentDefinition
	memo   map[memoKey]walkResult
	active map[string]bool // fragments being expanded (cycles are reported by NoFragmentCycles)
}

type memoKey struct {
	frag string
	page int
}

// walkResult is the cost of a selection set (at multiplier 1) and its
// depth (its own fields count as level 1); both are independent of where
// the set sits, so fragment results can be memoized.
type walkResult struct {
	cost  int
	depth int
}

// costCap saturates costs so that products cannot overflow.
const costCap = math.MaxInt32

func satAdd(a, b int) int {
	if a+b > costCap {
		return costCap
	}
	return a + b
}

func satMul(a, b int) int {
	if a != 0 && b > costCap/a {
		return costCap
	}
	return a * b
}

// selection returns the walk result of ss on parent. page is the page size
// of the connection ss belongs to (0 when ss is not a connection's
// selection).
func (w *limitWalker) selection(ss *ast.SelectionSet, parent graphql.Type, page int) walkResult {
	var res walkResult
	if ss == nil {
		return res
	}
	for _, sel := range ss.Selections {
		var sub walkResult
		switch s := sel.(type) {
		case *ast.Field:
			sub = w.field(s, parent, page)
		case *ast.InlineFragment:
			t := parent
			if s.TypeCondition != nil && s.TypeCondition.Name != nil {
				if ct := w.schema.Type(s.TypeCondition.Name.Value); ct != nil {
					t = ct
				}
			}
			sub = w.selection(s.SelectionSet, t, page)
			sub.cost = satAdd(sub.cost, 1+directiveNodes(s.Directives))
		case *ast.FragmentSpread:
			if s.Name == nil {
				continue
			}
			sub = w.spread(s.Name.Value, page)
			sub.cost = satAdd(sub.cost, 1+directiveNodes(s.Directives))
		}
		res.cost = satAdd(res.cost, sub.cost)
		if sub.depth > res.depth {
			res.depth = sub.depth
		}
	}
	return res
}

func (w *limitWalker) spread(name string, page int) walkResult {
	key := memoKey{name, page}
	if r, ok := w.memo[key]; ok {
		return r
	}
	f := w.frags[name]
	if f == nil || w.active[name] {
		return walkResult{}
	}
	w.active[name] = true
	defer delete(w.active, name)
	var t graphql.Type
	if f.TypeCondition != nil && f.TypeCondition.Name != nil {
		t = w.schema.Type(f.TypeCondition.Name.Value)
	}
	r := w.selection(f.SelectionSet, t, page)
	w.memo[key] = r
	return r
}

// field returns the walk result of one field selection: depth counts the
// field itself.
func (w *limitWalker) field(f *ast.Field, parent graphql.Type, page int) walkResult {
	name := ""
	if f.Name != nil {
		name = f.Name.Value
	}
	def := fieldDef(w.schema, parent, name)
	mult, childPage := 1, 0
	var childType graphql.Type
	if def != nil {
		childType, _ = graphql.GetNamed(def.Type).(graphql.Type)
		if isList(def.Type) {
			if _, composite := childType.(graphql.Composite); composite {
				mult = w.l.ListFactor
			}
			if page > 0 {
				mult = page
			}
		}
		if hasArg(def, "first") {
			childPage = pageSize(f)
		}
	}
	sub := w.selection(f.SelectionSet, childType, childPage)
	own := 1 + argumentNodes(f.Arguments) + directiveNodes(f.Directives)
	return walkResult{cost: satAdd(own, satMul(mult, sub.cost)), depth: sub.depth + 1}
}

// argumentNodes counts arguments and every value inside them: graphql-go
// coerces them each time the field resolves.
func argumentNodes(args []*ast.Argument) int {
	n := 0
	for _, a := range args {
		n++
		if a != nil {
			n += valueNodes(a.Value)
		}
	}
	return n
}

func directiveNodes(ds []*ast.Directive) int {
	n := 0
	for _, d := range ds {
		n++
		if d != nil {
			n += argumentNodes(d.Arguments)
		}
	}
	return n
}

func valueNodes(v ast.Value) int {
	switch x := v.(type) {
	case nil:
		return 0
	case *ast.ListValue:
		n := 1
		for _, it := range x.Values {
			n += valueNodes(it)
		}
		return n
	case *ast.ObjectValue:
		n := 1
		for _, f := range x.Fields {
			if f != nil {
				n += valueNodes(f.Value)
			}
		}
		return n
	}
	return 1
}

func isList(t graphql.Type) bool {
	if nn, ok := t.(*graphql.NonNull); ok {
		t = nn.OfType
	}
	_, ok := t.(*graphql.List)
	return ok
}

func hasArg(def *graphql.FieldDefinition, name string) bool {
	for _, a := range def.Args {
		if a.Name() == name {
			return true
		}
	}
	return false
}

// pageSize is the literal first/last of a connection field, capped at the
// page maximum; anything else (absent, a variable) counts as the maximum.
func pageSize(f *ast.Field) int {
	n := 0
	for _, a := range f.Arguments {
		if a.Name == nil || (a.Name.Value != "first" && a.Name.Value != "last") {
			continue
		}
		iv, ok := a.Value.(*ast.IntValue)
		if !ok {
			return maxPage
		}
		var v int
		if _, err := fmt.Sscan(iv.Value, &v); err != nil || v > maxPage {
			return maxPage
		}
		if v > n {
			n = v
		}
	}
	if n <= 0 {
		return maxPage
	}
	return n
}

func fieldDef(schema *graphql.Schema, parent graphql.Type, name string) *graphql.FieldDefinition {
	switch name {
	case "__schema":
		return graphql.SchemaMetaFieldDef
	case "__type":
		return graphql.TypeMetaFieldDef
	case "__typename":
		return graphql.TypeNameMetaFieldDef
	}
	switch t := parent.(type) {
	case *graphql.Object:
		return t.Fields()[name]
	case *graphql.Interface:
		return t.Fields()[name]
	}
	return nil
}

// suggestion matches graphql-go's "Did you mean …?" tails of validation
// messages (unknown fields, arguments and types).
var suggestion = regexp.MustCompile(` Did you mean .*\?$`)

// stripSuggestions removes field, argument and type suggestions from
// validation messages: they let a client map the schema with
// introspection off.
func stripSuggestions(errs []gqlerrors.FormattedError) {
	for i := range errs {
		errs[i].Message = suggestion.ReplaceAllString(errs[i].Message, "")
	}
}

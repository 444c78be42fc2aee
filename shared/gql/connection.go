package gql

import (
	"encoding/base64"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/redress-grm/redress/shared/grievance"
)

// connection is the value of an XConnection field: one page of nodes.
type connection struct {
	nodes            []any
	start            int // index of nodes[0] in the whole result
	total            int
	counted          bool
	hasNext, hasPrev bool
	cursor           func(i int) string // cursor of nodes[i]
}

func (c *connection) cursorAt(i int) string {
	if c.cursor != nil {
		return c.cursor(i)
	}
	return grievance.Cursor(c.start + i)
}

type edge struct {
	node   any
	cursor string
}

func newConnection[T any](p *grievance.Page[T], nodes []any) *connection {
	return &connection{nodes: nodes, start: p.StartIndex, total: p.TotalCount, counted: p.Counted,
		hasNext: p.HasNextPage, hasPrev: p.HasPreviousPage, cursor: p.Cursor}
}

func (r *resolver) pageInfoType() *graphql.Object {
	conn := func(p graphql.ResolveParams) *connection { return p.Source.(*connection) }
	return graphql.NewObject(graphql.ObjectConfig{Name: "PageInfo", Fields: graphql.Fields{
		"hasNextPage": {Type: graphql.NewNonNull(graphql.Boolean), Resolve: func(p graphql.ResolveParams) (any, error) {
			return conn(p).hasNext, nil
		}},
		"hasPreviousPage": {Type: graphql.NewNonNull(graphql.Boolean), Resolve: func(p graphql.ResolveParams) (any, error) {
			return conn(p).hasPrev, nil
		}},
		"startCursor": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			c := conn(p)
			if len(c.nodes) == 0 {
				return nil, nil
			}
			return c.cursorAt(0), nil
		}},
		"endCursor": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			c := conn(p)
			if len(c.nodes) == 0 {
				return nil, nil
			}
			return c.cursorAt(len(c.nodes) - 1), nil
		}},
	}})
}

// connectionType returns the XConnection type (and its XEdge) of node.
func (r *resolver) connectionType(node *graphql.Object) *graphql.Object {
	edgeType := graphql.NewObject(graphql.ObjectConfig{Name: node.Name() + "Edge", Fields: graphql.Fields{
		"node": {Type: node, Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(edge).node, nil
		}},
		"cursor": {Type: graphql.NewNonNull(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(edge).cursor, nil
		}},
	}})
	return graphql.NewObject(graphql.ObjectConfig{Name: node.Name() + "Connection", Fields: graphql.Fields{
		"pageInfo": {Type: graphql.NewNonNull(r.pageInfo), Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source, nil
		}},
		"edges": {Type: graphql.NewNonNull(graphql.NewList(edgeType)), Resolve: func(p graphql.ResolveParams) (any, error) {
			c := p.Source.(*connection)
			edges := make([]any, len(c.nodes))
			for i, n := range c.nodes {
				edges[i] = edge{node: n, cursor: c.cursorAt(i)}
			}
			return edges, nil
		}},
		"totalCount": {Type: graphql.Int, Resolve: func(p graphql.ResolveParams) (any, error) {
			c := p.Source.(*connection)
			if !c.counted {
				return nil, nil
			}
			return c.total, nil
		}},
		"edgeCount": {Type: graphql.Int, Resolve: func(p graphql.ResolveParams) (any, error) {
			return len(p.Source.(*connection).nodes), nil
		}},
	}})
}

// connectionArgs are the Relay arguments every list field takes.
func connectionArgs() graphql.FieldConfigArgument {
	return graphql.FieldConfigArgument{
		"offset": {Type: graphql.Int},
		"before": {Type: graphql.String},
		"after":  {Type: graphql.String},
		"first":  {Type: graphql.Int},
		"last":   {Type: graphql.Int},
	}
}

func pageArgs(args map[string]any) grievance.PageArgs {
	var a grievance.PageArgs
	if v, ok := args["first"].(int); ok {
		a.First = &v
	}
	if v, ok := args["last"].(int); ok {
		a.Last = &v
	}
	a.After, _ = args["after"].(string)
	a.Before, _ = args["before"].(string)
	a.Offset, _ = args["offset"].(int)
	return a
}

// selects reports whether the field being resolved selects a sub-field
// called name, directly or through fragments. Lists use it to count rows
// only when totalCount is asked for.
func selects(info graphql.ResolveInfo, name string) bool {
	seen := map[string]bool{}
	for _, f := range info.FieldASTs {
		if f != nil && selectionHas(f.SelectionSet, name, info.Fragments, seen) {
			return true
		}
	}
	return false
}

func selectionHas(ss *ast.SelectionSet, name string, frags map[string]ast.Definition, seen map[string]bool) bool {
	if ss == nil {
		return false
	}
	for _, sel := range ss.Selections {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name != nil && s.Name.Value == name {
				return true
			}
		case *ast.InlineFragment:
			if selectionHas(s.SelectionSet, name, frags, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Name == nil || seen[s.Name.Value] {
				continue
			}
			seen[s.Name.Value] = true
			if def, ok := frags[s.Name.Value].(*ast.FragmentDefinition); ok && selectionHas(def.SelectionSet, name, frags, seen) {
				return true
			}
		}
	}
	return false
}

// peopleFields are the ticket fields that load the people a row names.
var peopleFields = []string{"reporter", "reporterFirstName", "reporterLastName", "reporterDob", "attendingStaff", "userCreated", "userUpdated"}

// selectsNode reports whether the connection's edges { node { … } }
// selection has any of names.
func selectsNode(info graphql.ResolveInfo, names ...string) bool {
	seen := map[string]bool{}
	for _, f := range info.FieldASTs {
		if f == nil {
			continue
		}
		for _, edges := range childFields(f.SelectionSet, "edges", info.Fragments) {
			for _, node := range childFields(edges.SelectionSet, "node", info.Fragments) {
				for _, n := range names {
					if selectionHas(node.SelectionSet, n, info.Fragments, seen) {
						return true
					}
					clear(seen)
				}
			}
		}
	}
	return false
}

// childFields returns the fields called name in ss, fragments included.
func childFields(ss *ast.SelectionSet, name string, frags map[string]ast.Definition) []*ast.Field {
	if ss == nil {
		return nil
	}
	var out []*ast.Field
	for _, sel := range ss.Selections {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name != nil && s.Name.Value == name {
				out = append(out, s)
			}
		case *ast.InlineFragment:
			out = append(out, childFields(s.SelectionSet, name, frags)...)
		case *ast.FragmentSpread:
			if s.Name != nil {
				if def, ok := frags[s.Name.Value].(*ast.FragmentDefinition); ok {
					out = append(out, childFields(def.SelectionSet, name, frags)...)
				}
			}
		}
	}
	return out
}

// globalID is the Relay id of a node: base64("<Type>:<uuid>"). The openIMIS
// client decodes it with atob(id).split(":")[1].
func globalID(typ, id string) string {
	return base64.StdEncoding.EncodeToString([]byte(typ + ":" + id))
}

// nodeTypes are the type names global ids may carry.
var nodeTypes = map[string]bool{
	"TicketGQLType": true, "CommentGQLType": true, "UserGQLType": true, "MutationLogGQLType": true,
	"IndividualGQLType": true, "BeneficiaryGQLType": true, "BenefitPlanGQLType": true, "InteractiveUserGQLType": true,
}

// rawID returns the raw id in s: s itself when it is not a global id of one
// of our node types. openIMIS takes raw UUIDs in filters and inputs (its
// client decodes global ids before sending them); accepting global ids as
// well costs nothing, since a global id is never a valid UUID.
func rawID(s string) string {
	if s == "" || grievance.ValidUUID(s) {
		return s
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return s
	}
	typ, id, ok := strings.Cut(string(b), ":")
	if !ok || !nodeTypes[typ] {
		return s
	}
	return id
}

func stringList(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return []string{x}
	}
	return nil
}

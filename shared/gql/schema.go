package gql

import (
	"context"
	"log/slog"

	"github.com/graphql-go/graphql"

	"github.com/redress-grm/redress/shared/grievance"
)

// resolver holds the injected service and the schema's object types; the
// resolvers are its methods.
type resolver struct {
	svc    *grievance.Service
	log    *slog.Logger
	client *Client

	node           *graphql.Interface
	pageInfo       *graphql.Object
	user           *graphql.Object
	ticket         *graphql.Object
	comment        *graphql.Object
	mutationLog    *graphql.Object
	ticketConn     *graphql.Object
	commentConn    *graphql.Object
	logConn        *graphql.Object
	attachment     *graphql.Object
	attachmentConn *graphql.Object

	pickers *pickerTypes

	ticketFilters  []filterArg
	commentFilters []filterArg
}

// schema builds the executable schema (spec Appendix A).
func (r *resolver) schema() (graphql.Schema, error) {
	r.ticketFilters = expandFilters(ticketFilterBases())
	r.commentFilters = expandFilters(commentFilterBases())

	r.node = graphql.NewInterface(graphql.InterfaceConfig{
		Name:   "Node",
		Fields: graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.ID)}},
		ResolveType: func(p graphql.ResolveTypeParams) *graphql.Object {
			switch p.Value.(type) {
			case *ticketNode:
				return r.ticket
			case *commentNode:
				return r.comment
			case *logNode:
				return r.mutationLog
			case userRef:
				return r.user
			}
			return nil
		},
	})
	r.pageInfo = r.pageInfoType()
	r.user = r.userType()
	r.pickers = r.pickerTypeSet()
	r.ticket = r.ticketType()
	r.comment = r.commentType()
	r.mutationLog = r.mutationLogType()
	r.ticketConn = r.connectionType(r.ticket)
	r.commentConn = r.connectionType(r.comment)
	r.logConn = r.connectionType(r.mutationLog)
	r.attachment = r.attachmentType()
	r.attachmentConn = r.connectionType(r.attachment)

	queries, mutations := r.queryFields(), r.mutationFields()
	for k, f := range r.attachmentQueryFields() {
		queries[k] = f
	}
	for k, f := range r.attachmentMutationFields() {
		mutations[k] = f
	}
	for k, f := range r.pickerQueries(r.pickers) {
		queries[k] = f
	}
	if r.client != nil {
		for k, f := range r.clientQueryFields() {
			queries[k] = f
		}
		for k, f := range r.clientMutationFields() {
			mutations[k] = f
		}
	}
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: queries})
	mutation := graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: mutations})
	return graphql.NewSchema(graphql.SchemaConfig{
		Query:    query,
		Mutation: mutation,
		Types:    []graphql.Type{r.ticket, r.comment, r.user, r.mutationLog},
	})
}

func (r *resolver) queryFields() graphql.Fields {
	ticketArgs := func(extra graphql.FieldConfigArgument) graphql.FieldConfigArgument {
		args := addFilterArgs(connectionArgs(), r.ticketFilters)
		args["slaStatus"] = &graphql.ArgumentConfig{Type: graphql.String}
		args["resolvedWithinTime"] = &graphql.ArgumentConfig{Type: graphql.Boolean}
		for k, v := range extra {
			args[k] = v
		}
		return args
	}
	orderBy := &graphql.ArgumentConfig{Type: graphql.NewList(graphql.String)}
	return graphql.Fields{
		"tickets": {
			Type: r.ticketConn,
			Args: ticketArgs(graphql.FieldConfigArgument{
				"orderBy":          orderBy,
				"showHistory":      {Type: graphql.Boolean},
				"clientMutationId": {Type: graphql.String},
				"ticketVersion":    {Type: graphql.Int},
			}),
			Resolve: r.resolve(r.listTickets(grievance.ModeLive)),
		},
		"ticketsStr": {
			Type:    r.ticketConn,
			Args:    ticketArgs(graphql.FieldConfigArgument{"str": {Type: graphql.String}}),
			Resolve: r.resolve(r.listTickets(grievance.ModeAll)),
		},
		"ticketDetails": {
			Type:    r.ticketConn,
			Args:    ticketArgs(graphql.FieldConfigArgument{"orderBy": orderBy}),
			Resolve: r.resolve(r.listTickets(grievance.ModeAll)),
		},
		"comments": {
			Type:    r.commentConn,
			Args:    addFilterArgs(withArg(connectionArgs(), "orderBy", orderBy), r.commentFilters),
			Resolve: r.resolve(r.listComments),
		},
		"grievanceConfig": {
			Type:    r.configType(),
			Resolve: r.resolve(r.grievanceConfig),
		},
		"grievanceStatistics": {
			Type: r.statisticsType(),
			Args: graphql.FieldConfigArgument{
				"dateFrom": {Type: dateScalar},
				"dateTo":   {Type: dateScalar},
				"category": {Type: graphql.String},
			},
			Resolve: r.resolve(r.grievanceStatistics),
		},
		"mutationLogs": {
			Type:    r.logConn,
			Args:    r.mutationLogArgs(),
			Resolve: r.resolve(r.listMutationLogs),
		},
	}
}

// listTickets serves tickets (live, or history with showHistory or
// ticketVersion), ticketsStr (str is ignored, as upstream) and
// ticketDetails (ordered by title unless told otherwise).
func (r *resolver) listTickets(mode grievance.ListMode) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		q := grievance.TicketQuery{
			Connection: p.Info.FieldName,
			Filters:    filtersFrom(p.Args, r.ticketFilters),
			OrderBy:    stringList(p.Args["orderBy"]),
			Mode:       mode,
			Page:       pageArgs(p.Args),
			WantCount:  selects(p.Info, "totalCount"),
		}
		q.SLAStatus, _ = p.Args["slaStatus"].(string)
		if within, ok := p.Args["resolvedWithinTime"].(bool); ok {
			q.ResolvedWithinTime = &within
		}
		if mode == grievance.ModeLive {
			q.Version, _ = p.Args["ticketVersion"].(int)
			if show, _ := p.Args["showHistory"].(bool); show || q.Version != 0 {
				q.Mode = grievance.ModeHistory
			}
			q.ClientMutationID, _ = p.Args["clientMutationId"].(string)
		}
		if p.Info.FieldName == "ticketDetails" && len(q.OrderBy) == 0 {
			q.OrderBy = []string{"title"}
		}
		q.WithPeople = selectsNode(p.Info, peopleFields...)
		page, err := r.svc.ListTickets(p.Context, q)
		if err != nil {
			return nil, err
		}
		if page.People != nil {
			loaderFrom(p.Context, r.svc).primePeople(page.People)
		}
		return newConnection(page, ticketNodes(page.Items, q.Mode == grievance.ModeHistory, page.LiveVersions)), nil
	}
}

func (r *resolver) listComments(p graphql.ResolveParams) (any, error) {
	return r.comments(p, filtersFrom(p.Args, r.commentFilters))
}

// commentSet lists the visible comments of one ticket.
func (r *resolver) commentSet(p graphql.ResolveParams) (any, error) {
	n := p.Source.(*ticketNode)
	return r.comments(p, append([]grievance.Filter{{Field: "ticket__id", Lookup: grievance.Exact, Value: n.t.ID}}, filtersFrom(p.Args, r.commentFilters)...))
}

// comments lists the visible comments that pass filters, in the order
// and page p asks for (commentSet has no orderBy: the default order).
func (r *resolver) comments(p graphql.ResolveParams, filters []grievance.Filter) (any, error) {
	q := grievance.CommentQuery{
		Filters:   filters,
		OrderBy:   stringList(p.Args["orderBy"]),
		Page:      pageArgs(p.Args),
		WantCount: selects(p.Info, "totalCount"),
	}
	page, err := r.svc.ListComments(p.Context, q)
	if err != nil {
		return nil, err
	}
	return newConnection(page, commentNodes(page.Items)), nil
}

// mayReadTicketDetails applies grievance.MayReadTicketDetails.
func (r *resolver) mayReadTicketDetails(ctx context.Context, l *loader) error {
	p, cfg, err := r.readerOf(ctx, l)
	if err != nil {
		return err
	}
	return grievance.MayReadTicketDetails(cfg, p)
}

// mayReadCommenter applies grievance.MayReadCommenter.
func (r *resolver) mayReadCommenter(ctx context.Context, l *loader, n *commentNode) error {
	p, cfg, err := r.readerOf(ctx, l)
	if err != nil {
		return err
	}
	return grievance.MayReadCommenter(cfg, p, func() (*grievance.Ticket, error) {
		if err := n.set.ensureTickets(ctx, l); err != nil {
			return nil, err
		}
		return l.ticket(n.c.TicketID), nil
	})
}

// readerOf returns the request's principal and, for an authenticated one,
// the configuration its field rights are judged by.
func (r *resolver) readerOf(ctx context.Context, l *loader) (*grievance.Principal, *grievance.Config, error) {
	p := grievance.PrincipalFrom(ctx)
	if p == nil {
		return nil, nil, nil
	}
	cfg, err := l.config(ctx)
	return p, cfg, err
}

func (r *resolver) userType() *graphql.Object {
	rec := func(p graphql.ResolveParams) *grievance.Person { return p.Source.(userRef).p }
	text := func(get func(*grievance.Person) string) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			if u := rec(p); u != nil {
				return serializeText(get(u)), nil
			}
			return nil, nil
		}}
	}
	return graphql.NewObject(graphql.ObjectConfig{
		Name:       "UserGQLType",
		Interfaces: []*graphql.Interface{r.node},
		Fields: graphql.Fields{
			"id": {Type: graphql.NewNonNull(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) {
				return globalID("UserGQLType", p.Source.(userRef).id), nil
			}},
			"username":   text(func(u *grievance.Person) string { return u.Username }),
			"lastName":   text(func(u *grievance.Person) string { return u.LastName }),
			"otherNames": text(func(u *grievance.Person) string { return u.FirstName }),
			"iUser":      r.iUserField(),
		},
	})
}

// userField resolves a user reference of a row (userCreated, attendingStaff,
// …) after loading the people of the row's set.
func (r *resolver) userField(nonNull bool, id func(any) (string, *rowSet)) *graphql.Field {
	var typ graphql.Output = r.user
	if nonNull {
		typ = graphql.NewNonNull(r.user)
	}
	return &graphql.Field{Type: typ, Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
		uid, set := id(p.Source)
		if uid == "" {
			if nonNull {
				return userRef{}, nil
			}
			return nil, nil
		}
		l := loaderFrom(p.Context, r.svc)
		if err := set.ensurePeople(p.Context, l); err != nil {
			return nil, err
		}
		return userRef{id: uid, p: l.person(uid)}, nil
	})}
}

func withArg(args graphql.FieldConfigArgument, name string, a *graphql.ArgumentConfig) graphql.FieldConfigArgument {
	args[name] = a
	return args
}

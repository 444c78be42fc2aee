package gql

import (
	"context"
	"maps"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/redress-grm/redress/shared/grievance"
)

// personDetails are the computed reporter*/commenter* values of a row.
type personDetails struct {
	typ grievance.PersonType
	id  string
}

// record returns the directory record of the reporter or commenter, or
// nil when there is none (a dangling id is not an error: openIMIS later
// fixed its resolvers to answer null).
func (d personDetails) record(l *loader) *grievance.Person {
	if d.typ == "" || d.id == "" {
		return nil
	}
	return l.person(d.id)
}

// named returns the record whose names and dob the row shows: the
// individual itself, a beneficiary's individual, nobody for users.
func (d personDetails) named(l *loader) *grievance.Person {
	p := d.record(l)
	switch {
	case p == nil:
		return nil
	case d.typ == grievance.PersonIndividual && p.Type == grievance.PersonIndividual:
		return p
	case d.typ == grievance.PersonBeneficiary && p.Type == grievance.PersonBeneficiary && p.IndividualID != "":
		if ind := l.person(p.IndividualID); ind != nil && ind.Type == grievance.PersonIndividual {
			return ind
		}
	}
	return nil
}

// personFields returns the six computed person fields (prefix "reporter"
// or "commenter"). get extracts the person reference and the row set;
// check enforces the right the fields need.
func (r *resolver) personFields(prefix string, get func(any) (personDetails, *rowSet), check func(context.Context, *loader, any) error) graphql.Fields {
	// withPeople runs fn once the row's set has its people loaded.
	withPeople := func(loadPeople bool, fn func(personDetails, *loader) any) graphql.FieldResolveFn {
		return r.resolve(func(p graphql.ResolveParams) (any, error) {
			l := loaderFrom(p.Context, r.svc)
			if err := check(p.Context, l, p.Source); err != nil {
				return nil, err
			}
			d, set := get(p.Source)
			if loadPeople && d.typ != "" && d.id != "" {
				if err := set.ensurePeople(p.Context, l); err != nil {
					return nil, err
				}
			}
			return fn(d, l), nil
		})
	}
	named := func(field func(*grievance.Person) string) graphql.FieldResolveFn {
		return withPeople(true, func(d personDetails, l *loader) any {
			if n := d.named(l); n != nil {
				return serializeText(field(n))
			}
			return nil
		})
	}
	return graphql.Fields{
		prefix: {Type: jsonStringScalar, Resolve: withPeople(true, func(d personDetails, l *loader) any {
			if rec := d.record(l); rec != nil {
				return doubleEncoded(personJSON(rec))
			}
			return nil
		})},
		prefix + "Type": {Type: graphql.Int, Resolve: withPeople(false, func(d personDetails, l *loader) any {
			if id, ok := personTypeIDs[d.typ]; ok {
				return id
			}
			return nil
		})},
		prefix + "TypeName": {Type: graphql.String, Resolve: withPeople(false, func(d personDetails, l *loader) any {
			return serializeText(string(d.typ))
		})},
		prefix + "FirstName": {Type: graphql.String, Resolve: named(func(p *grievance.Person) string { return p.FirstName })},
		prefix + "LastName":  {Type: graphql.String, Resolve: named(func(p *grievance.Person) string { return p.LastName })},
		prefix + "Dob":       {Type: graphql.String, Resolve: named(func(p *grievance.Person) string { return p.Dob })},
	}
}

// fieldsOf returns a maker of plain fields of the object whose nodes row
// reads: each field has type typ and resolves to get of the row.
func fieldsOf[T any](row func(src any) T) func(typ graphql.Output, get func(T) any) *graphql.Field {
	return func(typ graphql.Output, get func(T) any) *graphql.Field {
		return &graphql.Field{Type: typ, Resolve: func(p graphql.ResolveParams) (any, error) {
			return get(row(p.Source)), nil
		}}
	}
}

// rowMeta is what every versioned openIMIS row (core's VersionedModel
// and its creation and update stamps) shows, whatever it records.
type rowMeta struct {
	id                       string
	isDeleted                bool
	dateCreated, dateUpdated time.Time
	userCreated, userUpdated string
	version                  int
	set                      *rowSet
}

// metaNode is a node of a versioned row type.
type metaNode interface{ meta() rowMeta }

func (n *ticketNode) meta() rowMeta {
	t := n.t
	return rowMeta{t.ID, t.IsDeleted, t.DateCreated, t.DateUpdated, t.UserCreated, t.UserUpdated, t.Version, n.set}
}

func (n *commentNode) meta() rowMeta {
	c := n.c
	return rowMeta{c.ID, c.IsDeleted, c.DateCreated, c.DateUpdated, c.UserCreated, c.UserUpdated, c.Version, n.set}
}

// rowFields returns the fields of rowMeta for the object type typeName
// (the global id names it), whose nodes are metaNodes.
func (r *resolver) rowFields(typeName string) graphql.Fields {
	meta := func(src any) rowMeta { return src.(metaNode).meta() }
	field := fieldsOf(meta)
	user := func(get func(rowMeta) string) *graphql.Field {
		return r.userField(true, func(src any) (string, *rowSet) {
			m := meta(src)
			return get(m), m.set
		})
	}
	nonNull := graphql.NewNonNull
	return graphql.Fields{
		"id":          field(nonNull(graphql.ID), func(m rowMeta) any { return globalID(typeName, m.id) }),
		"isDeleted":   field(nonNull(graphql.Boolean), func(m rowMeta) any { return m.isDeleted }),
		"dateCreated": field(dateTimeScalar, func(m rowMeta) any { return m.dateCreated }),
		"dateUpdated": field(dateTimeScalar, func(m rowMeta) any { return m.dateUpdated }),
		"userCreated": user(func(m rowMeta) string { return m.userCreated }),
		"userUpdated": user(func(m rowMeta) string { return m.userUpdated }),
		"version":     field(nonNull(graphql.Int), func(m rowMeta) any { return m.version }),
	}
}

func (r *resolver) ticketType() *graphql.Object {
	tk := func(p graphql.ResolveParams) *grievance.Ticket { return p.Source.(*ticketNode).t }
	text := func(get func(*grievance.Ticket) string) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			return serializeText(get(tk(p))), nil
		}}
	}
	typed := fieldsOf(func(src any) *grievance.Ticket { return src.(*ticketNode).t })
	nullTyped := func(typ graphql.Output) *graphql.Field {
		return &graphql.Field{Type: typ, Resolve: func(graphql.ResolveParams) (any, error) { return nil, nil }}
	}
	user := func(nonNull bool, get func(*grievance.Ticket) string) *graphql.Field {
		return r.userField(nonNull, func(src any) (string, *rowSet) {
			n := src.(*ticketNode)
			return get(n.t), n.set
		})
	}
	nonNull := graphql.NewNonNull
	return graphql.NewObject(graphql.ObjectConfig{
		Name:       "TicketGQLType",
		Interfaces: []*graphql.Interface{r.node},
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			f := graphql.Fields{
				"jsonExt":         typed(jsonStringScalar, func(t *grievance.Ticket) any { return ticketJSONExt(t) }),
				"dateValidFrom":   typed(nonNull(dateTimeScalar), func(t *grievance.Ticket) any { return t.DateValidFrom }),
				"dateValidTo":     nullTyped(dateTimeScalar),
				"replacementUuid": nullTyped(uuidScalar),
				"key":             text(func(t *grievance.Ticket) string { return t.Key }),
				"title":           text(func(t *grievance.Ticket) string { return t.Title }),
				"description":     text(func(t *grievance.Ticket) string { return t.Description }),
				"code":            text(func(t *grievance.Ticket) string { return t.Code }),
				"reporterId":      text(func(t *grievance.Ticket) string { return t.ReporterID }),
				"attendingStaff":  user(false, func(t *grievance.Ticket) string { return t.AttendingStaffID }),
				"dateOfIncident":  typed(dateScalar, func(t *grievance.Ticket) any { return t.DateOfIncident }),
				"status":          typed(nonNull(ticketStatusScalar), func(t *grievance.Ticket) any { return t.Status }),
				"priority":        text(func(t *grievance.Ticket) string { return t.Priority }),
				"dueDate":         typed(dateScalar, func(t *grievance.Ticket) any { return t.DueDate }),
				"category":        text(func(t *grievance.Ticket) string { return t.Category }),
				"flags":           text(func(t *grievance.Ticket) string { return t.Flags }),
				"channel":         text(func(t *grievance.Ticket) string { return t.Channel }),
				"resolution":      text(func(t *grievance.Ticket) string { return t.Resolution }),
				"contact":         r.contactField(),
				// Notifications and satisfaction (docs/notifications.md);
				// hidden with the reporter where the category masks it.
				"acknowledgedAt": typed(dateTimeScalar, func(t *grievance.Ticket) any { return nullTime(t.AcknowledgedAt) }),
				"rating": typed(graphql.Int, func(t *grievance.Ticket) any {
					if t.Rating == 0 {
						return nil
					}
					return t.Rating
				}),
				"ratedAt":    typed(dateTimeScalar, func(t *grievance.Ticket) any { return nullTime(t.RatedAt) }),
				"appealedAt": typed(dateTimeScalar, func(t *grievance.Ticket) any { return nullTime(t.AppealedAt) }),
				// Service levels (docs/sla.md), computed from the row as the
				// reader sees it: a masked due date gives null.
				"slaStatus": {Type: graphql.String, Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
					cfg, err := loaderFrom(p.Context, r.svc).config(p.Context)
					if err != nil {
						return nil, err
					}
					if st, ok := r.svc.SLAOf(cfg, tk(p)); ok {
						return string(st), nil
					}
					return nil, nil
				})},
				"resolvedWithinTime": typed(graphql.Boolean, func(t *grievance.Ticket) any {
					if within, ok := t.ResolvedWithinTime(); ok {
						return within
					}
					return nil
				}),
				// Redress runs mutations synchronously: no mutation is ever
				// pending on a ticket, so the client never locks a row.
				"clientMutationId": nullTyped(graphql.String),
				"commentSet": {
					Type:    nonNull(r.commentConn),
					Args:    addFilterArgs(connectionArgs(), r.commentFilters),
					Resolve: r.resolve(r.commentSet),
				},
				"attachments": r.ticketAttachmentsField(),
				"isHistory": {Type: graphql.Boolean, Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
					l := loaderFrom(p.Context, r.svc)
					if err := r.mayReadTicketDetails(p.Context, l); err != nil {
						return nil, err
					}
					n := p.Source.(*ticketNode)
					if !n.set.history {
						return false, nil
					}
					if v, known := n.set.live[n.t.ID]; known {
						return v != 0 && v != n.t.Version, nil
					}
					if err := n.set.ensureTickets(p.Context, l); err != nil {
						return nil, err
					}
					live := l.ticket(n.t.ID)
					return live != nil && live.Version != n.t.Version, nil
				})},
			}
			maps.Copy(f, r.rowFields("TicketGQLType"))
			maps.Copy(f, r.personFields("reporter",
				func(src any) (personDetails, *rowSet) {
					n := src.(*ticketNode)
					return personDetails{typ: n.t.ReporterType, id: n.t.ReporterID}, n.set
				},
				func(ctx context.Context, l *loader, _ any) error { return r.mayReadTicketDetails(ctx, l) },
			))
			return f
		}),
	})
}

func (r *resolver) commentType() *graphql.Object {
	typed := fieldsOf(func(src any) *grievance.Comment { return src.(*commentNode).c })
	nonNull := graphql.NewNonNull
	return graphql.NewObject(graphql.ObjectConfig{
		Name:       "CommentGQLType",
		Interfaces: []*graphql.Interface{r.node},
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			f := graphql.Fields{
				"jsonExt": typed(jsonStringScalar, func(c *grievance.Comment) any {
					if c.JSONExt == nil {
						return nil
					}
					return pyJSON(c.JSONExt)
				}),
				"commenterId":  typed(graphql.String, func(c *grievance.Comment) any { return serializeText(c.CommenterID) }),
				"comment":      typed(nonNull(graphql.String), func(c *grievance.Comment) any { return c.Comment }),
				"isResolution": typed(nonNull(graphql.Boolean), func(c *grievance.Comment) any { return c.IsResolution }),
				"isPublic":     typed(nonNull(graphql.Boolean), func(c *grievance.Comment) any { return c.Public }),
				"ticket": {Type: nonNull(r.ticket), Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
					n := p.Source.(*commentNode)
					l := loaderFrom(p.Context, r.svc)
					return n.set.ticketNode(p.Context, l, n.c.TicketID)
				})},
			}
			maps.Copy(f, r.rowFields("CommentGQLType"))
			maps.Copy(f, r.personFields("commenter",
				func(src any) (personDetails, *rowSet) {
					n := src.(*commentNode)
					return personDetails{typ: n.c.CommenterType, id: n.c.CommenterID}, n.set
				},
				func(ctx context.Context, l *loader, src any) error {
					return r.mayReadCommenter(ctx, l, src.(*commentNode))
				},
			))
			return f
		}),
	})
}

func (r *resolver) mutationLogType() *graphql.Object {
	typed := fieldsOf(func(src any) *grievance.MutationLog { return src.(*logNode).l })
	nonNull := graphql.NewNonNull
	return graphql.NewObject(graphql.ObjectConfig{
		Name:       "MutationLogGQLType",
		Interfaces: []*graphql.Interface{r.node},
		Fields: graphql.Fields{
			"id":              typed(nonNull(graphql.ID), func(l *grievance.MutationLog) any { return globalID("MutationLogGQLType", l.ID) }),
			"jsonContent":     typed(nonNull(graphql.String), func(l *grievance.MutationLog) any { return l.JSONContent }),
			"requestDateTime": typed(nonNull(dateTimeScalar), func(l *grievance.MutationLog) any { return l.RequestDateTime }),
			"clientMutationId": typed(graphql.String, func(l *grievance.MutationLog) any {
				return serializeText(l.ClientMutationID)
			}),
			"clientMutationLabel": typed(graphql.String, func(l *grievance.MutationLog) any {
				return serializeText(l.ClientMutationLabel)
			}),
			// openIMIS stores the details list as JSON text.
			"clientMutationDetails": typed(graphql.String, func(l *grievance.MutationLog) any {
				if len(l.ClientMutationDetails) == 0 {
					return nil
				}
				return pyJSON(l.ClientMutationDetails)
			}),
			"status":            typed(graphql.Int, func(l *grievance.MutationLog) any { return int(l.Status) }),
			"error":             typed(graphql.String, func(l *grievance.MutationLog) any { return serializeText(l.Error) }),
			"autogeneratedCode": typed(graphql.String, func(*grievance.MutationLog) any { return nil }),
			"jsonExt":           typed(jsonStringScalar, func(*grievance.MutationLog) any { return nil }),
			"user": r.userField(false, func(src any) (string, *rowSet) {
				n := src.(*logNode)
				return n.l.UserID, n.set
			}),
		},
	})
}

// nullTime is t, or nil (null on the wire) when t is zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

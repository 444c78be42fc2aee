package gql

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/graphql-go/graphql"

	"github.com/redress-grm/redress/shared/grievance"
)

// Mutations follow openIMIS's envelope: input { …, clientMutationId,
// clientMutationLabel, clientMutationDetails, mutationExtensions } and
// payload { clientMutationId internalId }. A mutation's business outcome,
// failure included, lands in its mutation log (read through mutationLogs);
// only document errors and an anonymous caller are GraphQL errors.

// mutationInput is a mutation's decoded input object.
type mutationInput map[string]any

func (in mutationInput) str(k string) *string {
	if v, ok := in[k].(string); ok {
		return &v
	}
	return nil
}

// id returns an id input as a raw id (global ids accepted).
func (in mutationInput) id(k string) string {
	s, _ := in[k].(string)
	return rawID(s)
}

func (in mutationInput) idp(k string) *string {
	if s, ok := in[k].(string); ok {
		s = rawID(s)
		return &s
	}
	return nil
}

func (in mutationInput) boolean(k string) *bool {
	if v, ok := in[k].(bool); ok {
		return &v
	}
	return nil
}

func (in mutationInput) version() *int {
	if v, ok := in["version"].(int); ok {
		return &v
	}
	return nil
}

// mutationSpec describes one mutation field.
type mutationSpec struct {
	name   string // field, e.g. "createTicket"
	class  string // openIMIS class, e.g. "CreateTicketMutation"; also names the input and payload types
	fields graphql.InputObjectConfigFieldMap
	// plan returns the domain plan for an input.
	plan func(in mutationInput) grievance.Plan
}

func (r *resolver) mutationFields() graphql.Fields {
	str := func() *graphql.InputObjectFieldConfig { return &graphql.InputObjectFieldConfig{Type: graphql.String} }
	typ := func(t graphql.Input) *graphql.InputObjectFieldConfig { return &graphql.InputObjectFieldConfig{Type: t} }
	required := func(t graphql.Input) *graphql.InputObjectFieldConfig {
		return &graphql.InputObjectFieldConfig{Type: graphql.NewNonNull(t)}
	}
	ticketFields := func(update bool) graphql.InputObjectConfigFieldMap {
		f := graphql.InputObjectConfigFieldMap{
			"key": str(), "title": str(), "description": str(), "reporterType": str(), "reporterId": str(),
			"attendingStaffId": typ(uuidScalar), "dateOfIncident": typ(dateScalar), "status": typ(ticketStatusEnumScalar),
			"priority": str(), "dueDate": typ(dateScalar), "category": required(graphql.String),
			"flags": str(), "channel": str(), "resolution": str(),
			// Redress: the ticket's free JSON object (comment_ids stays
			// the service's).
			"jsonExt": typ(jsonStringScalar),
			"contact": typ(contactInputType),
		}
		if update {
			f["id"] = required(uuidScalar)
			f["version"] = typ(graphql.Int)
		}
		return f
	}
	ticketInput := func(in mutationInput) grievance.TicketInput {
		return grievance.TicketInput{
			ID: in.id("id"), Key: in.str("key"), Title: in.str("title"), Description: in.str("description"),
			ReporterType: in.str("reporterType"), ReporterID: in.idp("reporterId"),
			AttendingStaffID: in.idp("attendingStaffId"), DateOfIncident: in.str("dateOfIncident"),
			Status: in.str("status"), Priority: in.str("priority"), DueDate: in.str("dueDate"),
			Category: in.str("category"), Flags: in.str("flags"), Channel: in.str("channel"),
			Resolution: in.str("resolution"), JSONExt: in.str("jsonExt"), Version: in.version(),
			Contact: contactInput(in),
		}
	}
	idAndVersion := graphql.InputObjectConfigFieldMap{"id": required(uuidScalar), "version": typ(graphql.Int)}

	specs := []mutationSpec{
		{"createTicket", "CreateTicketMutation", ticketFields(false), func(in mutationInput) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) { return r.svc.CreateTicket(ctx, ticketInput(in)) }
		}},
		{"updateTicket", "UpdateTicketMutation", ticketFields(true), func(in mutationInput) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) { return r.svc.UpdateTicket(ctx, ticketInput(in)) }
		}},
		{"deleteTicket", "DeleteTicketMutation",
			graphql.InputObjectConfigFieldMap{"ids": typ(graphql.NewList(uuidScalar)), "version": typ(graphql.Int)},
			func(in mutationInput) grievance.Plan {
				ids := stringList(in["ids"])
				for i, id := range ids {
					ids[i] = rawID(id)
				}
				return func(ctx context.Context) (*grievance.Write, error) {
					return r.svc.DeleteTickets(ctx, ids, in.version())
				}
			}},
		{"createComment", "CreateCommentMutation",
			graphql.InputObjectConfigFieldMap{"ticketId": required(uuidScalar), "commenterType": str(), "commenterId": str(),
				"comment": required(graphql.String), "isPublic": typ(graphql.Boolean)},
			func(in mutationInput) grievance.Plan {
				ci := grievance.CommentInput{TicketID: in.id("ticketId"), CommenterType: in.str("commenterType"),
					CommenterID: in.str("commenterId"), Comment: in.str("comment"), Public: in.boolean("isPublic")}
				return func(ctx context.Context) (*grievance.Write, error) { return r.svc.CreateComment(ctx, ci) }
			}},
		{grievance.OpResolveByComment, "ResolveGrievanceByCommentMutation", idAndVersion, func(in mutationInput) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) {
				return r.svc.ResolveByComment(ctx, in.id("id"), in.version())
			}
		}},
		{grievance.OpReopen, "ReopenTicketMutation", idAndVersion, func(in mutationInput) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) {
				return r.svc.ReopenTicket(ctx, in.id("id"), in.version())
			}
		}},
		{"updateComment", "UpdateCommentMutation",
			graphql.InputObjectConfigFieldMap{"id": required(uuidScalar), "comment": str(), "commenterType": str(),
				"commenterId": str(), "isPublic": typ(graphql.Boolean), "version": typ(graphql.Int)},
			func(in mutationInput) grievance.Plan {
				ci := grievance.CommentInput{ID: in.id("id"), Comment: in.str("comment"), CommenterType: in.str("commenterType"),
					CommenterID: in.str("commenterId"), Public: in.boolean("isPublic"), Version: in.version()}
				return func(ctx context.Context) (*grievance.Write, error) { return r.svc.UpdateComment(ctx, ci) }
			}},
		{"deleteComment", "DeleteCommentMutation", idAndVersion, func(in mutationInput) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) {
				return r.svc.DeleteComment(ctx, in.id("id"), in.version())
			}
		}},
		{"deleteAttachment", "DeleteAttachmentMutation", idAndVersion, func(in mutationInput) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) {
				return r.svc.DeleteAttachment(ctx, in.id("id"), in.version())
			}
		}},
		{"updateGrievanceConfig", "UpdateGrievanceConfigMutation",
			graphql.InputObjectConfigFieldMap{"config": required(jsonStringScalar)},
			func(in mutationInput) grievance.Plan {
				doc, _ := in["config"].(string)
				return func(ctx context.Context) (*grievance.Write, error) { return r.svc.UpdateConfig(ctx, []byte(doc)) }
			}},
	}
	fields := graphql.Fields{}
	for _, s := range specs {
		fields[s.name] = r.mutationField(s)
	}
	return fields
}

// mutationPayload is the value of every XMutationPayload.
type mutationPayload struct {
	clientMutationID *string
	internalID       string
}

func (r *resolver) mutationField(s mutationSpec) *graphql.Field {
	fields := graphql.InputObjectConfigFieldMap{
		"clientMutationId":      {Type: graphql.String},
		"clientMutationLabel":   {Type: graphql.String},
		"clientMutationDetails": {Type: graphql.NewList(graphql.String)},
		"mutationExtensions":    {Type: jsonStringScalar},
	}
	for k, v := range s.fields {
		fields[k] = v
	}
	input := graphql.NewInputObject(graphql.InputObjectConfig{Name: s.class + "Input", Fields: fields})
	payload := graphql.NewObject(graphql.ObjectConfig{Name: s.class + "Payload", Fields: graphql.Fields{
		"clientMutationId": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			if id := p.Source.(mutationPayload).clientMutationID; id != nil {
				return *id, nil
			}
			return nil, nil
		}},
		"internalId": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(mutationPayload).internalID, nil
		}},
	}})
	return &graphql.Field{
		Type: payload,
		Args: graphql.FieldConfigArgument{"input": {Type: graphql.NewNonNull(input)}},
		Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
			in, _ := p.Args["input"].(map[string]any)
			return r.mutate(p.Context, s, mutationInput(in))
		}),
	}
}

// mutate runs one mutation through the service's mutation log.
func (r *resolver) mutate(ctx context.Context, s mutationSpec, in mutationInput) (any, error) {
	content, err := json.Marshal(recordedInput(in))
	if err != nil {
		return nil, err
	}
	req := grievance.MutationRequest{
		Name:                  s.name,
		Class:                 s.class,
		ClientMutationDetails: stringList(in["clientMutationDetails"]),
		JSONContent:           string(content),
		ExplicitVersion:       in.version() != nil,
	}
	cmid := in.str("clientMutationId")
	if cmid != nil {
		req.ClientMutationID = *cmid
	}
	if label := in.str("clientMutationLabel"); label != nil {
		req.ClientMutationLabel = *label
	}
	log, err := r.svc.Mutate(ctx, req, s.plan(in))
	if err != nil {
		var mf *grievance.MutationFailure
		if !errors.As(err, &mf) || mf.Log == nil {
			return nil, err
		}
		// The failure is recorded in the log the client will read; the
		// cause is ours to keep.
		r.log.ErrorContext(ctx, "graphql: mutation failed internally", "requestId", RequestID(ctx),
			"mutation", s.name, "log", mf.Log.ID, "err", mf.Err)
		log = mf.Log
	}
	return mutationPayload{clientMutationID: cmid, internalID: log.ID}, nil
}

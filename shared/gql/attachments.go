package gql

import (
	"encoding/json"

	"github.com/graphql-go/graphql"

	"github.com/redress-grm/redress/shared/grievance"
)

// Attachments (docs/attachments.md): createAttachmentUpload answers at
// once with a presigned POST (not through the mutation log: the client
// needs the form now, and nothing about the ticket changes until the file
// has arrived and been scanned); ticketAttachments and Ticket.attachments
// list what the reader may see; deleteAttachment is an ordinary openIMIS
// mutation (mutations.go).

var attachmentStatusEnum = func() *graphql.Enum {
	values := graphql.EnumValueConfigMap{}
	for _, s := range grievance.AttachmentStatuses {
		values[string(s)] = &graphql.EnumValueConfig{Value: string(s)}
	}
	return graphql.NewEnum(graphql.EnumConfig{Name: "AttachmentStatus", Values: values})
}()

func (r *resolver) attachmentType() *graphql.Object {
	at := func(p graphql.ResolveParams) *grievance.AttachmentView { return p.Source.(*grievance.AttachmentView) }
	field := func(typ graphql.Output, get func(*grievance.AttachmentView) any) *graphql.Field {
		return &graphql.Field{Type: typ, Resolve: func(p graphql.ResolveParams) (any, error) { return get(at(p)), nil }}
	}
	nonNull := graphql.NewNonNull
	return graphql.NewObject(graphql.ObjectConfig{Name: "Attachment", Fields: graphql.Fields{
		"id":          field(nonNull(graphql.ID), func(a *grievance.AttachmentView) any { return a.ID }),
		"fileName":    field(nonNull(graphql.String), func(a *grievance.AttachmentView) any { return a.FileName }),
		"contentType": field(nonNull(graphql.String), func(a *grievance.AttachmentView) any { return a.ContentType }),
		"size":        field(nonNull(graphql.Int), func(a *grievance.AttachmentView) any { return a.Size }),
		"status":      field(nonNull(attachmentStatusEnum), func(a *grievance.AttachmentView) any { return string(a.Status) }),
		"uploadedBy":  field(nonNull(graphql.ID), func(a *grievance.AttachmentView) any { return a.UploadedBy }),
		"dateCreated": field(nonNull(dateTimeScalar), func(a *grievance.AttachmentView) any { return a.DateCreated }),
		"version":     field(nonNull(graphql.Int), func(a *grievance.AttachmentView) any { return a.Version }),
		"downloadUrl": field(graphql.String, func(a *grievance.AttachmentView) any {
			if a.DownloadURL == "" {
				return nil
			}
			return a.DownloadURL
		}),
	}})
}

func attachmentPageArgs() graphql.FieldConfigArgument {
	return graphql.FieldConfigArgument{"first": {Type: graphql.Int}, "after": {Type: graphql.String}}
}

// attachments lists the attachments of ticketID as the reader may see them.
func (r *resolver) attachments(p graphql.ResolveParams, ticketID string) (any, error) {
	page, err := r.svc.TicketAttachments(p.Context, ticketID, pageArgs(p.Args))
	if err != nil {
		return nil, err
	}
	nodes := make([]any, len(page.Items))
	for i, a := range page.Items {
		nodes[i] = a
	}
	return newConnection(page, nodes), nil
}

func (r *resolver) attachmentQueryFields() graphql.Fields {
	args := attachmentPageArgs()
	args["ticketId"] = &graphql.ArgumentConfig{Type: graphql.NewNonNull(graphql.ID)}
	return graphql.Fields{
		"ticketAttachments": {
			Type: r.attachmentConn,
			Args: args,
			Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
				id, _ := p.Args["ticketId"].(string)
				return r.attachments(p, rawID(id))
			}),
		},
	}
}

// ticketAttachmentsField is Ticket.attachments: the ticket's current
// attachments, also on a history version (files are not versioned).
func (r *resolver) ticketAttachmentsField() *graphql.Field {
	return &graphql.Field{
		Type: graphql.NewNonNull(r.attachmentConn),
		Args: attachmentPageArgs(),
		Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
			return r.attachments(p, p.Source.(*ticketNode).t.ID)
		}),
	}
}

type uploadValue struct {
	id, url, fields string
}

func (r *resolver) attachmentMutationFields() graphql.Fields {
	nonNull := graphql.NewNonNull
	upload := graphql.NewObject(graphql.ObjectConfig{Name: "AttachmentUpload", Fields: graphql.Fields{
		"attachmentId": {Type: nonNull(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(uploadValue).id, nil }},
		"url":          {Type: nonNull(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(uploadValue).url, nil }},
		// fields is a JSON object string of the POST's form fields.
		"fields": {Type: nonNull(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(uploadValue).fields, nil }},
	}})
	return graphql.Fields{
		"createAttachmentUpload": {
			Type: upload,
			Args: graphql.FieldConfigArgument{
				"ticketId":    {Type: nonNull(graphql.ID)},
				"fileName":    {Type: nonNull(graphql.String)},
				"contentType": {Type: nonNull(graphql.String)},
				"size":        {Type: nonNull(graphql.Int)},
			},
			Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
				in := grievance.AttachmentInput{}
				id, _ := p.Args["ticketId"].(string)
				in.TicketID = rawID(id)
				in.FileName, _ = p.Args["fileName"].(string)
				in.ContentType, _ = p.Args["contentType"].(string)
				size, _ := p.Args["size"].(int)
				in.Size = int64(size)
				up, err := r.svc.CreateAttachmentUpload(p.Context, in)
				if err != nil {
					return nil, err
				}
				fields, err := json.Marshal(up.Form.Fields)
				if err != nil {
					return nil, err
				}
				return uploadValue{id: up.Attachment.ID, url: up.Form.URL, fields: string(fields)}, nil
			}),
		},
	}
}

package gql

import (
	"github.com/graphql-go/graphql"

	"github.com/redress-grm/redress/shared/grievance"
)

// A ticket's contact block (Redress; openIMIS has none): how to reach a
// complainant who is not in the registry. Read like the reporter: with
// the ticket-details right, masked where the reporter is.

var contactInputType = graphql.NewInputObject(graphql.InputObjectConfig{
	Name: "TicketContactInput",
	Fields: graphql.InputObjectConfigFieldMap{
		"name": {Type: graphql.String}, "phone": {Type: graphql.String}, "email": {Type: graphql.String},
		"sex": {Type: graphql.String}, "ageBand": {Type: graphql.String}, "location": {Type: graphql.String},
		"preferredLanguage": {Type: graphql.String}, "anonymous": {Type: graphql.Boolean},
	},
})

// contactInput returns the contact block sent with a ticket mutation, nil
// when none was sent; an explicit null (or an empty block) removes it.
func contactInput(in mutationInput) *grievance.Contact {
	v, ok := in["contact"]
	if !ok {
		return nil
	}
	m, _ := v.(map[string]any)
	s := func(k string) string { x, _ := m[k].(string); return x }
	anon, _ := m["anonymous"].(bool)
	return &grievance.Contact{Name: s("name"), Phone: s("phone"), Email: s("email"), Sex: s("sex"),
		AgeBand: s("ageBand"), Location: s("location"), Language: s("preferredLanguage"), Anonymous: anon}
}

// recordedInput is a mutation's input as its log keeps it: a contact's
// phone and e-mail stay on the ticket only, so that the log, which
// outlives changes to the ticket, holds no copy of them.
func recordedInput(in mutationInput) map[string]any {
	c, ok := in["contact"].(map[string]any)
	if !ok {
		return in
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		out[k] = v
	}
	rc := make(map[string]any, len(c))
	for k, v := range c {
		if (k == "phone" || k == "email") && v != nil && v != "" {
			v = grievance.Restricted
		}
		rc[k] = v
	}
	out["contact"] = rc
	return out
}

func (r *resolver) contactField() *graphql.Field {
	str := func(get func(*grievance.Contact) string) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			return serializeText(get(p.Source.(*grievance.Contact))), nil
		}}
	}
	typ := graphql.NewObject(graphql.ObjectConfig{Name: "TicketContactType", Fields: graphql.Fields{
		"name":              str(func(c *grievance.Contact) string { return c.Name }),
		"phone":             str(func(c *grievance.Contact) string { return c.Phone }),
		"email":             str(func(c *grievance.Contact) string { return c.Email }),
		"sex":               str(func(c *grievance.Contact) string { return c.Sex }),
		"ageBand":           str(func(c *grievance.Contact) string { return c.AgeBand }),
		"location":          str(func(c *grievance.Contact) string { return c.Location }),
		"preferredLanguage": str(func(c *grievance.Contact) string { return c.Language }),
		"anonymous": {Type: graphql.NewNonNull(graphql.Boolean), Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(*grievance.Contact).Anonymous, nil
		}},
	}})
	return &graphql.Field{Type: typ, Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
		n := p.Source.(*ticketNode)
		if n.t.Contact == nil {
			return nil, nil
		}
		if err := r.mayReadTicketDetails(p.Context, loaderFrom(p.Context, r.svc)); err != nil {
			return nil, err
		}
		return n.t.Contact, nil
	})}
}

// registryJSONExt is a directory record's jsonExt in the reporter and
// commenter JSON: its free JSON plus the registry's columns, phone and
// email included, where the openIMIS client reads them (jsonExt.phone,
// jsonExt.email). That JSON is masked with the reporter.
func registryJSONExt(p *grievance.Person) map[string]any {
	ext := make(map[string]any, len(p.JSONExt)+6)
	for k, v := range p.JSONExt {
		ext[k] = v
	}
	for k, v := range map[string]string{"external_id": p.ExternalID, "sex": p.Sex, "location": p.Location,
		"programme": p.Programme, "phone": p.Phone, "email": p.Email} {
		if v != "" {
			ext[k] = v
		}
	}
	return ext
}

package gql

import (
	"context"

	"github.com/graphql-go/graphql"

	"github.com/redress-grm/redress/shared/directory"
	"github.com/redress-grm/redress/shared/grievance"
)

// Pickers (issue #15): the queries the openIMIS client's own pickers send
// (admin.UserPicker, individual.IndividualPicker,
// socialProtection.BeneficiaryPicker and BenefitPlanPicker), answered from
// the directory. Nodes carry Relay global ids like every node here; inputs
// that take a person id accept them as well as raw UUIDs. Phone numbers
// and e-mail addresses are never shown by a picker (phone is a search key
// only).

type individualNode struct{ p *grievance.Person }

type beneficiaryNode struct {
	p   *grievance.Person
	ind *grievance.Person // nil when the registry named no (known) individual
}

type programmeNode struct{ p *grievance.Programme }

// pickerTypes are built once per schema.
type pickerTypes struct {
	userConn, individualConn, beneficiaryConn, planConn *graphql.Object
	individual, beneficiary, plan                       *graphql.Object
}

// registryExt is the jsonExt a picker shows of a record: its free JSON
// and the registry's non-personal columns.
func registryExt(p *grievance.Person) string {
	ext := map[string]any{}
	for k, v := range p.JSONExt {
		ext[k] = v
	}
	for k, v := range map[string]string{"external_id": p.ExternalID, "sex": p.Sex, "location": p.Location, "programme": p.Programme} {
		if v != "" {
			ext[k] = v
		}
	}
	return pyJSON(ext)
}

func (r *resolver) pickerTypeSet() *pickerTypes {
	t := &pickerTypes{}
	str := func(get func(*grievance.Person) string, src func(any) *grievance.Person) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			if rec := src(p.Source); rec != nil {
				return serializeText(get(rec)), nil
			}
			return nil, nil
		}}
	}
	ind := func(src any) *grievance.Person {
		switch n := src.(type) {
		case individualNode:
			return n.p
		case *grievance.Person:
			return n
		}
		return nil
	}
	t.individual = graphql.NewObject(graphql.ObjectConfig{Name: "IndividualGQLType", Fields: graphql.Fields{
		"id": {Type: graphql.NewNonNull(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) {
			return globalID("IndividualGQLType", ind(p.Source).ID), nil
		}},
		"uuid":       str(func(p *grievance.Person) string { return p.ID }, ind),
		"firstName":  str(func(p *grievance.Person) string { return p.FirstName }, ind),
		"lastName":   str(func(p *grievance.Person) string { return p.LastName }, ind),
		"dob":        str(func(p *grievance.Person) string { return p.Dob }, ind),
		"externalId": str(func(p *grievance.Person) string { return p.ExternalID }, ind),
		"jsonExt":    {Type: jsonStringScalar, Resolve: func(p graphql.ResolveParams) (any, error) { return registryExt(ind(p.Source)), nil }},
		"isDeleted": {Type: graphql.NewNonNull(graphql.Boolean), Resolve: func(p graphql.ResolveParams) (any, error) {
			return ind(p.Source).Inactive, nil
		}},
	}})
	plan := func(src any) *grievance.Programme { return src.(programmeNode).p }
	planStr := func(get func(*grievance.Programme) string) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) { return get(plan(p.Source)), nil }}
	}
	t.plan = graphql.NewObject(graphql.ObjectConfig{Name: "BenefitPlanGQLType", Fields: graphql.Fields{
		"id": {Type: graphql.NewNonNull(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) {
			return globalID("BenefitPlanGQLType", plan(p.Source).ID), nil
		}},
		"uuid": planStr(func(p *grievance.Programme) string { return p.ID }),
		"code": planStr(func(p *grievance.Programme) string { return p.Code }),
		// Redress knows a programme only by the code its registry uses.
		"name":      planStr(func(p *grievance.Programme) string { return p.Code }),
		"type":      planStr(func(*grievance.Programme) string { return "INDIVIDUAL" }),
		"jsonExt":   planStr(func(*grievance.Programme) string { return "{}" }),
		"isDeleted": {Type: graphql.NewNonNull(graphql.Boolean), Resolve: func(graphql.ResolveParams) (any, error) { return false, nil }},
	}})
	ben := func(src any) *grievance.Person { return src.(beneficiaryNode).p }
	t.beneficiary = graphql.NewObject(graphql.ObjectConfig{Name: "BeneficiaryGQLType", Fields: graphql.Fields{
		"id": {Type: graphql.NewNonNull(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) {
			return globalID("BeneficiaryGQLType", ben(p.Source).ID), nil
		}},
		"uuid":       str(func(p *grievance.Person) string { return p.ID }, ben),
		"externalId": str(func(p *grievance.Person) string { return p.ExternalID }, ben),
		"jsonExt":    {Type: jsonStringScalar, Resolve: func(p graphql.ResolveParams) (any, error) { return registryExt(ben(p.Source)), nil }},
		"isDeleted": {Type: graphql.NewNonNull(graphql.Boolean), Resolve: func(p graphql.ResolveParams) (any, error) {
			return ben(p.Source).Inactive, nil
		}},
		// individual is the linked individual's record, or, when the
		// registry linked none, the names the beneficiary row carries.
		"individual": {Type: t.individual, Resolve: func(p graphql.ResolveParams) (any, error) {
			n := p.Source.(beneficiaryNode)
			if n.ind != nil {
				return individualNode{n.ind}, nil
			}
			return individualNode{&grievance.Person{ID: n.p.IndividualID, FirstName: n.p.FirstName, LastName: n.p.LastName, Dob: n.p.Dob}}, nil
		}},
		"benefitPlan": {Type: t.plan, Resolve: func(p graphql.ResolveParams) (any, error) {
			n := p.Source.(beneficiaryNode)
			if n.p.Programme == "" {
				return nil, nil
			}
			return programmeNode{&grievance.Programme{ID: directory.ProgrammeID(n.p.Programme), Code: n.p.Programme}}, nil
		}},
	}})
	t.userConn = r.connectionType(r.user)
	t.individualConn = r.connectionType(t.individual)
	t.beneficiaryConn = r.connectionType(t.beneficiary)
	t.planConn = r.connectionType(t.plan)
	return t
}

// iUserField is UserGQLType.iUser: openIMIS's InteractiveUser of a user,
// which in Redress is the user record itself.
func (r *resolver) iUserField() *graphql.Field {
	typ := graphql.NewObject(graphql.ObjectConfig{Name: "InteractiveUserGQLType", Fields: graphql.Fields{
		"id": {Type: graphql.NewNonNull(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) {
			return globalID("InteractiveUserGQLType", p.Source.(userRef).id), nil
		}},
		"uuid": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(userRef).id, nil }},
		"otherNames": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			if u := p.Source.(userRef).p; u != nil {
				return serializeText(u.FirstName), nil
			}
			return nil, nil
		}},
		"lastName": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			if u := p.Source.(userRef).p; u != nil {
				return serializeText(u.LastName), nil
			}
			return nil, nil
		}},
	}})
	return &graphql.Field{Type: typ, Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source, nil }}
}

func (r *resolver) pickerQueries(t *pickerTypes) graphql.Fields {
	args := func(extra graphql.FieldConfigArgument) graphql.FieldConfigArgument {
		a := connectionArgs()
		a["isDeleted"] = &graphql.ArgumentConfig{Type: graphql.Boolean}
		for k, v := range extra {
			a[k] = v
		}
		return a
	}
	s := func() *graphql.ArgumentConfig { return &graphql.ArgumentConfig{Type: graphql.String} }
	id := func() *graphql.ArgumentConfig { return &graphql.ArgumentConfig{Type: graphql.ID} }
	return graphql.Fields{
		"users": {
			Type: t.userConn,
			Args: args(graphql.FieldConfigArgument{"str": s(), "role": s()}),
			Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
				q := personQuery(p, grievance.PersonUser)
				q.Name, _ = p.Args["str"].(string)
				q.Role, _ = p.Args["role"].(string)
				page, err := r.svc.SearchPeople(p.Context, q)
				if err != nil {
					return nil, err
				}
				nodes := make([]any, len(page.Items))
				for i, u := range page.Items {
					nodes[i] = userRef{id: u.ID, p: u}
				}
				return newConnection(page, nodes), nil
			}),
		},
		"individual": {
			Type: t.individualConn,
			Args: args(graphql.FieldConfigArgument{"id": id(), "lastName_Icontains": s(), "benefitPlanId": id(),
				"externalId": s(), "phone": s()}),
			Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
				q := personQuery(p, grievance.PersonIndividual)
				q.Name, _ = p.Args["lastName_Icontains"].(string)
				q.Programme = planArg(p.Args["benefitPlanId"])
				page, err := r.svc.SearchPeople(p.Context, q)
				if err != nil {
					return nil, err
				}
				nodes := make([]any, len(page.Items))
				for i, x := range page.Items {
					nodes[i] = individualNode{x}
				}
				return newConnection(page, nodes), nil
			}),
		},
		"beneficiary": {
			Type: t.beneficiaryConn,
			Args: args(graphql.FieldConfigArgument{"id": id(), "individual_LastName_Icontains": s(), "benefitPlan_Id": id(),
				"externalId": s(), "phone": s()}),
			Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
				q := personQuery(p, grievance.PersonBeneficiary)
				q.Name, _ = p.Args["individual_LastName_Icontains"].(string)
				q.Programme = planArg(p.Args["benefitPlan_Id"])
				page, err := r.svc.SearchPeople(p.Context, q)
				if err != nil {
					return nil, err
				}
				return r.beneficiaryNodes(p.Context, page)
			}),
		},
		"benefitPlan": {
			Type: t.planConn,
			Args: args(graphql.FieldConfigArgument{"search": s(), "sortAlphabetically": {Type: graphql.Boolean}}),
			Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
				search, _ := p.Args["search"].(string)
				if deleted, _ := p.Args["isDeleted"].(bool); deleted {
					search = "\x00" // programmes are never deleted: nothing matches
				}
				page, err := r.svc.SearchProgrammes(p.Context, search, pageArgs(p.Args), selects(p.Info, "totalCount"))
				if err != nil {
					return nil, err
				}
				nodes := make([]any, len(page.Items))
				for i, x := range page.Items {
					nodes[i] = programmeNode{x}
				}
				return newConnection(page, nodes), nil
			}),
		},
	}
}

func personQuery(p graphql.ResolveParams, typ grievance.PersonType) grievance.PersonQuery {
	q := grievance.PersonQuery{Type: typ, Page: pageArgs(p.Args), WantCount: selects(p.Info, "totalCount")}
	if v, ok := p.Args["id"].(string); ok {
		q.ID = pickerID(v)
	}
	q.ExternalID, _ = p.Args["externalId"].(string)
	q.Phone, _ = p.Args["phone"].(string)
	if deleted, ok := p.Args["isDeleted"].(bool); ok && deleted {
		q.OnlyInactive = true
	}
	return q
}

// pickerID accepts a raw UUID or a global id of a picker node.
func pickerID(s string) string {
	return rawID(s)
}

func planArg(v any) string {
	s, _ := v.(string)
	return pickerID(s)
}

// beneficiaryNodes loads the individuals of a page of beneficiaries with
// one BatchGetItem.
func (r *resolver) beneficiaryNodes(ctx context.Context, page *grievance.Page[*grievance.Person]) (any, error) {
	var ids []string
	for _, b := range page.Items {
		if b.IndividualID != "" {
			ids = append(ids, b.IndividualID)
		}
	}
	inds, err := r.svc.People(ctx, ids)
	if err != nil {
		return nil, err
	}
	nodes := make([]any, len(page.Items))
	for i, b := range page.Items {
		n := beneficiaryNode{p: b}
		if ind := inds[b.IndividualID]; ind != nil && ind.Type == grievance.PersonIndividual {
			c := *ind
			c.Phone, c.Email = "", ""
			n.ind = &c
		}
		nodes[i] = n
	}
	return newConnection(page, nodes), nil
}

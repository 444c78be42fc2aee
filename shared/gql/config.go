package gql

import (
	"github.com/graphql-go/graphql"

	"github.com/redress-grm/redress/shared/grievance"
)

// staffRoles and resolutionTime are the rows of the two list fields of
// grievanceConfig, in the configuration's key order.
type staffRoles struct {
	category string
	roleIDs  []string
}

type resolutionTime struct{ category, time string }

func (r *resolver) configType() *graphql.Object {
	cfg := func(p graphql.ResolveParams) *grievance.Config { return p.Source.(*grievance.Config) }
	strs := graphql.NewList(graphql.String)
	roles := graphql.NewObject(graphql.ObjectConfig{Name: "AttendingStaffRoleGQLType", Fields: graphql.Fields{
		"category": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(staffRoles).category, nil
		}},
		"roleIds": {Type: strs, Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(staffRoles).roleIDs, nil
		}},
	}})
	times := graphql.NewObject(graphql.ObjectConfig{Name: "ResolutionTimesByCategoryGQLType", Fields: graphql.Fields{
		"category": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(resolutionTime).category, nil
		}},
		"resolutionTime": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(resolutionTime).time, nil
		}},
	}})
	return graphql.NewObject(graphql.ObjectConfig{Name: "GrievanceTypeConfigurationGQLType", Fields: graphql.Fields{
		"grievanceTypes": {Type: strs, Resolve: func(p graphql.ResolveParams) (any, error) {
			return cfg(p).GrievanceTypes, nil
		}},
		"grievanceFlags": {Type: strs, Resolve: func(p graphql.ResolveParams) (any, error) {
			return cfg(p).GrievanceFlags, nil
		}},
		"grievanceChannels": {Type: strs, Resolve: func(p graphql.ResolveParams) (any, error) {
			return cfg(p).GrievanceChannels, nil
		}},
		"grievanceCategoryStaffRoles": {Type: graphql.NewList(roles), Resolve: func(p graphql.ResolveParams) (any, error) {
			c := cfg(p)
			out := make([]any, 0, len(c.DefaultAttendingStaffRole.Keys))
			for _, k := range c.DefaultAttendingStaffRole.Keys {
				out = append(out, staffRoles{category: k, roleIDs: []string(c.DefaultAttendingStaffRole.Values[k])})
			}
			return out, nil
		}},
		"grievanceDefaultResolutionsByCategory": {Type: graphql.NewList(times), Resolve: func(p graphql.ResolveParams) (any, error) {
			c := cfg(p)
			out := make([]any, 0, len(c.DefaultResolution.Keys))
			for _, k := range c.DefaultResolution.Keys {
				// Empty entries show resolution_times, as openIMIS fills
				// them at startup.
				out = append(out, resolutionTime{category: k, time: c.DefaultResolutionFor(k)})
			}
			return out, nil
		}},
	}})
}

func (r *resolver) grievanceConfig(p graphql.ResolveParams) (any, error) {
	cfg, err := r.svc.ReaderConfig(p.Context)
	if err != nil {
		if r.client != nil && grievance.PrincipalFrom(p.Context) == nil && grievance.ErrorCode(err) == grievance.CodeUnauthenticated {
			// The client's login page asks for it: "Unauthorized" would
			// open its "session expired" dialog there.
			return nil, grievance.Errorf(grievance.CodeUnauthenticated, "Sign in to read the grievance configuration.")
		}
		return nil, err
	}
	return cfg, nil
}

func (r *resolver) mutationLogArgs() graphql.FieldConfigArgument {
	args := connectionArgs()
	for name, typ := range map[string]graphql.Input{
		"id":                  graphql.ID,
		"clientMutationId":    graphql.String,
		"clientMutationLabel": graphql.String,
		"requestDateTime":     dateTimeScalar,
		"requestDateTime_Gte": dateTimeScalar,
		"requestDateTime_Lte": dateTimeScalar,
		"status":              graphql.Int,
		"status_Gte":          graphql.Int,
		"user":                graphql.ID,
		"orderBy":             graphql.NewList(graphql.String),
	} {
		args[name] = &graphql.ArgumentConfig{Type: typ}
	}
	return args
}

// listMutationLogs serves core's mutationLogs: the caller's own logs
// (everyone's for admins), newest first unless ordered otherwise.
func (r *resolver) listMutationLogs(p graphql.ResolveParams) (any, error) {
	q := grievance.MutationLogQuery{
		OrderBy:   stringList(p.Args["orderBy"]),
		Page:      pageArgs(p.Args),
		WantCount: selects(p.Info, "totalCount"),
	}
	if id, ok := p.Args["id"].(string); ok {
		q.ID = rawID(id)
	}
	q.ClientMutationID, _ = p.Args["clientMutationId"].(string)
	q.ClientMutationLabel, _ = p.Args["clientMutationLabel"].(string)
	q.RequestAt, _ = p.Args["requestDateTime"].(string)
	q.RequestFrom, _ = p.Args["requestDateTime_Gte"].(string)
	q.RequestTo, _ = p.Args["requestDateTime_Lte"].(string)
	if v, ok := p.Args["status"].(int); ok {
		q.Status = &v
	}
	if v, ok := p.Args["status_Gte"].(int); ok {
		q.StatusGte = &v
	}
	if user, ok := p.Args["user"].(string); ok && user != "" {
		q.UserID = rawID(user)
	}
	page, err := r.svc.MutationLogs(p.Context, q)
	if err != nil {
		return nil, err
	}
	return newConnection(page, logNodes(page.Items)), nil
}

package gql

import (
	"github.com/graphql-go/graphql"

	"github.com/redress-grm/redress/shared/grievance"
)

// statisticsType is grievanceStatistics' result (docs/sla.md).
func (r *resolver) statisticsType() *graphql.Object {
	count := graphql.NewObject(graphql.ObjectConfig{Name: "GrievanceCountGQLType", Fields: graphql.Fields{
		"key": {Type: graphql.String, Description: "The value counted; null for tickets without one.",
			Resolve: func(p graphql.ResolveParams) (any, error) { return serializeText(p.Source.(grievance.Count).Key), nil }},
		"count": {Type: graphql.NewNonNull(graphql.Int),
			Resolve: func(p graphql.ResolveParams) (any, error) { return int(p.Source.(grievance.Count).Count), nil }},
	}})
	st := func(p graphql.ResolveParams) *grievance.Statistics { return p.Source.(*grievance.Statistics) }
	num := func(get func(*grievance.Statistics) int64) *graphql.Field {
		return &graphql.Field{Type: graphql.NewNonNull(graphql.Int), Resolve: func(p graphql.ResolveParams) (any, error) {
			return int(get(st(p))), nil
		}}
	}
	float := func(get func(*grievance.Statistics) *float64) *graphql.Field {
		return &graphql.Field{Type: graphql.Float, Resolve: func(p graphql.ResolveParams) (any, error) {
			if v := get(st(p)); v != nil {
				return *v, nil
			}
			return nil, nil
		}}
	}
	counts := func(get func(*grievance.Statistics) []grievance.Count) *graphql.Field {
		return &graphql.Field{Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(count))), Resolve: func(p graphql.ResolveParams) (any, error) {
			out := []any{}
			for _, c := range get(st(p)) {
				out = append(out, c)
			}
			return out, nil
		}}
	}
	in := func(p graphql.ResolveParams) *grievance.IntakeStatistics {
		return p.Source.(*grievance.IntakeStatistics)
	}
	inCounts := func(get func(*grievance.IntakeStatistics) []grievance.Count) *graphql.Field {
		return &graphql.Field{Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(count))), Resolve: func(p graphql.ResolveParams) (any, error) {
			out := []any{}
			for _, c := range get(in(p)) {
				out = append(out, c)
			}
			return out, nil
		}}
	}
	optFloat := func(v *float64) any {
		if v == nil {
			return nil
		}
		return *v
	}
	intake := graphql.NewObject(graphql.ObjectConfig{
		Name:        "GrievanceIntakeStatisticsGQLType",
		Description: "Measures of the public channels (docs/intake.md); rows and counts below suppressedBelow are left out or null.",
		Fields: graphql.Fields{
			"received": {Type: graphql.NewNonNull(graphql.Int), Resolve: func(p graphql.ResolveParams) (any, error) { return int(in(p).Received), nil }},
			"bySource": inCounts(func(s *grievance.IntakeStatistics) []grievance.Count { return s.BySource }),
			"anonymous": {Type: graphql.Int, Resolve: func(p graphql.ResolveParams) (any, error) {
				if a := in(p).Anonymous; a != nil {
					return int(*a), nil
				}
				return nil, nil
			}},
			"shareAnonymous":    {Type: graphql.Float, Resolve: func(p graphql.ResolveParams) (any, error) { return optFloat(in(p).ShareAnonymous), nil }},
			"acknowledged":      {Type: graphql.NewNonNull(graphql.Int), Resolve: func(p graphql.ResolveParams) (any, error) { return int(in(p).Acknowledged), nil }},
			"shareAcknowledged": {Type: graphql.Float, Resolve: func(p graphql.ResolveParams) (any, error) { return optFloat(in(p).ShareAcknowledged), nil }},
			"bySex":             inCounts(func(s *grievance.IntakeStatistics) []grievance.Count { return s.BySex }),
			"byLocation":        inCounts(func(s *grievance.IntakeStatistics) []grievance.Count { return s.ByLocation }),
			"suppressedBelow":   {Type: graphql.NewNonNull(graphql.Int), Resolve: func(p graphql.ResolveParams) (any, error) { return in(p).SuppressedBelow, nil }},
		},
	})
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "GrievanceStatisticsGQLType",
		Description: "Tickets created from dateFrom to dateTo (UTC days), in their current state, counted from aggregates.",
		Fields: graphql.Fields{
			"dateFrom":                      {Type: dateScalar, Resolve: func(p graphql.ResolveParams) (any, error) { return st(p).DateFrom, nil }},
			"dateTo":                        {Type: dateScalar, Resolve: func(p graphql.ResolveParams) (any, error) { return st(p).DateTo, nil }},
			"total":                         num(func(s *grievance.Statistics) int64 { return s.Total }),
			"byStatus":                      counts(func(s *grievance.Statistics) []grievance.Count { return s.ByStatus }),
			"byCategory":                    counts(func(s *grievance.Statistics) []grievance.Count { return s.ByCategory }),
			"byChannel":                     counts(func(s *grievance.Statistics) []grievance.Count { return s.ByChannel }),
			"byPriority":                    counts(func(s *grievance.Statistics) []grievance.Count { return s.ByPriority }),
			"byFlag":                        counts(func(s *grievance.Statistics) []grievance.Count { return s.ByFlag }),
			"resolved":                      num(func(s *grievance.Statistics) int64 { return s.Resolved }),
			"averageResolutionHours":        float(func(s *grievance.Statistics) *float64 { return s.AverageResolutionHours }),
			"medianResolutionHours":         float(func(s *grievance.Statistics) *float64 { return s.MedianResolutionHours }),
			"resolvedWithDueDate":           num(func(s *grievance.Statistics) int64 { return s.ResolvedWithDueDate }),
			"resolvedWithinTime":            num(func(s *grievance.Statistics) int64 { return s.ResolvedWithinTime }),
			"shareResolvedWithinTime":       float(func(s *grievance.Statistics) *float64 { return s.ShareResolvedWithinTime }),
			"acknowledged":                  num(func(s *grievance.Statistics) int64 { return s.Acknowledged }),
			"acknowledgedWithinTarget":      num(func(s *grievance.Statistics) int64 { return s.AcknowledgedWithinTarget }),
			"averageHoursToAcknowledge":     float(func(s *grievance.Statistics) *float64 { return s.AverageHoursToAcknowledge }),
			"shareAcknowledgedWithinTarget": float(func(s *grievance.Statistics) *float64 { return s.ShareAcknowledgedWithinTarget }),
			"intake": {Type: graphql.NewNonNull(intake), Resolve: func(p graphql.ResolveParams) (any, error) {
				if s := st(p); s.Intake != nil {
					return s.Intake, nil
				}
				return &grievance.IntakeStatistics{}, nil
			}},
		},
	})
}

func (r *resolver) grievanceStatistics(p graphql.ResolveParams) (any, error) {
	q := grievance.StatsQuery{}
	q.DateFrom, _ = p.Args["dateFrom"].(string)
	q.DateTo, _ = p.Args["dateTo"].(string)
	q.Category, _ = p.Args["category"].(string)
	return r.svc.Statistics(p.Context, q)
}

package gql

import (
	"context"
	"net/http"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/openimis"
)

// Client is the openIMIS web client's compatibility mode
// (docs/openimis-client.md): the session mutations of django-graphql-jwt
// and the start-up queries of openIMIS core, which the grievance module
// does not own. Nil (the default) leaves them out of the schema.
type Client struct {
	Sessions *openimis.Service
	// Languages answer languages; default English.
	Languages []Language
}

// Language is one entry of languages.
type Language struct{ Name, Code string }

// anonymousFields are the only top-level fields a signed-out caller may
// send in the mode: what the client needs before sign-in.
var anonymousFields = map[string]map[string]bool{
	ast.OperationTypeQuery:    {"moduleConfigurations": true, "grievanceConfig": true, "__typename": true},
	ast.OperationTypeMutation: {"tokenAuth": true, "refreshToken": true, "deleteTokenCookie": true, "deleteRefreshTokenCookie": true},
}

// credentialFields ask the identity provider: one per request.
var credentialFields = map[string]bool{"tokenAuth": true, "refreshToken": true}

// sessionFields need no CSRF token from a cookie-authenticated caller:
// they change nothing but the session of the browser that sends them, and
// a page reload loses the client's token before it asks for another.
var sessionFields = map[string]bool{"tokenAuth": true, "refreshToken": true, "getCsrfToken": true,
	"deleteTokenCookie": true, "deleteRefreshTokenCookie": true, "__typename": true}

// admit applies the mode's two request rules before execution: anonymous
// callers reach only anonymousFields, and a mutation authenticated by
// the access cookie needs its session's X-CSRFToken unless it only
// touches the session. It returns the answer of a refused request.
func (s *Server) admit(ctx context.Context, doc *ast.Document, opName string) (Response, bool) {
	op := operationOf(doc, opName)
	if op == nil {
		return Response{}, false // graphql-go reports it
	}
	names, plain := topLevelFields(op)
	// Aliases would let one request carry many password guesses (or
	// refreshes) past the per-request view of the throttle.
	credentials := 0
	for _, n := range names {
		if credentialFields[n] {
			credentials++
		}
	}
	if credentials > 1 {
		return s.respond(ctx, http.StatusBadRequest, nil, []gqlerrors.FormattedError{
			limitError(string(grievance.CodeLimit), "One tokenAuth or refreshToken field per request.", nil)}, false), true
	}
	if grievance.PrincipalFrom(ctx) == nil {
		allowed := anonymousFields[op.Operation]
		for _, n := range names {
			if !allowed[n] {
				plain = false
			}
		}
		if !plain {
			return s.respond(ctx, http.StatusUnauthorized, nil, []gqlerrors.FormattedError{
				limitError(string(grievance.CodeUnauthenticated), "Unauthorized", nil)}, false), true
		}
		return Response{}, false
	}
	if op.Operation != ast.OperationTypeMutation || !s.client.Sessions.CookieAuthenticated(ctx) {
		return Response{}, false
	}
	needs := !plain
	for _, n := range names {
		needs = needs || !sessionFields[n]
	}
	if needs && !s.client.Sessions.CSRFValid(ctx) {
		return s.respond(ctx, http.StatusForbidden, nil, []gqlerrors.FormattedError{
			limitError(string(grievance.CodeForbidden), "CSRF Failed: CSRF token missing or incorrect.", nil)}, false), true
	}
	return Response{}, false
}

func operationOf(doc *ast.Document, name string) *ast.OperationDefinition {
	var found *ast.OperationDefinition
	for _, d := range doc.Definitions {
		op, ok := d.(*ast.OperationDefinition)
		if !ok {
			continue
		}
		if name == "" {
			if found != nil {
				return nil
			}
			found = op
		} else if op.Name != nil && op.Name.Value == name {
			return op
		}
	}
	return found
}

// topLevelFields lists the operation's root fields; plain is false when
// the root holds fragments, which the rules treat as unknown fields.
func topLevelFields(op *ast.OperationDefinition) (names []string, plain bool) {
	plain = true
	if op.SelectionSet == nil {
		return nil, true
	}
	for _, sel := range op.SelectionSet.Selections {
		f, ok := sel.(*ast.Field)
		if !ok || f.Name == nil {
			plain = false
			continue
		}
		names = append(names, f.Name.Value)
	}
	return names, plain
}

func (r *resolver) clientQueryFields() graphql.Fields {
	str := &graphql.Field{Type: graphql.String}
	control := graphql.NewObject(graphql.ObjectConfig{Name: "ControlGQLType", Fields: graphql.Fields{
		"field": str, "usage": str}})
	module := graphql.NewObject(graphql.ObjectConfig{Name: "ModuleConfigurationGQLType", Fields: graphql.Fields{
		"module": str, "config": str, "controls": {Type: graphql.NewList(control)}}})
	language := graphql.NewObject(graphql.ObjectConfig{Name: "LanguageGQLType", Fields: graphql.Fields{
		"name": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(Language).Name, nil }},
		"code": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(Language).Code, nil }},
	}})
	locationFields := func() graphql.Fields {
		return graphql.Fields{"id": {Type: graphql.ID}, "uuid": str, "code": str, "name": str}
	}
	region := graphql.NewObject(graphql.ObjectConfig{Name: "UserRegionGQLType", Fields: locationFields()})
	districtFields := locationFields()
	districtFields["parent"] = &graphql.Field{Type: region}
	district := graphql.NewObject(graphql.ObjectConfig{Name: "UserDistrictGQLType", Fields: districtFields})
	return graphql.Fields{
		// Redress has no per-deployment front-end module settings: the
		// client's defaults apply. A non-2xx answer would stop the client.
		"moduleConfigurations": {
			Type: graphql.NewList(module),
			Args: graphql.FieldConfigArgument{"validity": {Type: graphql.String}, "layer": {Type: graphql.String}},
			Resolve: func(graphql.ResolveParams) (any, error) {
				return []any{}, nil
			},
		},
		"languages": {
			Type: graphql.NewList(language),
			Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
				if grievance.PrincipalFrom(p.Context) == nil {
					return nil, unauthenticated()
				}
				out := make([]any, 0, len(r.client.Languages))
				for _, l := range r.client.Languages {
					out = append(out, l)
				}
				return out, nil
			}),
		},
		// Redress's rights do not depend on locations: no user is limited
		// to districts, which the client reads as "all".
		"userDistricts": {
			Type: graphql.NewList(district),
			Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
				if grievance.PrincipalFrom(p.Context) == nil {
					return nil, unauthenticated()
				}
				return []any{}, nil
			}),
		},
	}
}

func unauthenticated() error {
	return grievance.Errorf(grievance.CodeUnauthenticated, "Unauthorized")
}

func (r *resolver) clientMutationFields() graphql.Fields {
	signedIn := func(name string) *graphql.Object {
		return graphql.NewObject(graphql.ObjectConfig{Name: name, Fields: graphql.Fields{
			"token": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
				return p.Source.(openimis.SignedIn).Token, nil
			}},
			"refreshExpiresIn": {Type: graphql.Int, Resolve: func(p graphql.ResolveParams) (any, error) {
				return p.Source.(openimis.SignedIn).RefreshExpiresIn, nil
			}},
		}})
	}
	deleted := func(name string) *graphql.Object {
		return graphql.NewObject(graphql.ObjectConfig{Name: name, Fields: graphql.Fields{
			"deleted": {Type: graphql.Boolean, Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source, nil }},
		}})
	}
	sess := r.client.Sessions
	return graphql.Fields{
		"tokenAuth": {
			Type: signedIn("ObtainJSONWebToken"),
			Args: graphql.FieldConfigArgument{
				"username": {Type: graphql.NewNonNull(graphql.String)},
				"password": {Type: graphql.NewNonNull(graphql.String)},
			},
			Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
				user, _ := p.Args["username"].(string)
				pass, _ := p.Args["password"].(string)
				return orNil(sess.TokenAuth(p.Context, user, pass))
			}),
		},
		"refreshToken": {
			Type: signedIn("Refresh"),
			// The client's cookie mode sends no argument; a token in the
			// body is not accepted, the cookie is the only source.
			Args: graphql.FieldConfigArgument{"refreshToken": {Type: graphql.String}},
			Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
				return orNil(sess.RefreshToken(p.Context))
			}),
		},
		"getCsrfToken": {
			Type: graphql.NewObject(graphql.ObjectConfig{Name: "CSRFTokenMutation", Fields: graphql.Fields{
				"csrfToken": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source, nil }},
			}}),
			Resolve: r.resolve(func(p graphql.ResolveParams) (any, error) {
				return orNil(sess.CSRFToken(p.Context))
			}),
		},
		"deleteTokenCookie": {
			Type: deleted("DeleteJSONWebTokenCookie"),
			Resolve: func(p graphql.ResolveParams) (any, error) {
				return sess.DeleteTokenCookie(p.Context), nil
			},
		},
		"deleteRefreshTokenCookie": {
			Type: deleted("DeleteRefreshTokenCookie"),
			Resolve: func(p graphql.ResolveParams) (any, error) {
				return sess.DeleteRefreshTokenCookie(p.Context), nil
			},
		},
	}
}

// orNil drops the value of a failed call: graphql-go would render a
// non-nil zero value beside the error.
func orNil[T any](v T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

package gql

import (
	"context"
	"fmt"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/kinds"
	"github.com/graphql-go/graphql/language/visitor"

	"github.com/redress-grm/redress/shared/grievance"
)

// clientError is the only error type resolvers return. graphql-go sends a
// resolver error's Error() text to the client and looks for Extensions()
// on the unwrapped error only, so the presenter builds this type instead of
// wrapping.
type clientError struct {
	code      grievance.Code
	msg       string
	requestID string
}

func (e *clientError) Error() string { return e.msg }

// Extensions implements graphql-go's gqlerrors.ExtendedError.
func (e *clientError) Extensions() map[string]any {
	return map[string]any{"code": string(e.code), "requestId": e.requestID}
}

var _ gqlerrors.ExtendedError = (*clientError)(nil)

// present converts any error into a client-safe error: the domain's code and
// message, or "Internal error." for anything internal, which is logged in
// full here with the request id (and nowhere else).
func (r *resolver) present(ctx context.Context, err error) error {
	code := grievance.ErrorCode(err)
	rid := RequestID(ctx)
	switch code {
	case grievance.CodeUnavailable:
		// Clients are told to retry; operators need the cause (throttling,
		// DynamoDB out of reach).
		r.log.WarnContext(ctx, "graphql: dependency unavailable", "requestId", rid, "err", err)
	case grievance.CodeInternal:
		r.log.ErrorContext(ctx, "graphql: internal error", "requestId", rid, "err", err)
	}
	return &clientError{code: code, msg: grievance.ErrorMessage(err), requestID: rid}
}

// resolve wraps a resolver so that every error it returns, and any panic,
// goes through the presenter. graphql-go would otherwise turn a panic's
// text (a Go runtime message) into the client-visible message.
func (r *resolver) resolve(fn graphql.FieldResolveFn) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (v any, err error) {
		defer func() {
			if x := recover(); x != nil {
				v, err = nil, r.present(p.Context, fmt.Errorf("panic in %s: %v", p.Info.FieldName, x))
			}
		}()
		v, err = fn(p)
		if err != nil {
			if _, ok := err.(*clientError); !ok {
				err = r.present(p.Context, err)
			}
		}
		return v, err
	}
}

// noIntrospectionRule rejects __schema and __type when introspection is
// off, with a message that says so rather than "Cannot query field".
// __typename stays allowed: clients use it for fragments on interfaces.
func noIntrospectionRule(ctx *graphql.ValidationContext) *graphql.ValidationRuleInstance {
	return &graphql.ValidationRuleInstance{VisitorOpts: &visitor.VisitorOptions{
		KindFuncMap: map[string]visitor.NamedVisitFuncs{
			kinds.Field: {Kind: func(p visitor.VisitFuncParams) (string, any) {
				if f, ok := p.Node.(*ast.Field); ok && f.Name != nil && (f.Name.Value == "__schema" || f.Name.Value == "__type") {
					ctx.ReportError(limitError(CodeIntrospectionDisabled,
						fmt.Sprintf("GraphQL introspection is disabled on this server (field %q).", f.Name.Value), f))
				}
				return visitor.ActionNoChange, nil
			}},
		},
	}}
}

// Package gql serves Redress's GraphQL API: the openIMIS "grievance social
// protection" module's queries and mutations (plus core's mutationLogs), with
// the same type names, argument names and wire formats, so that the openIMIS
// web client works against it unchanged.
//
// The package is transport-neutral: the HTTP or Lambda edge authenticates
// the caller, puts the principal (grievance.NewContext) and a request id
// (WithRequestID) in the context and calls (*Server).Do with the decoded
// request body. Do answers with an HTTP status and a JSON body.
//
// Each distinct document is parsed and validated once (a bounded LRU cache
// keyed by the document text) and then only executed. Every resolver error
// goes through one presenter that turns it into a client-safe message with
// extensions.code and extensions.requestId; internal errors are logged and
// shown as "Internal error.".
package gql

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"

	"github.com/redress-grm/redress/shared/grievance"
)

// Options configure a Server.
type Options struct {
	// Introspection enables __schema and __type queries.
	Introspection bool
	// FieldSuggestions keeps graphql-go's "Did you mean …?" hints in
	// validation messages; off, they are stripped (with introspection off
	// they would map the schema anyway).
	FieldSuggestions bool
	// Limits bound depth, fields, cost and aliases of a document (zero
	// fields take the defaults, negative ones turn a limit off).
	Limits Limits
	// Logger receives internal errors with their request id; nil discards.
	Logger *slog.Logger
	// Rules are extra validation rules run after graphql.SpecifiedRules.
	Rules []graphql.ValidationRuleFn
	// CacheSize bounds the parsed-document cache (default 256 documents).
	CacheSize int
	// Client turns on the openIMIS web client's compatibility mode; nil
	// (the default) leaves it off.
	Client *Client
}

// Request is a GraphQL request as clients post it.
type Request struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// Response is the HTTP status and JSON body to send back.
type Response struct {
	Status int
	Body   []byte
}

// Server executes GraphQL requests against a grievance.Service. It is safe
// for concurrent use.
type Server struct {
	r      *resolver
	schema graphql.Schema
	// limits run first, alone: they bound the work of the specified
	// rules, and a fragment cycle must be refused before
	// OverlappingFieldsCanBeMerged sees it (it recurses until the stack
	// overflows, a fatal error no recover() catches).
	limits    []graphql.ValidationRuleFn
	limitsCfg Limits
	rules     []graphql.ValidationRuleFn
	cache     *docCache
	log       *slog.Logger
	// suggestions keeps "Did you mean …?" in validation messages.
	suggestions bool
	client      *Client
}

// New builds the schema over svc.
func New(svc *grievance.Service, opts Options) (*Server, error) {
	if svc == nil {
		return nil, errors.New("gql: nil service")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &resolver{svc: svc, log: log, client: opts.Client}
	if c := opts.Client; c != nil {
		if c.Sessions == nil {
			return nil, errors.New("gql: the openIMIS client mode needs Sessions")
		}
		if len(c.Languages) == 0 {
			c.Languages = []Language{{Name: "English", Code: "en"}}
		}
	}
	schema, err := r.schema()
	if err != nil {
		return nil, fmt.Errorf("gql: build schema: %w", err)
	}
	rules := append([]graphql.ValidationRuleFn{}, graphql.SpecifiedRules...)
	if !opts.Introspection {
		rules = append(rules, noIntrospectionRule)
	}
	rules = append(rules, opts.Rules...)
	size := opts.CacheSize
	if size <= 0 {
		size = 256
	}
	// The specified rules look fragments up by name and recurse through
	// them, so a cycle, or a second fragment of a name whose spread loops
	// back to it (which NoFragmentCycles, walking one definition per name,
	// does not see), overflows the stack: a fatal error no recover catches.
	// Both are refused in this first pass.
	limits := []graphql.ValidationRuleFn{LimitRule(opts.Limits), graphql.UniqueFragmentNamesRule, graphql.NoFragmentCyclesRule}
	return &Server{r: r, schema: schema, limits: limits, limitsCfg: opts.Limits, rules: rules,
		cache: newDocCache(size), log: log, suggestions: opts.FieldSuggestions, client: opts.Client}, nil
}

// Schema returns the executable schema (for tooling and tests).
func (s *Server) Schema() graphql.Schema { return s.schema }

type requestIDKey struct{}

// WithRequestID returns a context carrying the request id that error
// responses and logs quote.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// document is a parsed and validated document; errs is set when it failed
// either step and is then the whole answer.
type document struct {
	ast  *ast.Document
	errs []gqlerrors.FormattedError
	// lines maps the locations of errors found after parsing (nil for a
	// document that did not parse: its one syntax error is located).
	lines *lineIndex
}

// Do executes req. Parse and validation errors answer 400 without data, as
// openIMIS does; everything else answers 200 with data and any field errors.
func (s *Server) Do(ctx context.Context, req Request) Response {
	doc := s.prepare(req.Query)
	if doc.errs != nil {
		return s.respond(ctx, http.StatusBadRequest, nil, doc.errs, false)
	}
	if s.client != nil {
		if resp, refused := s.admit(ctx, doc.ast, req.OperationName); refused {
			return resp
		}
	}
	ctx = withLoader(ctx, newLoader(s.r.svc))
	res := graphql.Execute(graphql.ExecuteParams{
		Schema:        s.schema,
		AST:           doc.ast,
		OperationName: req.OperationName,
		Args:          req.Variables,
		Context:       ctx,
	})
	if err := ctx.Err(); err != nil {
		// graphql-go answers a done context with the context's own error
		// text and drops whatever data it had: say instead, with a code,
		// that the client may try again.
		s.log.WarnContext(ctx, "graphql: request ran out of time", "requestId", RequestID(ctx), "err", err)
		return s.respond(ctx, http.StatusServiceUnavailable, nil,
			[]gqlerrors.FormattedError{limitError(string(grievance.CodeUnavailable), "The request took too long; try again.", nil)}, false)
	}
	doc.lines.fix(res.Errors)
	if res.Data == nil && len(res.Errors) > 0 {
		// No data at all: the request itself was unusable (unknown
		// operation name, variables of the wrong type).
		return s.respond(ctx, http.StatusBadRequest, nil, res.Errors, false)
	}
	return s.respond(ctx, http.StatusOK, res.Data, res.Errors, true)
}

// prepare returns the cached document for query, parsing and validating it
// on first sight.
func (s *Server) prepare(query string) (doc *document) {
	if d, ok := s.cache.get(query); ok {
		return d
	}
	d := &document{}
	defer func() {
		// graphql-go's parser accepts some broken documents whose
		// validation then panics (a variable without a type, `query($a:)
		// { x }`, dereferences nil in TypeInfo): such a document is the
		// client's error, answered 400 and cached like any other.
		if x := recover(); x != nil {
			// The document is not logged: a mutation can carry a
			// complaint's text inline. Its hash finds it in a client's
			// reproduction.
			sum := sha256.Sum256([]byte(query))
			s.log.Warn("graphql: document broke the validator", "panic", x,
				"documentSHA256", hex.EncodeToString(sum[:8]), "documentBytes", len(query))
			d = &document{errs: []gqlerrors.FormattedError{limitError("GRAPHQL_VALIDATION_FAILED", "The document is malformed.", nil)}}
			s.cache.put(query, d)
			doc = d
		}
	}()
	if e, ok := prescan([]byte(query), s.limitsCfg); !ok {
		d.errs = []gqlerrors.FormattedError{e}
		s.cache.put(query, d)
		return d
	}
	body := []byte(stripNullArguments(query))
	if errs, ok := syntaxCheck(body); !ok {
		d.errs = errs
		s.cache.put(query, d)
		return d
	}
	src := source.NewSource(&source.Source{Body: body, Name: "GraphQL"})
	parsed, err := parser.Parse(parser.ParseParams{Source: src})
	if err == nil {
		// See lineIndex: from here on, graphql-go's error locations cost
		// nothing and are mapped back when answering.
		d.lines = newLineIndex(src.Body)
		src.Body = nil
	}
	if err != nil {
		d.errs = gqlerrors.FormatErrors(err)
	} else if errs := checkShape(parsed, s.limitsCfg); errs != nil {
		d.errs = errs
	} else if vr := graphql.ValidateDocument(&s.schema, parsed, s.limits); !vr.IsValid {
		d.errs = vr.Errors
	} else if vr := graphql.ValidateDocument(&s.schema, parsed, s.rules); !vr.IsValid {
		d.errs = vr.Errors
		if !s.suggestions {
			stripSuggestions(d.errs)
		}
	} else {
		d.ast = parsed
	}
	d.lines.fix(d.errs)
	s.cache.put(query, d)
	return d
}

// wireError is one entry of "errors".
type wireError struct {
	Message    string         `json:"message"`
	Locations  any            `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions"`
}

func (s *Server) respond(ctx context.Context, status int, data any, errs []gqlerrors.FormattedError, withData bool) Response {
	rid := RequestID(ctx)
	wire := make([]wireError, 0, len(errs))
	for _, e := range errs {
		we := wireError{Message: e.Message, Path: e.Path, Extensions: map[string]any{}}
		if len(e.Locations) > 0 {
			we.Locations = e.Locations
		}
		// graphql-go copies extensions from resolver errors (our
		// clientError); errors of its own (validation, coercion) have
		// none and get the request id only.
		for k, v := range e.Extensions {
			we.Extensions[k] = v
		}
		we.Extensions["requestId"] = rid
		wire = append(wire, we)
	}
	var body struct {
		Data   *any        `json:"data,omitempty"`
		Errors []wireError `json:"errors,omitempty"`
	}
	if withData {
		body.Data = &data
	}
	body.Errors = wire
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		s.log.ErrorContext(ctx, "graphql: encode response", "requestId", rid, "err", err)
		return Response{Status: http.StatusInternalServerError,
			Body: fmt.Appendf(nil, `{"errors":[{"message":"Internal error.","extensions":{"code":"INTERNAL","requestId":%q}}]}`, rid)}
	}
	return Response{Status: status, Body: bytes.TrimRight(buf.Bytes(), "\n")}
}

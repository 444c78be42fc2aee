package platform

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-xray-sdk-go/instrumentation/awsv2"
	"github.com/aws/aws-xray-sdk-go/xray"
	"github.com/aws/aws-xray-sdk-go/xraylog"
	"github.com/aws/smithy-go/middleware"
)

// EnvXRayDaemon is the address of the X-Ray daemon. Lambda sets it in every
// function's environment (with active tracing the daemon forwards the
// segments to X-Ray); nothing sets it locally or in the tests, so the AWS
// calls are traced in Lambda only (docs/deploy.md, "Tracing").
const EnvXRayDaemon = "AWS_XRAY_DAEMON_ADDRESS"

// xrayInitialize is the id of the middleware of awsv2.AWSV2Instrumentor
// that begins a call's subsegment.
const xrayInitialize = "XRayInitializeMiddlewareAfter"

// TraceCalls makes every client made from cfg record each AWS call as an
// X-Ray subsegment (AWS's X-Ray SDK for Go, instrumentation/awsv2): named
// after the service, with the operation, region, request id, HTTP status
// and, for DynamoDB, the table and index names. It does nothing, and
// returns false, unless env names the daemon (EnvXRayDaemon) and
// AWS_XRAY_SDK_DISABLED is not true.
//
// A call is traced when its context carries a segment: in Lambda, the
// trace header aws-lambda-go puts in the handler's context (the X-Ray SDK
// makes a facade segment of it, and the subsegments are children of
// Lambda's own function segment), so clients must be given the handler's
// ctx. A call whose context has no segment (during init, say) is not
// traced and logs nothing. The X-Ray SDK's own messages go to log, its
// informational ones at debug.
func TraceCalls(cfg *aws.Config, env Env, log *slog.Logger) bool {
	addr := env(EnvXRayDaemon)
	if addr == "" || strings.EqualFold(env("AWS_XRAY_SDK_DISABLED"), "true") {
		return false
	}
	xray.SetLogger(xrayLogger{log})
	if err := xray.Configure(xray.Config{DaemonAddr: addr, ContextMissingStrategy: contextMissing{log}}); err != nil {
		log.Warn("X-Ray tracing of AWS calls off", "err", err)
		return false
	}
	// Clip so that a copy of cfg made before this call keeps its own
	// options (as RecordCalls does).
	cfg.APIOptions = slices.Clip(cfg.APIOptions)
	awsv2.AWSV2Instrumentor(&cfg.APIOptions)
	cfg.APIOptions = append(cfg.APIOptions, onlyWithSegment)
	return true
}

// onlyWithSegment wraps the X-Ray SDK's initialize middleware: without a
// segment or a Lambda trace header in the context the call goes straight
// on (the SDK would report a missing context, and Lambda sets
// AWS_XRAY_CONTEXT_MISSING=LOG_ERROR, which overrides any strategy given
// in code); with one, the subsegment it begins is given the call's table
// names.
func onlyWithSegment(s *middleware.Stack) error {
	begin, ok := s.Initialize.Get(xrayInitialize)
	if !ok {
		return fmt.Errorf("platform: no %s middleware to wrap", xrayInitialize)
	}
	_, err := s.Initialize.Swap(xrayInitialize, middleware.InitializeMiddlewareFunc(xrayInitialize,
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			parent := xray.GetSegment(ctx)
			if parent == nil && ctx.Value(xray.LambdaTraceHeaderKey) == nil {
				return next.HandleInitialize(ctx, in)
			}
			return begin.HandleInitialize(ctx, in, middleware.InitializeHandlerFunc(
				func(ctx context.Context, in middleware.InitializeInput) (middleware.InitializeOutput, middleware.Metadata, error) {
					if sub := xray.GetSegment(ctx); sub != nil && sub != parent {
						annotate(sub, in.Parameters)
					}
					return next.HandleInitialize(ctx, in)
				}))
		}))
	return err
}

// annotate records the tables (and index) a DynamoDB call goes to under
// the subsegment's "aws" fields, with the names the X-Ray console shows
// for DynamoDB: table_name, table_names, index_name.
func annotate(sub *xray.Segment, params any) {
	var table, index *string
	var tables []string
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		table = in.TableName
	case *dynamodb.PutItemInput:
		table = in.TableName
	case *dynamodb.UpdateItemInput:
		table = in.TableName
	case *dynamodb.DeleteItemInput:
		table = in.TableName
	case *dynamodb.QueryInput:
		table, index = in.TableName, in.IndexName
	case *dynamodb.ScanInput:
		table, index = in.TableName, in.IndexName
	case *dynamodb.DescribeTableInput:
		table = in.TableName
	case *dynamodb.BatchGetItemInput:
		for t := range in.RequestItems {
			tables = append(tables, t)
		}
	case *dynamodb.BatchWriteItemInput:
		for t := range in.RequestItems {
			tables = append(tables, t)
		}
	case *dynamodb.TransactGetItemsInput:
		for _, it := range in.TransactItems {
			if it.Get != nil {
				tables = append(tables, aws.ToString(it.Get.TableName))
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				tables = append(tables, aws.ToString(it.Put.TableName))
			case it.Update != nil:
				tables = append(tables, aws.ToString(it.Update.TableName))
			case it.Delete != nil:
				tables = append(tables, aws.ToString(it.Delete.TableName))
			case it.ConditionCheck != nil:
				tables = append(tables, aws.ToString(it.ConditionCheck.TableName))
			}
		}
	default:
		return
	}
	sub.Lock()
	defer sub.Unlock()
	a := sub.GetAWS()
	if table != nil {
		a["table_name"] = *table
	}
	if index != nil {
		a["index_name"] = *index
	}
	if tables != nil {
		slices.Sort(tables)
		a["table_names"] = slices.Compact(tables)
	}
}

// contextMissing is the X-Ray SDK's strategy for a subsegment begun
// without a segment: a debug line, never an error or a panic.
type contextMissing struct{ log *slog.Logger }

func (c contextMissing) ContextMissing(v any) {
	c.log.Debug("X-Ray: no segment in the context", "detail", fmt.Sprint(v))
}

// xrayLogger sends the X-Ray SDK's messages to the function's logger; its
// info messages (the daemon's address, and so on) at debug.
type xrayLogger struct{ log *slog.Logger }

func (l xrayLogger) Log(level xraylog.LogLevel, msg fmt.Stringer) {
	lvl := slog.LevelDebug
	switch level {
	case xraylog.LogLevelWarn:
		lvl = slog.LevelWarn
	case xraylog.LogLevelError:
		lvl = slog.LevelError
	}
	ctx := context.Background()
	if l.log.Enabled(ctx, lvl) {
		l.log.Log(ctx, lvl, "X-Ray: "+msg.String())
	}
}

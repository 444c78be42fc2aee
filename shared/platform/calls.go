package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/redress-grm/redress/shared/store"
)

// EnvCallLog names a directory. When it is set, every AWS call a function
// makes is appended to <dir>/<function>-<pid>.jsonl as a Call, once per
// distinct call and process. The tests set it so that infra/ can check the
// calls against the roles of the synthesized stack (docs/deploy.md,
// "Permissions"); deployed functions never have it.
const EnvCallLog = "REDRESS_CALL_LOG"

// Call is one kind of AWS API call a function made. Resource names the
// stack's logical resource, not the physical one, so that calls recorded
// against differently named test tables compare with the template:
// "table/Main", "table/Main/index/g6", "event-bus/Bus". A resource the
// recorder cannot name keeps its physical name after a "?".
type Call struct {
	Function string `json:"function"`
	Service  string `json:"service"` // the IAM service prefix: dynamodb, events
	Action   string `json:"action"`
	Resource string `json:"resource"`
}

// Logical names of the resources calls go to (the construct ids of the
// stack: infra/stack/data.go names tables after store.Table.Name).
const (
	ResourceBus = "event-bus/Bus"
	// ResourceImports prefixes the objects of the import bucket
	// (infra/stack/directory.go), named by top-level prefix:
	// "bucket/ImportBucket/imports/*".
	ResourceImports = "bucket/ImportBucket/"
	// ResourceUserPool is the stack's Cognito user pool.
	ResourceUserPool = "userpool/UserPool"
	// ResourceWebhookToken is the secret of the intake's webhook token
	// (infra/stack/intake.go).
	ResourceWebhookToken = "secret/WebhookToken"
	// ResourceAnyPhone is where an SMS to a phone number goes: IAM knows
	// no resource for it, so its grant is on "*".
	ResourceAnyPhone = "*"
)

// Environment variables that name the directory's resources to the
// recorder of a function started with Start (the local stack sets them):
// the import bucket and the user pool.
const (
	EnvImportBucket = "IMPORT_BUCKET"
	EnvUserPoolID   = "USER_POOL_ID"
	// EnvWebhookSecretARN names the intake's webhook token
	// (ResourceWebhookToken).
	EnvWebhookSecretARN = "WEBHOOK_SECRET_ARN"
)

// EnvBucket names the attachments bucket, whose objects the recorder names
// by their key's first segment (ObjectResource).
const EnvBucket = "ATTACHMENTS_BUCKET"

// ObjectResource is the logical resource of an object of the attachments
// bucket: its key prefix, as the grants name it ("bucket/Attachments/
// quarantine/*"); object keys are made at run time, prefixes are not.
func ObjectResource(key string) string {
	prefix, _, _ := strings.Cut(key, "/")
	return "bucket/Attachments/" + prefix + "/*"
}

// TableResource is the logical resource of a table or, with an index name,
// of one of its indexes.
func TableResource(table, index string) string {
	if index == "" {
		return "table/" + table
	}
	return "table/" + table + "/index/" + index
}

// RecordCalls adds the call recorder to cfg when EnvCallLog is set; it
// does nothing otherwise. function is the function the calls are made
// for; names and bus are the physical names the recorder maps back to
// logical ones. Handler tests call it on the configuration they hand to
// the handler (not on the one that creates their tables); AWS calls it
// for every deployed function.
func RecordCalls(cfg *aws.Config, function string, names store.TableNames, bus string) {
	RecordDirectoryCalls(cfg, function, names, bus, "", "")
}

// RecordDirectoryCalls is RecordCalls for a function that also calls the
// import bucket or the user pool (importer, staffsync): their physical
// names map back to ResourceImports and ResourceUserPool.
func RecordDirectoryCalls(cfg *aws.Config, function string, names store.TableNames, bus, bucket, userPool string) {
	dir := os.Getenv(EnvCallLog)
	if dir == "" {
		return
	}
	recordCalls(cfg, &recorder{function: function, tables: map[string]string{}, bus: bus, bucket: os.Getenv(EnvBucket), imports: bucket, pool: userPool,
		secret: os.Getenv(EnvWebhookSecretARN)}, names)
}

// RecordIntakeCalls is RecordCalls for the intake functions: the webhook
// token's ARN maps back to ResourceWebhookToken.
func RecordIntakeCalls(cfg *aws.Config, function string, names store.TableNames, webhookSecret string) {
	recordCalls(cfg, &recorder{function: function, tables: map[string]string{}, secret: webhookSecret}, names)
}

func recordCalls(cfg *aws.Config, r *recorder, names store.TableNames) {
	dir := os.Getenv(EnvCallLog)
	if dir == "" {
		return
	}
	for _, t := range store.Tables() {
		if n := names.Name(t); n != "" {
			r.tables[n] = t.Name
		}
	}
	// Clip so that a copy of cfg made before this call keeps its own
	// options (tests derive the handler's configuration from the setup one).
	cfg.APIOptions = append(slices.Clip(cfg.APIOptions), func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("RecordCall",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				for _, c := range r.calls(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), in.Parameters) {
					logCall(dir, c)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

type recorder struct {
	function string
	tables   map[string]string // physical -> logical
	bus      string
	bucket   string // the attachments bucket's physical name
	imports  string // the import bucket's physical name
	pool     string // the user pool id
	secret   string // the intake's webhook token ARN
}

// field returns the string (or *string) field name of the struct params
// points at. S3 and Cognito inputs are read this way so that this package,
// which every function links, does not link their SDK packages.
func field(params any, name string) string {
	v := reflect.ValueOf(params)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	f := v.FieldByName(name)
	switch {
	case !f.IsValid():
		return ""
	case f.Kind() == reflect.String:
		return f.String()
	case f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String:
		return f.Elem().String()
	}
	return ""
}

// object names an object of a bucket: by its key's prefix in the
// attachments bucket, by its physical names anywhere else.
func (r *recorder) object(bucket, key *string) string {
	// Keys are data (ids, a platform team's file names): an object is
	// named by its top-level prefix, as the grants are.
	b, k := aws.ToString(bucket), aws.ToString(key)
	prefix, _, _ := strings.Cut(k, "/")
	switch {
	case b != "" && b == r.bucket:
		return ObjectResource(k)
	case b != "" && b == r.imports:
		return ResourceImports + prefix + "/*"
	}
	return "bucket/?" + b + "/" + prefix + "/*"
}

func (r *recorder) table(name *string, index *string) string {
	n := aws.ToString(name)
	logical, ok := r.tables[n]
	if !ok {
		logical = "?" + n
	}
	return TableResource(logical, aws.ToString(index))
}

// calls lists what IAM authorizes for one operation: a transaction or
// batch is authorized per item, as the item's own action on its table.
func (r *recorder) calls(serviceID, op string, params any) []Call {
	call := func(service, action, resource string) Call {
		return Call{Function: r.function, Service: service, Action: action, Resource: resource}
	}
	ddb := func(action string, table, index *string) Call { return call("dynamodb", action, r.table(table, index)) }
	var out []Call
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		out = append(out, ddb(op, in.TableName, nil))
	case *dynamodb.PutItemInput:
		out = append(out, ddb(op, in.TableName, nil))
	case *dynamodb.UpdateItemInput:
		out = append(out, ddb(op, in.TableName, nil))
	case *dynamodb.DeleteItemInput:
		out = append(out, ddb(op, in.TableName, nil))
	case *dynamodb.QueryInput:
		out = append(out, ddb(op, in.TableName, in.IndexName))
	case *dynamodb.ScanInput:
		out = append(out, ddb(op, in.TableName, in.IndexName))
	case *dynamodb.DescribeTableInput:
		out = append(out, ddb(op, in.TableName, nil))
	case *dynamodb.BatchGetItemInput:
		for t := range in.RequestItems {
			out = append(out, ddb(op, &t, nil))
		}
	case *dynamodb.BatchWriteItemInput:
		for t := range in.RequestItems {
			out = append(out, ddb(op, &t, nil))
		}
	case *dynamodb.TransactGetItemsInput:
		for _, it := range in.TransactItems {
			if it.Get != nil {
				out = append(out, ddb("GetItem", it.Get.TableName, nil))
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, ddb("PutItem", it.Put.TableName, nil))
			case it.Update != nil:
				out = append(out, ddb("UpdateItem", it.Update.TableName, nil))
			case it.Delete != nil:
				out = append(out, ddb("DeleteItem", it.Delete.TableName, nil))
			case it.ConditionCheck != nil:
				out = append(out, ddb("ConditionCheckItem", it.ConditionCheck.TableName, nil))
			}
		}
	case *eventbridge.PutEventsInput:
		for _, e := range in.Entries {
			bus := aws.ToString(e.EventBusName)
			res := "event-bus/?" + bus
			if bus == r.bus {
				res = ResourceBus
			}
			out = append(out, call("events", op, res))
		}
	// S3, as IAM authorizes object operations: HeadObject is GetObject,
	// and a copy reads its source and writes its destination.
	case *s3.GetObjectInput:
		action := "GetObject"
		if aws.ToString(in.VersionId) != "" {
			action = "GetObjectVersion" // what IAM authorizes a versioned read as
		}
		out = append(out, call("s3", action, r.object(in.Bucket, in.Key)))
	case *s3.HeadObjectInput:
		out = append(out, call("s3", "GetObject", r.object(in.Bucket, in.Key)))
	case *s3.PutObjectInput:
		out = append(out, call("s3", "PutObject", r.object(in.Bucket, in.Key)))
	case *s3.DeleteObjectInput:
		action := "DeleteObject"
		if aws.ToString(in.VersionId) != "" {
			action = "DeleteObjectVersion" // deleting one version for good
		}
		out = append(out, call("s3", action, r.object(in.Bucket, in.Key)))
	case *s3.CopyObjectInput:
		// CopySource is bucket/key, URL-encoded, with ?versionId=… to copy
		// one version: a read IAM authorizes as GetObjectVersion.
		source, query, _ := strings.Cut(aws.ToString(in.CopySource), "?")
		srcBucket, srcKey, _ := strings.Cut(source, "/")
		if k, err := url.PathUnescape(srcKey); err == nil {
			srcKey = k
		}
		read := "GetObject"
		if q, err := url.ParseQuery(query); err == nil && q.Get("versionId") != "" {
			read = "GetObjectVersion"
		}
		out = append(out, call("s3", read, r.object(&srcBucket, &srcKey)),
			call("s3", "PutObject", r.object(in.Bucket, in.Key)))
	default:
		if serviceID == "Cognito Identity Provider" && field(params, "UserPoolId") != "" {
			res := "userpool/?" + field(params, "UserPoolId")
			if field(params, "UserPoolId") == r.pool {
				res = ResourceUserPool
			}
			out = append(out, call("cognito-idp", op, res))
			break
		}
		if serviceID == "SNS" && op == "Publish" && field(params, "PhoneNumber") != "" {
			out = append(out, call("sns", op, ResourceAnyPhone))
			break
		}
		if serviceID == "Secrets Manager" && op == "GetSecretValue" {
			res := "secret/?" + field(params, "SecretId")
			if r.secret != "" && field(params, "SecretId") == r.secret {
				res = ResourceWebhookToken
			}
			out = append(out, call("secretsmanager", op, res))
			break
		}
		// An operation the recorder does not know still shows up, so the
		// permission check fails until it is taught the resource.
		out = append(out, call(strings.ToLower(strings.ReplaceAll(serviceID, " ", "")), op, "?"))
	}
	return out
}

// The log files of this process, and the calls already written to them.
var (
	logMu   sync.Mutex
	logSeen = map[string]bool{} // dir + call
	logFile = map[string]*os.File{}
)

// logCall appends c to the function's file unless this process wrote it
// already. Recording must never change what a function does, so a failure
// to write is reported on standard error and otherwise ignored.
func logCall(dir string, c Call) {
	logMu.Lock()
	defer logMu.Unlock()
	line, _ := json.Marshal(c)
	if logSeen[dir+"\x00"+string(line)] {
		return
	}
	logSeen[dir+"\x00"+string(line)] = true
	name := filepath.Join(dir, fmt.Sprintf("%s-%d.jsonl", c.Function, os.Getpid()))
	f := logFile[name]
	if f == nil {
		var err error
		if err = os.MkdirAll(dir, 0o755); err == nil {
			f, err = os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "platform: call log:", err)
			return
		}
		logFile[name] = f
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		fmt.Fprintln(os.Stderr, "platform: call log:", err)
	}
}

// ReadCalls reads every call recorded under dir, without duplicates, in a
// fixed order.
func ReadCalls(dir string) ([]Call, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	seen := map[Call]bool{}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		for i, line := range strings.Split(string(raw), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			var c Call
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
			}
			seen[c] = true
		}
	}
	return SortCalls(seen), nil
}

// SortCalls returns the set's calls by function, service, action, resource.
func SortCalls(set map[Call]bool) []Call {
	out := make([]Call, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Call) int {
		return strings.Compare(a.Function+"\x00"+a.Service+"\x00"+a.Action+"\x00"+a.Resource,
			b.Function+"\x00"+b.Service+"\x00"+b.Action+"\x00"+b.Resource)
	})
	return out
}

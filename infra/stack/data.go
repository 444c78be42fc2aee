package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/shared/store"
)

// Data holds the DynamoDB tables, built from store.Tables() so that the
// deployed tables and the local ones cannot drift.
type Data struct {
	constructs.Construct

	// Tables maps store.Table.Name ("Main", "History") to its table.
	Tables map[string]awsdynamodb.Table
	// Defs keeps each table's shared definition beside it (for index ARNs
	// in grants and environment variable names).
	Defs map[string]store.Table
}

// Main is the table whose stream drives the consumers.
func (d *Data) Main() awsdynamodb.Table { return d.Tables[store.MainTable.Name] }

// History is the table of ticket and comment versions.
func (d *Data) History() awsdynamodb.Table { return d.Tables[store.HistoryTable.Name] }

// NewData creates one on-demand table per shared definition, with
// point-in-time recovery, the NEW_AND_OLD_IMAGES stream where the
// definition asks for one, TTL where records expire, and – outside dev –
// deletion protection and RETAIN.
func NewData(scope constructs.Construct, id string, cfg Config) *Data {
	d := &Data{
		Construct: constructs.NewConstruct(scope, jsii.String(id)),
		Tables:    map[string]awsdynamodb.Table{},
		Defs:      map[string]store.Table{},
	}
	for _, def := range store.Tables() {
		props := &awsdynamodb.TableProps{
			PartitionKey: attribute(def.PartitionKey),
			BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: jsii.Bool(true),
			},
			DeletionProtection: jsii.Bool(cfg.Retained()),
			RemovalPolicy:      removalPolicy(cfg),
		}
		if def.SortKey.Name != "" {
			props.SortKey = attribute(def.SortKey)
		}
		if def.Stream {
			props.Stream = awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES
		}
		if def.TTLAttribute != "" {
			props.TimeToLiveAttribute = jsii.String(def.TTLAttribute)
		}
		t := awsdynamodb.NewTable(d.Construct, jsii.String(def.Name), props)
		for i, ix := range def.Indexes {
			if def.Name == store.MainTable.Name && cfg.MainIndexes > 0 && i >= cfg.MainIndexes ||
				def.Name == store.HistoryTable.Name && cfg.HistoryIndexes > 0 && i >= cfg.HistoryIndexes {
				break // a later deploy adds it (one index per update)
			}
			gsi := &awsdynamodb.GlobalSecondaryIndexProps{
				IndexName:      jsii.String(ix.Name),
				PartitionKey:   attribute(ix.PartitionKey),
				ProjectionType: awsdynamodb.ProjectionType_ALL,
			}
			if ix.Projection == store.ProjectInclude {
				gsi.ProjectionType = awsdynamodb.ProjectionType_INCLUDE
				gsi.NonKeyAttributes = jsii.Strings(ix.Include...)
			}
			if ix.SortKey.Name != "" {
				gsi.SortKey = attribute(ix.SortKey)
			}
			t.AddGlobalSecondaryIndex(gsi)
		}
		d.Tables[def.Name] = t
		d.Defs[def.Name] = def
	}
	return d
}

func attribute(a store.Attribute) *awsdynamodb.Attribute {
	t := awsdynamodb.AttributeType_STRING
	if a.Type == store.Number {
		t = awsdynamodb.AttributeType_NUMBER
	}
	return &awsdynamodb.Attribute{Name: jsii.String(a.Name), Type: t}
}

// IndexARNs returns the ARN of each named index of a table; grants use them
// instead of "<table>/index/*" so each function reaches only what it queries.
func (d *Data) IndexARNs(table string, names ...string) []*string {
	t := d.Tables[table]
	if len(names) == 0 {
		for _, ix := range d.Defs[table].Indexes {
			names = append(names, ix.Name)
		}
	}
	arns := make([]*string, 0, len(names))
	for _, n := range names {
		if !d.hasIndex(table, n) {
			panic("stack: table " + table + " has no index " + n)
		}
		arns = append(arns, jsii.String(*t.TableArn()+"/index/"+n))
	}
	return arns
}

func (d *Data) hasIndex(table, name string) bool {
	for _, ix := range d.Defs[table].Indexes {
		if ix.Name == name {
			return true
		}
	}
	return false
}

// removalPolicy is DESTROY in dev. Every other stage keeps its data when
// the stack is deleted or a resource replaced, but not when the stack's
// first creation fails: then CloudFormation deletes what it created
// (RetainExceptOnCreate) instead of leaving orphans that block the retry.
func removalPolicy(cfg Config) awscdk.RemovalPolicy {
	if cfg.Retained() {
		return awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE
	}
	return awscdk.RemovalPolicy_DESTROY
}

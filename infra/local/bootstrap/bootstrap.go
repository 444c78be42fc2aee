// Package bootstrap creates the AWS resources Redress needs in an emulator:
// the DynamoDB tables defined in shared/store (with their indexes, stream
// and TTL) and the EventBridge bus with a queue that receives every event.
//
// Everything is idempotent, so the local stack can run it at every start
// against a long-lived emulator, and tests can run it per test with their
// own prefix. In AWS the CDK stack creates the same resources from the same
// definitions.
package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/redress-grm/redress/shared/store"
)

// CreateTables creates every table of store.Tables() that does not exist
// yet, named prefix+Name (e.g. "redress-local-Main"), and returns their
// physical names. Existing tables are left as they are. It returns once
// every table is ACTIVE.
func CreateTables(ctx context.Context, db *dynamodb.Client, prefix string) (store.TableNames, error) {
	var names store.TableNames
	for _, t := range store.Tables() {
		name := prefix + t.Name
		if err := names.Set(t, name); err != nil {
			return store.TableNames{}, fmt.Errorf("bootstrap: %w", err)
		}
		if err := createTable(ctx, db, t, name); err != nil {
			return store.TableNames{}, err
		}
	}
	return names, nil
}

func createTable(ctx context.Context, db *dynamodb.Client, t store.Table, name string) error {
	_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var notFound *types.ResourceNotFoundException
	switch {
	case err == nil:
		// Already there. Its TTL may not be (a previous start may have
		// died between the two calls), so that step still runs.
	case errors.As(err, &notFound):
		if _, err := db.CreateTable(ctx, tableInput(t, name)); err != nil {
			var inUse *types.ResourceInUseException
			if !errors.As(err, &inUse) { // lost a race with another bootstrap: fine
				return fmt.Errorf("bootstrap: create table %s: %w", name, err)
			}
		}
	default:
		return fmt.Errorf("bootstrap: describe table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
		return fmt.Errorf("bootstrap: wait for table %s: %w", name, err)
	}
	if t.TTLAttribute != "" {
		if err := enableTTL(ctx, db, name, t.TTLAttribute); err != nil {
			return err
		}
	}
	return nil
}

func tableInput(t store.Table, name string) *dynamodb.CreateTableInput {
	attrs := map[string]store.KeyType{}
	var order []string // deterministic AttributeDefinitions
	addAttr := func(a store.Attribute) {
		if a.Name == "" {
			return
		}
		if _, ok := attrs[a.Name]; !ok {
			order = append(order, a.Name)
		}
		attrs[a.Name] = a.Type
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   keySchema(t.PartitionKey, t.SortKey),
	}
	addAttr(t.PartitionKey)
	addAttr(t.SortKey)
	for _, ix := range t.Indexes {
		addAttr(ix.PartitionKey)
		addAttr(ix.SortKey)
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keySchema(ix.PartitionKey, ix.SortKey),
			Projection: projection(ix),
		})
	}
	for _, n := range order {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(n),
			AttributeType: types.ScalarAttributeType(attrs[n]),
		})
	}
	if t.Stream {
		in.StreamSpecification = &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewTypeNewAndOldImages,
		}
	}
	return in
}

func keySchema(pk, sk store.Attribute) []types.KeySchemaElement {
	ks := []types.KeySchemaElement{{AttributeName: aws.String(pk.Name), KeyType: types.KeyTypeHash}}
	if sk.Name != "" {
		ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(sk.Name), KeyType: types.KeyTypeRange})
	}
	return ks
}

// enableTTL turns TTL on unless it already is: DynamoDB rejects enabling it
// twice with a ValidationException.
func enableTTL(ctx context.Context, db *dynamodb.Client, table, attr string) error {
	out, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		return fmt.Errorf("bootstrap: describe ttl of %s: %w", table, err)
	}
	if d := out.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == attr &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(attr),
			Enabled:       aws.Bool(true),
		},
	}); err != nil {
		return fmt.Errorf("bootstrap: enable ttl on %s: %w", table, err)
	}
	return nil
}

// projection is the index's projection as schema.go defines it.
func projection(ix store.Index) *types.Projection {
	if ix.Projection == store.ProjectInclude {
		return &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: ix.Include}
	}
	return &types.Projection{ProjectionType: types.ProjectionTypeAll}
}

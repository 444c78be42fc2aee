package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/shared/store"
)

// This file is the only place that gives a function permissions. Each
// function gets the actions its code calls, on the resources it calls them
// on: tables and named indexes (never "<table>/index/*"), the Main table's
// stream, its own dead-letter queue, the bus and its own log group. The
// roles carry no managed policies (functions.go).

// DynamoDB actions by use. Transactions need no action of their own: each
// Put/Update/Delete/Get inside one is authorized as PutItem/UpdateItem/
// DeleteItem/GetItem, and ConditionCheck as ConditionCheckItem.
var (
	tableReadWrite = []string{
		"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
		"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
		"dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
	}
	tableRead   = []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
	indexQuery  = []string{"dynamodb:Query"}
	streamRead  = []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}
	historyPut  = []string{"dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:ConditionCheckItem"}
	slaWrite    = []string{"dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}
	slaRead     = []string{"dynamodb:GetItem", "dynamodb:BatchGetItem"}
	statsWrite  = []string{"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
	tasksLookup = []string{"dynamodb:GetItem", "dynamodb:Query"}
	putEvents   = []string{"events:PutEvents"}
	sendToDLQ   = []string{"sqs:SendMessage"}
	writeLogs   = []string{"logs:CreateLogStream", "logs:PutLogEvents"}
)

// grant gives every function of s exactly its permissions.
func grant(s *Stack) {
	main, history := s.Data.Main(), s.Data.History()
	mainName, historyName := store.MainTable.Name, store.HistoryTable.Name
	bus := s.Events.Bus.EventBusArn()

	for _, f := range s.Functions.All() {
		allow(f.Function, "WriteOwnLogs", writeLogs, s.Functions.LogGroups[f.Name].LogGroupArn())
	}

	// graphql: the API reads and writes Main and reads History.
	gql := s.Functions.GraphQL
	allow(gql, "ReadWriteMain", tableReadWrite, main.TableArn())
	allow(gql, "QueryMainIndexes", indexQuery, s.Data.IndexARNs(mainName)...)
	allow(gql, "ReadHistory", tableRead, history.TableArn())
	allow(gql, "QueryHistoryIndexes", indexQuery, s.Data.IndexARNs(historyName)...)

	// Stream consumers read the Main stream and report exhausted batches to
	// their own dead-letter queue.
	for _, c := range s.Streams.Consumers {
		allow(c.Function, "ReadMainStream", streamRead, main.TableStreamArn())
		allow(c.Function, "SendToOwnDLQ", sendToDLQ, c.DLQ.QueueArn())
	}

	// history: writes one record per version into History, and keeps the
	// statistics aggregates in Main (ticket contributions read and written
	// with the aggregates in one transaction of puts and updates).
	allow(s.Functions.History, "WriteHistory", historyPut, history.TableArn())
	allow(s.Functions.History, "ApplyStatistics", statsWrite, main.TableArn())

	// tasks: looks items up in Main and publishes to the bus.
	tasks := s.Functions.Tasks
	allow(tasks, "LookUpMain", tasksLookup, main.TableArn())
	allow(tasks, "QueryMainIndexes", indexQuery, s.Data.IndexARNs(mainName)...)
	allow(tasks, "PutEvents", putEvents, bus)

	// sla: finds overdue tickets by due date, reads the configuration and
	// its markers, claims, marks and releases steps, and publishes.
	if sla := s.Functions.SLA; sla != nil {
		allow(sla, "QueryDueIndex", indexQuery, s.Data.IndexARNs(mainName, store.IndexDue)...)
		allow(sla, "ReadConfigAndMarkers", slaRead, main.TableArn())
		allow(sla, "MarkOverdue", slaWrite, main.TableArn())
		allow(sla, "PutEvents", putEvents, bus)
	}
}

// allow adds one statement to fn's execution role. The Sid names the
// purpose so that the policy reads like this file.
func allow(fn awslambda.Function, sid string, actions []string, resources ...*string) {
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings(actions...),
		Resources: &resources,
	}))
}

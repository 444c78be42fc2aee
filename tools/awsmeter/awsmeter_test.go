package awsmeter

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func TestMeasure_CountsIndexItemsApartFromRows(t *testing.T) {
	eq := func(attr, v string) map[string]types.Condition {
		return map[string]types.Condition{attr: {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []types.AttributeValue{s(v)}}}
	}
	item := func(pk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": s(pk), "sk": s("x")}
	}
	tests := []struct {
		name         string
		params       any
		result       any
		items, index float64
	}{
		{"posting Query", &dynamodb.QueryInput{KeyConditions: eq("pk", "SRCH#title#rec")},
			&dynamodb.QueryOutput{ScannedCount: 7, Items: make([]map[string]types.AttributeValue, 7)}, 7, 7},
		{"dictionary on an index", &dynamodb.QueryInput{IndexName: aws.String("gsi1"), KeyConditions: eq("g1pk", "VALUES")},
			&dynamodb.QueryOutput{ScannedCount: 6}, 6, 6},
		{"tickets by number", &dynamodb.QueryInput{IndexName: aws.String("gsi1"), KeyConditions: eq("g1pk", "TICKETS#L")},
			&dynamodb.QueryOutput{ScannedCount: 21}, 21, 0},
		{"key condition expression", &dynamodb.QueryInput{
			KeyConditionExpression:    aws.String("#p = :p AND begins_with(#s, :s)"),
			ExpressionAttributeNames:  map[string]string{"#p": "pk", "#s": "sk"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("COL#HISTROWS"), ":s": s("SRCH#")},
		}, &dynamodb.QueryOutput{ScannedCount: 7}, 7, 7},
		{"people and counts together", &dynamodb.BatchGetItemInput{},
			&dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{"main": {item("PERSON#1"), item("COUNT#STATUS#OPEN"), item("PERSON#2")}}}, 3, 1},
		{"a ticket", &dynamodb.GetItemInput{}, &dynamodb.GetItemOutput{Item: item("TICKET#1")}, 1, 0},
		{"a marker", &dynamodb.GetItemInput{}, &dynamodb.GetItemOutput{Item: item("ORDERMETA")}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := &Op{}
			measure(op, tt.params, tt.result)
			if op.ItemsRead != tt.items || op.IndexItemsRead != tt.index {
				t.Errorf("items %g (index %g), want %g (index %g)", op.ItemsRead, op.IndexItemsRead, tt.items, tt.index)
			}
		})
	}
}

package streams_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/redress-grm/redress/infra/local/streams"
)

// Ensure every attribute kind converts to the JSON Lambda delivers.
func TestConvertAttributeValue(t *testing.T) {
	for _, tt := range []struct {
		name string
		av   types.AttributeValue
		want string
	}{
		{"S", &types.AttributeValueMemberS{Value: "TICKET#1"}, `{"S":"TICKET#1"}`},
		{"N", &types.AttributeValueMemberN{Value: "12.50"}, `{"N":"12.50"}`},
		{"B", &types.AttributeValueMemberB{Value: []byte{0, 1, 0xff}}, `{"B":"AAH/"}`},
		{"BOOL", &types.AttributeValueMemberBOOL{Value: true}, `{"BOOL":true}`},
		{"NULL", &types.AttributeValueMemberNULL{Value: true}, `{"NULL":true}`},
		{"SS", &types.AttributeValueMemberSS{Value: []string{"a", "b"}}, `{"SS":["a","b"]}`},
		{"NS", &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}}, `{"NS":["1","2.5"]}`},
		{"BS", &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}}, `{"BS":["AQ==","Ag=="]}`},
		{"L", &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberS{Value: "x"},
			&types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberN{Value: "1"}}},
		}}, `{"L":[{"S":"x"},{"L":[{"N":"1"}]}]}`},
		{"M", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"flags": &types.AttributeValueMemberSS{Value: []string{"urgent"}},
			"inner": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"ok": &types.AttributeValueMemberBOOL{Value: false},
			}},
		}}, `{"M":{"flags":{"SS":["urgent"]},"inner":{"M":{"ok":{"BOOL":false}}}}}`},
		{"empty M", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}, `{"M":{}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := streams.ConvertAttributeValue(tt.av)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Fatalf("json=%s, want %s", b, tt.want)
			}
		})
	}
}

// Ensure unknown kinds are an error, not a silently empty value.
func TestConvertAttributeValue_Unknown(t *testing.T) {
	if _, err := streams.ConvertAttributeValue(&types.UnknownUnionMember{Tag: "X"}); err == nil {
		t.Fatal("want error for an unknown member")
	}
	if _, err := streams.ConvertAttributeValue(&types.AttributeValueMemberL{Value: []types.AttributeValue{nil}}); err == nil {
		t.Fatal("want error for a nil list element")
	}
}

// Ensure a whole record carries what Lambda puts in it, and moto's empty
// images become absent ones.
func TestConvertRecord(t *testing.T) {
	at := time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC)
	rec := types.Record{
		AwsRegion:    aws.String("us-east-1"),
		EventID:      aws.String("e1"),
		EventName:    types.OperationTypeInsert,
		EventSource:  aws.String("aws:dynamodb"),
		EventVersion: aws.String("1.1"),
		Dynamodb: &types.StreamRecord{
			ApproximateCreationDateTime: &at,
			Keys:                        map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TICKET#1"}},
			NewImage:                    map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TICKET#1"}, "n": &types.AttributeValueMemberN{Value: "3"}},
			OldImage:                    map[string]types.AttributeValue{},
			SequenceNumber:              aws.String("1100000000017454423009"),
			SizeBytes:                   aws.Int64(42),
			StreamViewType:              types.StreamViewTypeNewAndOldImages,
		},
	}
	got, err := streams.ConvertRecord(rec, "arn:stream")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	want := `{"awsRegion":"us-east-1","dynamodb":{"ApproximateCreationDateTime":1795741323,` +
		`"Keys":{"pk":{"S":"TICKET#1"}},"NewImage":{"n":{"N":"3"},"pk":{"S":"TICKET#1"}},` +
		`"SequenceNumber":"1100000000017454423009","SizeBytes":42,"StreamViewType":"NEW_AND_OLD_IMAGES"},` +
		`"eventID":"e1","eventName":"INSERT","eventSource":"aws:dynamodb","eventVersion":"1.1","eventSourceARN":"arn:stream"}`
	if string(b) != want {
		t.Fatalf("json=\n%s\nwant\n%s", b, want)
	}
}

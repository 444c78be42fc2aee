package bootstrap_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/store"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// Ensure the tables match their definitions and a second run changes nothing.
func TestCreateTables(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	names, err := bootstrap.CreateTables(ctx, db, "bt-")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names, (store.TableNames{Main: "bt-Main", History: "bt-History"}); got != want {
		t.Fatalf("names=%+v, want %+v", got, want)
	}
	again, err := bootstrap.CreateTables(ctx, db, "bt-")
	if err != nil {
		t.Fatalf("second run: %v", err)
	} else if again != names {
		t.Fatalf("second run names=%+v, want %+v", again, names)
	}

	for _, def := range store.Tables() {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(names.Name(def))})
		if err != nil {
			t.Fatal(err)
		}
		d := out.Table
		if got, want := d.TableStatus, types.TableStatusActive; got != want {
			t.Fatalf("%s status=%v, want %v", def.Name, got, want)
		}
		if got, want := len(d.GlobalSecondaryIndexes), len(def.Indexes); got != want {
			t.Fatalf("%s indexes=%d, want %d", def.Name, got, want)
		}
		for _, ix := range d.GlobalSecondaryIndexes {
			want := types.Projection{ProjectionType: types.ProjectionTypeAll}
			for _, dx := range def.Indexes {
				if dx.Name == aws.ToString(ix.IndexName) && dx.Projection == store.ProjectInclude {
					want = types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: dx.Include}
				}
			}
			if got := ix.Projection; got.ProjectionType != want.ProjectionType || !slices.Equal(got.NonKeyAttributes, want.NonKeyAttributes) {
				t.Fatalf("%s index %s projection=%v %v, want %v %v", def.Name, aws.ToString(ix.IndexName),
					got.ProjectionType, got.NonKeyAttributes, want.ProjectionType, want.NonKeyAttributes)
			}
		}
		streamOn := d.StreamSpecification != nil && aws.ToBool(d.StreamSpecification.StreamEnabled)
		if got, want := streamOn, def.Stream; got != want {
			t.Fatalf("%s stream=%v, want %v", def.Name, got, want)
		} else if streamOn && d.StreamSpecification.StreamViewType != types.StreamViewTypeNewAndOldImages {
			t.Fatalf("%s stream view=%v", def.Name, d.StreamSpecification.StreamViewType)
		}
		ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: d.TableName})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if ttl.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabled {
			got = aws.ToString(ttl.TimeToLiveDescription.AttributeName)
		}
		if want := def.TTLAttribute; got != want {
			t.Fatalf("%s ttl attribute=%q, want %q", def.Name, got, want)
		}
	}
}

// Ensure an event put on the bus reaches the queue, also after a second run.
func TestCreateBus(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bootstrap.CreateBus(ctx, cfg, "bt-bus", "bt-events"); err != nil {
		t.Fatal(err)
	}
	b, err := bootstrap.CreateBus(ctx, cfg, "bt-bus", "bt-events")
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	out, err := eventbridge.NewFromConfig(cfg).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(b.Name),
		Source:       aws.String("redress.test"),
		DetailType:   aws.String("TicketCreated"),
		Detail:       aws.String(`{"id":"t1"}`),
	}}})
	if err != nil {
		t.Fatal(err)
	} else if out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents failed entries=%d", out.FailedEntryCount)
	}
	q := sqs.NewFromConfig(cfg)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(b.QueueURL), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs.Messages {
			var ev struct {
				Source     string          `json:"source"`
				DetailType string          `json:"detail-type"`
				Detail     json.RawMessage `json:"detail"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatalf("message %q: %v", aws.ToString(m.Body), err)
			}
			if ev.Source != "redress.test" || ev.DetailType != "TicketCreated" {
				t.Fatalf("event=%+v", ev)
			}
			return
		}
	}
	t.Fatal("no event reached the queue")
}

// Ensure the names the bootstrap returns reach a function intact through
// its environment, and a missing variable is named in the error.
func TestNamesThroughEnv(t *testing.T) {
	want := store.TableNames{Main: "p-Main", History: "p-History"}
	for _, kv := range want.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	got, err := store.NamesFromEnv()
	if err != nil {
		t.Fatal(err)
	} else if got != want {
		t.Fatalf("names=%+v, want %+v", got, want)
	}
	t.Setenv(store.HistoryTable.EnvVar, "")
	if _, err := store.NamesFromEnv(); err == nil || !strings.Contains(err.Error(), "HISTORY_TABLE_NAME") {
		t.Fatalf("err=%v, want one naming HISTORY_TABLE_NAME", err)
	}
}

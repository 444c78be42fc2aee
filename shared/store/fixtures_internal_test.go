package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// TestWriteStreamFixtures regenerates events/stream/*.json from the item
// shapes of this package, so the recorded stream records the handler tests
// replay always look like what the store writes. It runs only with
// UPDATE_STREAM_FIXTURES=1; review the diff before committing it.
func TestWriteStreamFixtures(t *testing.T) {
	if os.Getenv("UPDATE_STREAM_FIXTURES") != "1" {
		t.Skip("set UPDATE_STREAM_FIXTURES=1 to regenerate events/stream")
	}
	g := &fixtureGen{seq: 17454423008}
	dir := filepath.Join("..", "..", "events", "stream")

	const (
		ticketID  = "3f8b6c2e-1d4a-4e7b-9a51-6c0d2e9f7b13"
		commentID = "b1c2d3e4-5f60-4a7b-8c9d-0e1f2a3b4c5d"
		alice     = "92f6450c-efe8-5899-ae45-671c4543b555"
		bob       = "6e740b7b-eae6-5c49-83aa-5092e136aeaa"
	)
	t0 := time.Date(2026, 11, 27, 0, 0, 0, 123456000, time.UTC)
	tk := &grievance.Ticket{ID: ticketID, Version: 1, Seq: 1, Code: "GRS00000001",
		Title: "Payment not received", Description: "The March cash transfer did not arrive.",
		ReporterType: grievance.PersonBeneficiary, ReporterID: "19d96b33-17fc-4b58-8aeb-69c5b97d920f",
		DateOfIncident: "2026-11-20", Status: grievance.StatusReceived, Priority: "Medium", DueDate: "2026-12-02",
		Category: "Payment", Channel: "Phone", JSONExt: map[string]any{"source": "hotline"},
		DateCreated: t0, DateUpdated: t0, DateValidFrom: t0, UserCreated: alice, UserUpdated: alice}
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	next := func(old *grievance.Ticket, min int, user string, change func(*grievance.Ticket)) *grievance.Ticket {
		n := old.Clone()
		change(n)
		n.Version++
		n.DateUpdated, n.UserUpdated = at(min), user
		return n
	}

	// createTicket: the counter, the ticket and the mutation log; the
	// claim of the clientMutationId came first, in its own transaction.
	g.write(t, dir, "ticket-insert", g.ticket(t, events.DynamoDBOperationTypeInsert, nil, tk, "createTicket", at(0)))

	v2 := next(tk, 5, alice, func(n *grievance.Ticket) {
		n.AttendingStaffID, n.Status, n.Priority = alice, grievance.StatusOpen, "High"
	})
	g.write(t, dir, "ticket-update", g.ticket(t, events.DynamoDBOperationTypeModify, tk, v2, "updateTicket", at(5)))

	cm := &grievance.Comment{ID: commentID, TicketID: ticketID, Version: 1,
		CommenterType: grievance.PersonUser, CommenterID: alice, Comment: "Called the paying agent; payment found.",
		DateCreated: at(10), DateUpdated: at(10), UserCreated: alice, UserUpdated: alice}
	v3 := next(v2, 10, alice, func(n *grievance.Ticket) { n.JSONExt["comment_ids"] = []any{commentID} })
	ml := &grievance.MutationLog{ID: "0c5e2f6a-8d1b-4c3e-9f7a-2b4d6e8f0a1c", UserID: alice, Mutation: "createComment",
		ClientMutationID: "4b0e0a3c-7f4f-4d8e-9f61-2f3c1d0e5a77", ClientMutationLabel: "Create comment",
		Status: grievance.MutationSuccess, RequestDateTime: at(10), TicketIDs: []string{ticketID}}
	g.write(t, dir, "comment-insert",
		g.ticket(t, events.DynamoDBOperationTypeModify, v2, v3, "createComment", at(10)),
		g.comment(t, events.DynamoDBOperationTypeInsert, nil, cm, "createComment", at(10)),
		g.item(t, events.DynamoDBOperationTypeInsert, nil, commentRef{PK: prefixComment + commentID, SK: skCommentRef, Kind: KindCommentRef, TicketID: ticketID}, at(10)),
		g.item(t, events.DynamoDBOperationTypeInsert, nil, toMutationLogItem(ml), at(10)),
	)

	v4 := next(v3, 20, bob, func(n *grievance.Ticket) { n.Status = grievance.StatusClosed })
	cm2 := cm.Clone()
	cm2.IsResolution, cm2.Version, cm2.DateUpdated, cm2.UserUpdated = true, 2, at(20).Add(time.Millisecond), bob
	g.write(t, dir, "ticket-resolve",
		g.ticket(t, events.DynamoDBOperationTypeModify, v3, v4, "resolveGrievanceByComment", at(20)),
		g.comment(t, events.DynamoDBOperationTypeModify, cm, cm2, "resolveGrievanceByComment", at(20)),
	)

	cm3 := cm2.Clone()
	cm3.IsResolution, cm3.Version, cm3.DateUpdated = false, 3, at(30)
	v5 := next(v4, 30, bob, func(n *grievance.Ticket) { n.Status = grievance.StatusOpen })
	g.write(t, dir, "ticket-reopen",
		g.comment(t, events.DynamoDBOperationTypeModify, cm2, cm3, "reopenTicket", at(30)),
		g.ticket(t, events.DynamoDBOperationTypeModify, v4, v5, "reopenTicket", at(30)),
	)

	v6 := next(v5, 40, bob, func(n *grievance.Ticket) { n.IsDeleted = true })
	g.write(t, dir, "ticket-delete", g.ticket(t, events.DynamoDBOperationTypeModify, v5, v6, "deleteTicket", at(40)))

	// Removals happen only outside the API (by hand, or a future purge).
	g.write(t, dir, "remove",
		g.comment(t, events.DynamoDBOperationTypeRemove, cm3, nil, "reopenTicket", at(50)),
		g.ticket(t, events.DynamoDBOperationTypeRemove, v6, nil, "deleteTicket", at(50)),
	)

	// A batch of mixed kinds: a ticket created with an attending staff,
	// with every item its mutation writes, and items no consumer cares for.
	t2 := &grievance.Ticket{ID: "8a1d2c3b-4e5f-4a6b-9c7d-8e9f0a1b2c3d", Version: 1, Seq: 2, Code: "GRS00000002",
		Title: "Wrong amount", Description: "Received half of the transfer.", ReporterType: grievance.PersonIndividual,
		ReporterID: "7e482430-4f9b-45b2-ac7f-d5d7986a3743", AttendingStaffID: bob, Status: grievance.StatusReceived,
		Priority: "High", DueDate: "2026-12-03", Category: "Payment", Flags: "Urgent", Channel: "Walk-in",
		DateCreated: at(60), DateUpdated: at(60), DateValidFrom: at(60), UserCreated: bob, UserUpdated: bob}
	ml2 := &grievance.MutationLog{ID: "5d6e7f80-91a2-4b3c-8d4e-5f6071829304", UserID: bob, Mutation: "createTicket",
		ClientMutationID: "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f708192", Status: grievance.MutationSuccess,
		RequestDateTime: at(60), TicketIDs: []string{t2.ID}}
	people := &grievance.Person{ID: "cab2948a-3e2e-5ff0-879b-a94946abdcc9", Type: grievance.PersonUser,
		FirstName: "Carol", LastName: "Viewer", Username: "carol", Roles: []string{"3"}}
	pi, err := toPersonItem(people)
	if err != nil {
		t.Fatal(err)
	}
	g.write(t, dir, "mixed-batch",
		g.item(t, events.DynamoDBOperationTypeInsert, nil, pi, at(59)),
		g.item(t, events.DynamoDBOperationTypeInsert, nil, claimItem{PK: claimKey(bob, ml2.ClientMutationID), SK: skClaim, Kind: KindClaim, LogID: ml2.ID}, at(60)),
		g.item(t, events.DynamoDBOperationTypeModify, counterItem{PK: pkCounter, SK: skTicketSeq, Kind: KindCounter, N: 1}, counterItem{PK: pkCounter, SK: skTicketSeq, Kind: KindCounter, N: 2}, at(60)),
		g.ticket(t, events.DynamoDBOperationTypeInsert, nil, t2, "createTicket", at(60)),
		g.item(t, events.DynamoDBOperationTypeInsert, nil, toMutationLogItem(ml2), at(60)),
		g.item(t, events.DynamoDBOperationTypeInsert, nil, configItem{PK: pkConfig, SK: skConfig, Kind: KindConfig, Document: `{"grievanceTypes":["Payment"]}`, Version: 1}, at(61)),
	)

	// A malformed image between two good records: the comment's version
	// is a string, which no comment item ever has.
	t3 := &grievance.Ticket{ID: "c0ffee00-1111-4222-8333-444455556666", Version: 1, Seq: 3, Code: "GRS00000003",
		Title: "Lost card", Status: grievance.StatusReceived, Category: "Payment", DueDate: "2026-12-04",
		DateCreated: at(70), DateUpdated: at(70), DateValidFrom: at(70), UserCreated: alice, UserUpdated: alice}
	bad := g.comment(t, events.DynamoDBOperationTypeInsert, nil, &grievance.Comment{ID: "deadbeef-0000-4000-8000-000000000001",
		TicketID: t3.ID, Version: 1, Comment: "x", DateCreated: at(71), DateUpdated: at(71), UserCreated: alice, UserUpdated: alice}, "createComment", at(71))
	bad.Change.NewImage["version"] = events.NewStringAttribute("one")
	t3b := t3.Clone()
	t3b.Version, t3b.Priority, t3b.DateUpdated = 2, "Low", at(72)
	g.write(t, dir, "malformed",
		g.ticket(t, events.DynamoDBOperationTypeInsert, nil, t3, "createTicket", at(70)),
		bad,
		g.ticket(t, events.DynamoDBOperationTypeModify, t3, t3b, "updateTicket", at(72)),
	)
}

type fixtureGen struct{ seq int64 }

var scalarRE = regexp.MustCompile(`\{\n\s*"(S|N|BOOL|NULL)": ([^\n]*)\n\s*\}`)

func (g *fixtureGen) write(t *testing.T, dir, name string, recs ...events.DynamoDBEventRecord) {
	t.Helper()
	b, err := json.MarshalIndent(events.DynamoDBEvent{Records: recs}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// One scalar attribute per line keeps the fixtures readable.
	b = scalarRE.ReplaceAll(b, []byte(`{"$1": $2}`))
	if err := os.WriteFile(filepath.Join(dir, name+".json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (g *fixtureGen) ticket(t *testing.T, op events.DynamoDBOperationType, old, new *grievance.Ticket, mutation string, at time.Time) events.DynamoDBEventRecord {
	t.Helper()
	conv := func(tk *grievance.Ticket) any {
		if tk == nil {
			return nil
		}
		it, err := toTicketItem(tk)
		if err != nil {
			t.Fatal(err)
		}
		it.LastMutation = mutation
		return it
	}
	return g.item(t, op, conv(old), conv(new), at)
}

func (g *fixtureGen) comment(t *testing.T, op events.DynamoDBOperationType, old, new *grievance.Comment, mutation string, at time.Time) events.DynamoDBEventRecord {
	t.Helper()
	conv := func(c *grievance.Comment) any {
		if c == nil {
			return nil
		}
		it, err := toCommentItem(c)
		if err != nil {
			t.Fatal(err)
		}
		it.LastMutation = mutation
		return it
	}
	return g.item(t, op, conv(old), conv(new), at)
}

// item renders one stream record as Lambda delivers it.
func (g *fixtureGen) item(t *testing.T, op events.DynamoDBOperationType, old, new any, at time.Time) events.DynamoDBEventRecord {
	t.Helper()
	g.seq++
	img := func(v any) map[string]events.DynamoDBAttributeValue {
		if v == nil {
			return nil
		}
		item, err := dynamo.MarshalItem(v)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]events.DynamoDBAttributeValue{}
		for k, av := range item {
			out[k] = toStreamValue(t, av)
		}
		return out
	}
	rec := events.DynamoDBEventRecord{
		EventID:        fmt.Sprintf("%032x", g.seq),
		EventName:      string(op),
		EventVersion:   "1.1",
		EventSource:    "aws:dynamodb",
		AWSRegion:      "us-east-1",
		EventSourceArn: "arn:aws:dynamodb:us-east-1:123456789012:table/redress-local-Main/stream/2026-11-27T00:00:00.000",
		Change: events.DynamoDBStreamRecord{
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: at.Truncate(time.Second)},
			NewImage:                    img(new),
			OldImage:                    img(old),
			SequenceNumber:              fmt.Sprintf("11000000000%d", g.seq),
			StreamViewType:              "NEW_AND_OLD_IMAGES",
		},
	}
	keys := rec.Change.NewImage
	if keys == nil {
		keys = rec.Change.OldImage
	}
	rec.Change.Keys = map[string]events.DynamoDBAttributeValue{"pk": keys["pk"], "sk": keys["sk"]}
	b, _ := json.Marshal(rec.Change.NewImage)
	c, _ := json.Marshal(rec.Change.OldImage)
	rec.Change.SizeBytes = int64(len(b) + len(c))
	return rec
}

func toStreamValue(t *testing.T, av types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute()
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = toStreamValue(t, e)
		}
		return events.NewListAttribute(l)
	case *types.AttributeValueMemberM:
		m := map[string]events.DynamoDBAttributeValue{}
		for k, e := range v.Value {
			m[k] = toStreamValue(t, e)
		}
		return events.NewMapAttribute(m)
	}
	t.Fatalf("unsupported attribute value %T", av)
	return events.DynamoDBAttributeValue{}
}

package store

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
)

// TestChangedFields_IgnoresEveryIndexKey: moving a ticket in any index
// (every index's key attributes change with status, priority, title, due
// date …) is not a change of a domain field, so history never lists index
// keys — including those of indexes added after this test was written.
func TestChangedFields_IgnoresEveryIndexKey(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	oldImg := dynamo.Item{AttrPK: s("TICKET#1"), AttrSK: s("TICKET"), "title": s("a"), "lastMutation": s("x")}
	newImg := dynamo.Item{AttrPK: s("TICKET#1"), AttrSK: s("TICKET"), "title": s("b"), "lastMutation": s("y")}
	for _, ix := range MainTable.Indexes {
		oldImg[ix.PartitionKey.Name], newImg[ix.PartitionKey.Name] = s("old"), s("new")
		newImg[ix.SortKey.Name] = s("only-new")
	}
	if got := changedFields(oldImg, newImg); !slices.Equal(got, []string{"title"}) {
		t.Fatalf("changedFields=%q, want [title]", got)
	}
}

// Ensure a stream record's key reaches a log only when it is made of ids:
// an index key carrying a title, a trigram, a name or a due date shows its
// partition's prefix alone.
func TestLogKey_ShowsIdsAndHidesWhatIndexKeysCarry(t *testing.T) {
	const id = "3f8b6c2e-1d4a-4e7b-9a51-6c0d2e9f7b13"
	title := hex.EncodeToString([]byte("Violence at the distribution point"))
	for _, tt := range []struct {
		name, pk, sk, want string
		secret             string
	}{
		{"ticket", "TICKET#" + id, "TICKET", "pk=TICKET#" + id + " sk=TICKET", ""},
		{"comment", "TICKET#" + id, "COMMENT#" + id, "pk=TICKET#" + id + " sk=COMMENT#" + id, ""},
		{"title's order posting", "ORDER#title", title + "000001", "pk=ORDER#… sk=…", title},
		{"trigram posting", "SRCH#title#vio", "000001", "pk=SRCH#… sk=…", "vio"},
		{"name part", "PERSON#" + id, "NAME#mussa", "pk=PERSON#" + id + " sk=NAME#…", "mussa"},
		{"due date marker", "SLA#" + id, "2026-03-02#OVERDUE", "pk=SLA#" + id + " sk=…", "2026-03-02"},
		{"claim of a user", "MUTCID#alice#cm-1", "CLAIM", "pk=MUTCID#… sk=CLAIM", "alice"},
		{"tracking code", "TRACK#GRS00000042", "TRACK", "pk=TRACK#… sk=TRACK", "GRS00000042"},
		{"not an id after a safe prefix", "TICKET#mussa", "TICKET", "pk=TICKET#… sk=TICKET", "mussa"},
	} {
		got := LogKey(map[string]events.DynamoDBAttributeValue{
			AttrPK: events.NewStringAttribute(tt.pk), AttrSK: events.NewStringAttribute(tt.sk)})
		if got != tt.want || (tt.secret != "" && strings.Contains(got, tt.secret)) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

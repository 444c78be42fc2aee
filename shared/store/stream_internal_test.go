package store

import (
	"slices"
	"testing"

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

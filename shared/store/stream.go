package store

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Stream event names, as DynamoDB Streams sets events.DynamoDBEventRecord.EventName.
const (
	EventInsert = "INSERT"
	EventModify = "MODIFY"
	EventRemove = "REMOVE"
)

// ErrMalformedRecord marks a stream record whose images cannot be read as
// the item they claim to be. Retrying cannot fix it: consumers report it as
// a batch item failure so that the mapping's bounded retries move it to the
// on-failure destination instead of blocking the shard.
var ErrMalformedRecord = errors.New("malformed stream record")

// Change is one stream record of the Main table, decoded. Kind tells what
// the item is; only tickets and comments are decoded further (Ticket,
// Comment and their Old* images), every other kind is left for consumers to
// skip.
type Change struct {
	EventName      string // EventInsert, EventModify or EventRemove
	SequenceNumber string
	// Kind is the item's kind attribute (KindTicket, KindComment, …); ""
	// for items without one.
	Kind string
	// Ticket and OldTicket are the new and old images of a ticket (nil
	// when absent: no old image on INSERT, no new image on REMOVE).
	Ticket, OldTicket *grievance.Ticket
	// Comment and OldComment are the same for a comment.
	Comment, OldComment *grievance.Comment
	// Attachment and OldAttachment are the same for an attachment.
	Attachment, OldAttachment *grievance.Attachment
	// LastMutation names the mutation that wrote the new image (or the old
	// one, on REMOVE), e.g. "reopenTicket"; "" for writes outside the API.
	LastMutation string
	// ChangedFields lists, sorted, the attributes whose values differ
	// between the old and the new image, index keys and bookkeeping
	// attributes (pk, sk, kind, lastMutation) left out. On INSERT it is
	// every attribute of the new image, on REMOVE every one of the old.
	ChangedFields []string
	// At is when the stream record was written (second precision).
	At time.Time

	image dynamo.Item // new image, old on REMOVE, as the SDK types it
}

// IsTicket reports whether the change is of a ticket.
func (c *Change) IsTicket() bool { return c.Kind == KindTicket }

// IsComment reports whether the change is of a comment.
func (c *Change) IsComment() bool { return c.Kind == KindComment }

// IsAttachment reports whether the change is of an attachment.
func (c *Change) IsAttachment() bool { return c.Kind == KindAttachment }

// DecodeChange decodes a stream record of the Main table. Records of kinds
// other than ticket and comment decode without error and carry only their
// Kind, so consumers can skip them. An error wraps ErrMalformedRecord.
func DecodeChange(rec events.DynamoDBEventRecord) (*Change, error) {
	c := &Change{EventName: rec.EventName, SequenceNumber: rec.Change.SequenceNumber,
		At: rec.Change.ApproximateCreationDateTime.UTC()}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %s (%s): %s", ErrMalformedRecord, c.SequenceNumber, rec.EventName, fmt.Sprintf(format, args...))
	}
	newImg, err := ConvertImage(rec.Change.NewImage)
	if err != nil {
		return nil, bad("new image: %v", err)
	}
	oldImg, err := ConvertImage(rec.Change.OldImage)
	if err != nil {
		return nil, bad("old image: %v", err)
	}
	current := newImg
	switch rec.EventName {
	case EventInsert, EventModify:
	case EventRemove:
		current = oldImg
	default:
		return nil, bad("unknown event name")
	}
	if current == nil {
		// Without the image there is no kind to tell whether it matters;
		// the Main table's stream is NEW_AND_OLD_IMAGES, so this is damage.
		return nil, bad("no image (stream view type %q)", rec.Change.StreamViewType)
	}
	c.Kind = stringAttr(current, "kind")
	if !c.IsTicket() && !c.IsComment() && !c.IsAttachment() {
		return c, nil
	}
	c.image = current
	c.LastMutation = stringAttr(current, "lastMutation")
	if rec.EventName == EventModify && oldImg == nil {
		return nil, bad("%s without old image", c.Kind)
	}
	for _, img := range []struct {
		item dynamo.Item
		old  bool
	}{{newImg, false}, {oldImg, true}} {
		if img.item == nil {
			continue
		}
		if err := c.decode(img.item, img.old); err != nil {
			return nil, bad("%v", err)
		}
	}
	c.ChangedFields = changedFields(oldImg, newImg)
	return c, nil
}

// decode reads one image into the change's ticket or comment and checks
// what every later step relies on: an id and a version from 1 on.
func (c *Change) decode(img dynamo.Item, old bool) error {
	switch c.Kind {
	case KindTicket:
		var it ticketItem
		if err := dynamo.UnmarshalItem(img, &it); err != nil {
			return fmt.Errorf("ticket image: %w", err)
		}
		if it.ID == "" || it.Version < 1 || it.PK != prefixTicket+it.ID {
			return fmt.Errorf("ticket image without a valid id and version (id %q, version %d)", it.ID, it.Version)
		}
		t, err := it.ticket()
		if err != nil {
			return err
		}
		if old {
			c.OldTicket = t
		} else {
			c.Ticket = t
		}
	case KindComment:
		var it commentItem
		if err := dynamo.UnmarshalItem(img, &it); err != nil {
			return fmt.Errorf("comment image: %w", err)
		}
		if it.ID == "" || it.TicketID == "" || it.Version < 1 {
			return fmt.Errorf("comment image without a valid id, ticket and version (id %q, ticket %q, version %d)", it.ID, it.TicketID, it.Version)
		}
		cm, err := it.comment()
		if err != nil {
			return err
		}
		if old {
			c.OldComment = cm
		} else {
			c.Comment = cm
		}
	case KindAttachment:
		var it attachmentItem
		if err := dynamo.UnmarshalItem(img, &it); err != nil {
			return fmt.Errorf("attachment image: %w", err)
		}
		if it.ID == "" || it.TicketID == "" || it.Version < 1 {
			return fmt.Errorf("attachment image without a valid id, ticket and version (id %q, ticket %q, version %d)", it.ID, it.TicketID, it.Version)
		}
		if old {
			c.OldAttachment = it.attachment()
		} else {
			c.Attachment = it.attachment()
		}
	}
	return nil
}

// EntityID returns the id of the ticket or comment changed.
func (c *Change) EntityID() string {
	switch {
	case c.Ticket != nil:
		return c.Ticket.ID
	case c.OldTicket != nil:
		return c.OldTicket.ID
	case c.Comment != nil:
		return c.Comment.ID
	case c.OldComment != nil:
		return c.OldComment.ID
	}
	return ""
}

// Version returns the version of the image the change is about: the new
// one, or the old one on REMOVE.
func (c *Change) Version() int {
	switch {
	case c.Ticket != nil:
		return c.Ticket.Version
	case c.OldTicket != nil:
		return c.OldTicket.Version
	case c.Comment != nil:
		return c.Comment.Version
	case c.OldComment != nil:
		return c.OldComment.Version
	}
	return 0
}

// bookkeeping attributes are not fields of the domain: keys (the table's
// and every index's, taken from MainTable so a new index cannot leak into
// history), the kind and the name of the mutation that wrote the item.
func bookkeeping(name string) bool {
	return bookkeepingAttrs[name]
}

var bookkeepingAttrs = func() map[string]bool {
	m := map[string]bool{AttrPK: true, AttrSK: true, "kind": true, "lastMutation": true}
	for _, ix := range MainTable.Indexes {
		m[ix.PartitionKey.Name] = true
		m[ix.SortKey.Name] = true
	}
	return m
}()

// changedFields compares two images attribute by attribute. An attribute
// absent on one side (the store omits empty optional attributes) counts as
// changed when present on the other.
func changedFields(oldImg, newImg dynamo.Item) []string {
	var out []string
	seen := map[string]bool{}
	for _, img := range []dynamo.Item{newImg, oldImg} {
		for name := range img {
			if seen[name] || bookkeeping(name) {
				continue
			}
			seen[name] = true
			if !reflect.DeepEqual(oldImg[name], newImg[name]) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func stringAttr(item dynamo.Item, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// ConvertImage converts a stream image (aws-lambda-go's attribute values)
// into the SDK's, which dynamo.UnmarshalItem reads. A nil or empty image
// gives nil.
func ConvertImage(img map[string]events.DynamoDBAttributeValue) (dynamo.Item, error) {
	if len(img) == 0 {
		return nil, nil
	}
	out := make(dynamo.Item, len(img))
	for name, v := range img {
		av, err := ConvertAttributeValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		out[name] = av
	}
	return out, nil
}

// ConvertAttributeValue converts one stream attribute value into the SDK's.
func ConvertAttributeValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		l := v.List()
		out := make([]types.AttributeValue, len(l))
		for i, e := range l {
			av, err := ConvertAttributeValue(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := ConvertImage(v.Map())
		if err != nil {
			return nil, err
		}
		if m == nil {
			m = dynamo.Item{}
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %d", v.DataType())
}

// LogKey renders a stream record's key for a log line. The Main table's
// index items carry in their keys what the API may mask: a title's bytes
// (the title's order postings), a text's trigrams, a person's last name
// (name parts), an external id, a username. Logs are read by people
// without those rights, so only keys made of ids are rendered; of any
// other key, the partition's prefix alone (e.g. "ORDER#…").
func LogKey(k map[string]events.DynamoDBAttributeValue) string {
	return "pk=" + logKeyPart(keyString(k[AttrPK])) + " sk=" + logKeyPart(keyString(k[AttrSK]))
}

func keyString(v events.DynamoDBAttributeValue) string {
	if v.DataType() == events.DataTypeString {
		return v.String()
	}
	return ""
}

// logSafeKeys are the fixed keys, which hold no value of anyone's.
var logSafeKeys = map[string]bool{skTicket: true, skCommentRef: true, skPerson: true, skMutLog: true,
	skClaim: true, pkCounter: true, skTicketSeq: true, pkConfig: true, skConfig: true, skTracking: true,
	"TICKETQ": true, "SEARCH": true, "STATS": true}

// logSafePrefixes are the prefixes followed by nothing but an id.
var logSafePrefixes = []string{prefixTicket, prefixComment, prefixAttach, prefixPerson, prefixMutLog,
	prefixStatsRef, prefixSearchRef, prefixSLA}

func logKeyPart(s string) string {
	if logSafeKeys[s] {
		return s
	}
	for _, p := range logSafePrefixes {
		if id, ok := strings.CutPrefix(s, p); ok && grievance.ValidUUID(id) {
			return s
		}
	}
	// A prefix is capital letters; anything else before a '#' may be a
	// value (a due date, a gram).
	if i := strings.IndexByte(s, '#'); i > 0 && strings.Trim(s[:i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		return s[:i+1] + "…"
	}
	return "…"
}

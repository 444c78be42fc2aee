package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

// Key prefixes and sort keys of the main table's items.
const (
	prefixTicket   = "TICKET#"
	prefixComment  = "COMMENT#"
	prefixAttach   = "ATTACH#"
	prefixPerson   = "PERSON#"
	prefixMutLog   = "MUTLOG#"
	prefixClaim    = "MUTCID#"
	skTicket       = "TICKET"
	skCommentRef   = "REF"
	skPerson       = "PERSON"
	skMutLog       = "MUTLOG"
	skClaim        = "CLAIM"
	pkCounter      = "COUNTER"
	skTicketSeq    = "TICKETSEQ"
	pkConfig       = "CONFIG"
	skConfig       = "GRIEVANCE"
	listLive       = "TICKETS#L"
	listDeleted    = "TICKETS#D"
	listComments   = "COMMENTS"
	listUsers      = "USERS"
	listAllMutLogs = "MUTLOGS"
	prefixMutLogs  = "MUTLOGS#"
	prefixStatus   = "STATUS#"
	// prefixStatusDue names a status's partition of g16 (by due date).
	prefixStatusDue = "SDUE#"
	prefixCategory  = "CATEGORY#"
	prefixStaff     = "STAFF#"
	prefixReporter  = "REPORTER#"
	prefixPriority  = "PRIORITY#" // count partition only: the tickets are in the priority sort index
	prefixStatCat   = "STATCAT#"  // live tickets of one status and category (g12)
	prefixCMID      = "CMID#"
	pkDue           = "DUE"
)

// Item kinds, stored in every item's "kind" attribute so that stream
// consumers can tell items apart without parsing keys.
const (
	KindTicket      = "ticket"
	KindComment     = "comment"
	KindCommentRef  = "commentRef"
	KindAttachment  = "attachment"
	KindAttachRef   = "attachmentRef"
	KindPerson      = "person"
	KindMutationLog = "mutationLog"
	KindClaim       = "claim"
	KindCounter     = "counter"
	KindConfig      = "config"
)

// seqKey renders a ticket number so that string order is number order.
func seqKey(seq int64) string { return fmt.Sprintf("%012d", seq) }

// timeKey renders t so that string order is time order.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// indexKeys are the generic GSI key attributes an item may carry; empty
// ones are omitted, which keeps the item out of that index.
type indexKeys struct {
	G1PK string `dynamo:"g1pk,omitempty"`
	G1SK string `dynamo:"g1sk,omitempty"`
	G2PK string `dynamo:"g2pk,omitempty"`
	G2SK string `dynamo:"g2sk,omitempty"`
	G3PK string `dynamo:"g3pk,omitempty"`
	G3SK string `dynamo:"g3sk,omitempty"`
	G4PK string `dynamo:"g4pk,omitempty"`
	G4SK string `dynamo:"g4sk,omitempty"`
	G5PK string `dynamo:"g5pk,omitempty"`
	G5SK string `dynamo:"g5sk,omitempty"`
	G6PK string `dynamo:"g6pk,omitempty"`
	G6SK string `dynamo:"g6sk,omitempty"`
	// Sort index keys: listLive and sortKey(value, seq).
	G7PK  string `dynamo:"g7pk,omitempty"`
	G7SK  string `dynamo:"g7sk,omitempty"`
	G8PK  string `dynamo:"g8pk,omitempty"`
	G8SK  string `dynamo:"g8sk,omitempty"`
	G9PK  string `dynamo:"g9pk,omitempty"`
	G9SK  string `dynamo:"g9sk,omitempty"`
	G10PK string `dynamo:"g10pk,omitempty"`
	G10SK string `dynamo:"g10sk,omitempty"`
	G11PK string `dynamo:"g11pk,omitempty"`
	G11SK string `dynamo:"g11sk,omitempty"`
	// Status and category: statusCategory and seqKey.
	G12PK string `dynamo:"g12pk,omitempty"`
	G12SK string `dynamo:"g12sk,omitempty"`
	// Narrow sort indexes (projected keys and sortProjected only).
	G16PK string `dynamo:"g16pk,omitempty"`
	G16SK string `dynamo:"g16sk,omitempty"`
	G13PK string `dynamo:"g13pk,omitempty"`
	G13SK string `dynamo:"g13sk,omitempty"`
	G14PK string `dynamo:"g14pk,omitempty"`
	G14SK string `dynamo:"g14sk,omitempty"`
	G15PK string `dynamo:"g15pk,omitempty"`
	G15SK string `dynamo:"g15sk,omitempty"`
}

// ticketItem is a ticket as stored. Empty optional attributes are omitted.
type ticketItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	indexKeys

	ID               string    `dynamo:"id"`
	Version          int       `dynamo:"version"`
	IsDeleted        bool      `dynamo:"isDeleted"`
	Seq              int64     `dynamo:"seq"`
	Code             string    `dynamo:"code,omitempty"`
	Key              string    `dynamo:"key,omitempty"`
	Title            string    `dynamo:"title,omitempty"`
	Description      string    `dynamo:"description,omitempty"`
	ReporterType     string    `dynamo:"reporterType,omitempty"`
	ReporterID       string    `dynamo:"reporterId,omitempty"`
	AttendingStaffID string    `dynamo:"attendingStaffId,omitempty"`
	DateOfIncident   string    `dynamo:"dateOfIncident,omitempty"`
	Status           string    `dynamo:"status"`
	Priority         string    `dynamo:"priority,omitempty"`
	DueDate          string    `dynamo:"dueDate,omitempty"`
	Category         string    `dynamo:"category,omitempty"`
	Flags            string    `dynamo:"flags,omitempty"`
	Channel          string    `dynamo:"channel,omitempty"`
	Resolution       string    `dynamo:"resolution,omitempty"`
	JSONExt          string    `dynamo:"jsonExt,omitempty"` // JSON text: lossless for any client JSON
	DateCreated      time.Time `dynamo:"dateCreated"`
	DateUpdated      time.Time `dynamo:"dateUpdated"`
	DateValidFrom    time.Time `dynamo:"dateValidFrom"`
	UserCreated      string    `dynamo:"userCreated"`
	UserUpdated      string    `dynamo:"userUpdated"`
	SLAStart         time.Time `dynamo:"slaStart,omitempty"`
	DateResolved     time.Time `dynamo:"dateResolved,omitempty"`
	Rating           int       `dynamo:"rating,omitempty"`
	RatedAt          time.Time `dynamo:"ratedAt,omitempty"`
	AppealedAt       time.Time `dynamo:"appealedAt,omitempty"`
	AcknowledgedAt   time.Time `dynamo:"acknowledgedAt,omitempty"`
	// LastMutation names the mutation that wrote this version (e.g.
	// "reopenTicket"), so stream consumers know why an item changed.
	LastMutation string       `dynamo:"lastMutation,omitempty"`
	Contact      *contactItem `dynamo:"contact,omitempty"`
	// AttachmentIDs are the ticket's clean attachments.
	AttachmentIDs []string `dynamo:"attachmentIds,omitempty"`
	Source        string   `dynamo:"source,omitempty"`
}

func toTicketItem(t *grievance.Ticket) (*ticketItem, error) {
	it := &ticketItem{
		PK: prefixTicket + t.ID, SK: skTicket, Kind: KindTicket,
		ID: t.ID, Version: t.Version, IsDeleted: t.IsDeleted, Seq: t.Seq, Code: t.Code,
		Key: t.Key, Title: t.Title, Description: t.Description,
		ReporterType: string(t.ReporterType), ReporterID: t.ReporterID, AttendingStaffID: t.AttendingStaffID,
		DateOfIncident: t.DateOfIncident, Status: string(t.Status), Priority: t.Priority, DueDate: t.DueDate,
		Category: t.Category, Flags: t.Flags, Channel: t.Channel, Resolution: t.Resolution,
		DateCreated: t.DateCreated.UTC(), DateUpdated: t.DateUpdated.UTC(), DateValidFrom: t.DateValidFrom.UTC(),
		UserCreated: t.UserCreated, UserUpdated: t.UserUpdated,
		SLAStart: t.SLAStart.UTC(), DateResolved: t.DateResolved.UTC(),
		Rating: t.Rating, RatedAt: t.RatedAt.UTC(), AppealedAt: t.AppealedAt.UTC(),
		AttachmentIDs:  t.AttachmentIDs,
		Contact:        toContactItem(t.Contact),
		AcknowledgedAt: t.AcknowledgedAt.UTC(),
		Source:         t.Source,
	}
	if len(t.JSONExt) > 0 {
		b, err := json.Marshal(t.JSONExt)
		if err != nil {
			return nil, fmt.Errorf("encode jsonExt of ticket %s: %w", t.ID, err)
		}
		it.JSONExt = string(b)
	}
	sk := seqKey(t.Seq)
	it.G1PK, it.G1SK = listLive, sk
	if t.IsDeleted {
		// Deleted tickets leave every live index; only the deleted list
		// (ticketsStr, ticketDetails) still reaches them.
		it.G1PK = listDeleted
		return it, nil
	}
	it.G2PK, it.G2SK = prefixStatus+string(t.Status), sk
	if t.Category != "" {
		it.G3PK, it.G3SK = prefixCategory+t.Category, sk
		it.G12PK, it.G12SK = statusCategory(string(t.Status), t.Category), sk
	}
	if t.AttendingStaffID != "" {
		it.G4PK, it.G4SK = prefixStaff+t.AttendingStaffID, sk
	}
	if t.ReporterID != "" {
		it.G5PK, it.G5SK = prefixReporter+t.ReporterID, sk
	}
	// Index g6 holds the tickets the SLA sweep must look at: those still
	// running against a due date.
	if t.DueDate != "" && !t.Status.Terminal() {
		it.G6PK, it.G6SK = pkDue, t.DueDate+"#"+t.ID
	}
	for _, k := range []struct {
		field  string
		pk, sk *string
	}{
		{"priority", &it.G7PK, &it.G7SK}, {"status", &it.G8PK, &it.G8SK}, {"category", &it.G9PK, &it.G9SK},
		{"title", &it.G10PK, &it.G10SK}, {"due_date", &it.G11PK, &it.G11SK},
		{"reporter_id", &it.G13PK, &it.G13SK}, {"version", &it.G14PK, &it.G14SK}, {"attending_staff", &it.G15PK, &it.G15SK},
	} {
		*k.pk, *k.sk = listLive, sortKey(grievance.SortValue(t, k.field), t.Seq)
	}
	it.G16PK, it.G16SK = prefixStatusDue+string(t.Status), it.G11SK
	return it, nil
}

func (it *ticketItem) ticket() (*grievance.Ticket, error) {
	t := &grievance.Ticket{
		ID: it.ID, Version: it.Version, IsDeleted: it.IsDeleted, Seq: it.Seq, Code: it.Code,
		Key: it.Key, Title: it.Title, Description: it.Description,
		ReporterType: grievance.PersonType(it.ReporterType), ReporterID: it.ReporterID, AttendingStaffID: it.AttendingStaffID,
		DateOfIncident: it.DateOfIncident, Status: grievance.Status(it.Status), Priority: it.Priority, DueDate: it.DueDate,
		Category: it.Category, Flags: it.Flags, Channel: it.Channel, Resolution: it.Resolution,
		DateCreated: it.DateCreated, DateUpdated: it.DateUpdated, DateValidFrom: it.DateValidFrom,
		UserCreated: it.UserCreated, UserUpdated: it.UserUpdated,
		SLAStart: it.SLAStart, DateResolved: it.DateResolved,
		Rating: it.Rating, RatedAt: it.RatedAt, AppealedAt: it.AppealedAt,
		AttachmentIDs:  it.AttachmentIDs,
		Contact:        it.Contact.contact(),
		AcknowledgedAt: it.AcknowledgedAt,
		Source:         it.Source,
	}
	if it.JSONExt != "" {
		if err := json.Unmarshal([]byte(it.JSONExt), &t.JSONExt); err != nil {
			return nil, fmt.Errorf("decode jsonExt of ticket %s: %w", it.ID, err)
		}
	}
	return t, nil
}

// commentItem is a comment as stored: in its ticket's partition, so that a
// ticket and its comments are read together with strong consistency.
type commentItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	indexKeys

	ID            string    `dynamo:"id"`
	TicketID      string    `dynamo:"ticketId"`
	Version       int       `dynamo:"version"`
	IsDeleted     bool      `dynamo:"isDeleted"`
	CommenterType string    `dynamo:"commenterType,omitempty"`
	CommenterID   string    `dynamo:"commenterId,omitempty"`
	Comment       string    `dynamo:"comment"`
	IsResolution  bool      `dynamo:"isResolution"`
	Public        bool      `dynamo:"public,omitempty"`
	JSONExt       string    `dynamo:"jsonExt,omitempty"`
	DateCreated   time.Time `dynamo:"dateCreated"`
	DateUpdated   time.Time `dynamo:"dateUpdated"`
	UserCreated   string    `dynamo:"userCreated"`
	UserUpdated   string    `dynamo:"userUpdated"`
	LastMutation  string    `dynamo:"lastMutation,omitempty"`
}

func toCommentItem(c *grievance.Comment) (*commentItem, error) {
	it := &commentItem{
		PK: prefixTicket + c.TicketID, SK: prefixComment + c.ID, Kind: KindComment,
		ID: c.ID, TicketID: c.TicketID, Version: c.Version, IsDeleted: c.IsDeleted,
		CommenterType: string(c.CommenterType), CommenterID: c.CommenterID, Comment: c.Comment,
		IsResolution: c.IsResolution, Public: c.Public, DateCreated: c.DateCreated.UTC(), DateUpdated: c.DateUpdated.UTC(),
		UserCreated: c.UserCreated, UserUpdated: c.UserUpdated,
	}
	it.G1PK, it.G1SK = listComments, timeKey(c.DateCreated)+"#"+c.ID
	if len(c.JSONExt) > 0 {
		b, err := json.Marshal(c.JSONExt)
		if err != nil {
			return nil, fmt.Errorf("encode jsonExt of comment %s: %w", c.ID, err)
		}
		it.JSONExt = string(b)
	}
	return it, nil
}

func (it *commentItem) comment() (*grievance.Comment, error) {
	c := &grievance.Comment{
		ID: it.ID, TicketID: it.TicketID, Version: it.Version, IsDeleted: it.IsDeleted,
		CommenterType: grievance.PersonType(it.CommenterType), CommenterID: it.CommenterID,
		Comment: it.Comment, IsResolution: it.IsResolution, Public: it.Public,
		DateCreated: it.DateCreated, DateUpdated: it.DateUpdated, UserCreated: it.UserCreated, UserUpdated: it.UserUpdated,
	}
	if it.JSONExt != "" {
		if err := json.Unmarshal([]byte(it.JSONExt), &c.JSONExt); err != nil {
			return nil, fmt.Errorf("decode jsonExt of comment %s: %w", it.ID, err)
		}
	}
	return c, nil
}

// commentRef points from a comment id to its ticket, so that a comment can
// be read by id with a strongly consistent GetItem.
type commentRef struct {
	PK       string `dynamo:"pk"`
	SK       string `dynamo:"sk"`
	Kind     string `dynamo:"kind"`
	TicketID string `dynamo:"ticketId"`
}

type personItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	indexKeys
	ID           string   `dynamo:"id"`
	Type         string   `dynamo:"type"`
	FirstName    string   `dynamo:"firstName,omitempty"`
	LastName     string   `dynamo:"lastName,omitempty"`
	Dob          string   `dynamo:"dob,omitempty"`
	Username     string   `dynamo:"username,omitempty"`
	Roles        []string `dynamo:"roles,omitempty"`
	Groups       []string `dynamo:"groups,omitempty"`
	IndividualID string   `dynamo:"individualId,omitempty"`
	JSONExt      string   `dynamo:"jsonExt,omitempty"`
	ExternalID   string   `dynamo:"externalId,omitempty"`
	Sex          string   `dynamo:"sex,omitempty"`
	Phone        string   `dynamo:"phone,omitempty"`
	Email        string   `dynamo:"email,omitempty"`
	Location     string   `dynamo:"location,omitempty"`
	Programme    string   `dynamo:"programme,omitempty"`
	Inactive     bool     `dynamo:"inactive,omitempty"`
	// NameParts is namePartsVersion when the person's name index entries
	// are written (individuals and beneficiaries).
	NameParts int `dynamo:"nameParts,omitempty"`
}

func toPersonItem(p *grievance.Person) (*personItem, error) {
	it := &personItem{PK: prefixPerson + p.ID, SK: skPerson, Kind: KindPerson,
		ID: p.ID, Type: string(p.Type), FirstName: p.FirstName, LastName: p.LastName, Dob: p.Dob,
		Username: p.Username, Roles: p.Roles, Groups: p.Groups, IndividualID: p.IndividualID,
		ExternalID: p.ExternalID, Sex: p.Sex, Phone: p.Phone, Email: p.Email, Location: p.Location,
		Programme: p.Programme, Inactive: p.Inactive}
	if p.Type == grievance.PersonUser {
		it.G3PK, it.G3SK = listUsers, strings.ToLower(p.Username)
	}
	personIndexKeys(it, p)
	if p.Type == grievance.PersonIndividual || p.Type == grievance.PersonBeneficiary {
		it.NameParts = namePartsVersion
	}
	if len(p.JSONExt) > 0 {
		b, err := json.Marshal(p.JSONExt)
		if err != nil {
			return nil, fmt.Errorf("encode jsonExt of person %s: %w", p.ID, err)
		}
		it.JSONExt = string(b)
	}
	return it, nil
}

func (it *personItem) person() (*grievance.Person, error) {
	p := &grievance.Person{ID: it.ID, Type: grievance.PersonType(it.Type), FirstName: it.FirstName,
		LastName: it.LastName, Dob: it.Dob, Username: it.Username, Roles: it.Roles, Groups: it.Groups, IndividualID: it.IndividualID,
		ExternalID: it.ExternalID, Sex: it.Sex, Phone: it.Phone, Email: it.Email, Location: it.Location,
		Programme: it.Programme, Inactive: it.Inactive}
	if it.JSONExt != "" {
		if err := json.Unmarshal([]byte(it.JSONExt), &p.JSONExt); err != nil {
			return nil, fmt.Errorf("decode jsonExt of person %s: %w", it.ID, err)
		}
	}
	return p, nil
}

type mutationLogItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	indexKeys
	ID                    string    `dynamo:"id"`
	UserID                string    `dynamo:"userId"`
	Mutation              string    `dynamo:"mutation"`
	ClientMutationID      string    `dynamo:"clientMutationId,omitempty"`
	ClientMutationLabel   string    `dynamo:"clientMutationLabel,omitempty"`
	ClientMutationDetails []string  `dynamo:"clientMutationDetails,omitempty"`
	JSONContent           string    `dynamo:"jsonContent,omitempty"`
	Status                int       `dynamo:"status"`
	Error                 string    `dynamo:"error,omitempty"`
	RequestDateTime       time.Time `dynamo:"requestDateTime"`
	TicketIDs             []string  `dynamo:"ticketIds,omitempty"`
	ExpiresAt             int64     `dynamo:"expiresAt,omitempty"`
	Retryable             bool      `dynamo:"retryable,omitempty"`
}

func toMutationLogItem(l *grievance.MutationLog) *mutationLogItem {
	it := &mutationLogItem{PK: prefixMutLog + l.ID, SK: skMutLog, Kind: KindMutationLog,
		ID: l.ID, UserID: l.UserID, Mutation: l.Mutation, ClientMutationID: l.ClientMutationID,
		ClientMutationLabel: l.ClientMutationLabel, ClientMutationDetails: l.ClientMutationDetails,
		JSONContent: l.JSONContent, Status: int(l.Status), Error: l.Error,
		RequestDateTime: l.RequestDateTime.UTC(), TicketIDs: l.TicketIDs, Retryable: l.Retryable}
	if !l.ExpiresAt.IsZero() {
		it.ExpiresAt = l.ExpiresAt.Unix()
	}
	sk := timeKey(l.RequestDateTime) + "#" + l.ID
	it.G1PK, it.G1SK = prefixMutLogs+l.UserID, sk
	it.G2PK, it.G2SK = listAllMutLogs, sk
	if l.ClientMutationID != "" {
		it.G3PK, it.G3SK = prefixCMID+l.ClientMutationID, sk
	}
	return it
}

func (it *mutationLogItem) log() *grievance.MutationLog {
	l := &grievance.MutationLog{ID: it.ID, UserID: it.UserID, Mutation: it.Mutation,
		ClientMutationID: it.ClientMutationID, ClientMutationLabel: it.ClientMutationLabel,
		ClientMutationDetails: it.ClientMutationDetails, JSONContent: it.JSONContent,
		Status: grievance.MutationStatus(it.Status), Error: it.Error, RequestDateTime: it.RequestDateTime,
		TicketIDs: it.TicketIDs, Retryable: it.Retryable}
	if it.ExpiresAt > 0 {
		l.ExpiresAt = time.Unix(it.ExpiresAt, 0).UTC()
	}
	return l
}

// claimItem makes a (user, clientMutationId) pair succeed once. Retryable
// (the log is a transient failure) leaves it open to the next claim.
type claimItem struct {
	PK        string `dynamo:"pk"`
	SK        string `dynamo:"sk"`
	Kind      string `dynamo:"kind"`
	LogID     string `dynamo:"logId"`
	ExpiresAt int64  `dynamo:"expiresAt,omitempty"`
	Retryable bool   `dynamo:"retryable,omitempty"`
}

// claimOpen is the condition of a claim's put: unclaimed, or claimed by a
// retryable failure only.
const claimOpen = "attribute_not_exists(pk) OR retryable = ?"

func claimKey(userID, cmid string) string { return prefixClaim + userID + "#" + cmid }

type configItem struct {
	PK       string `dynamo:"pk"`
	SK       string `dynamo:"sk"`
	Kind     string `dynamo:"kind"`
	Document string `dynamo:"document"`
	Version  int    `dynamo:"version"`
}

type counterItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	N    int64  `dynamo:"n"`
	// Turn is the place in the queue (turns.go) that may take the next
	// number; TurnAt when it got the turn (Unix ms).
	Turn   int64 `dynamo:"turn,omitempty"`
	TurnAt int64 `dynamo:"turnAt,omitempty"`
}

// attachmentItem is an attachment's record, in its ticket's partition like
// comments. A pending one carries expiresAt: the record of an upload that
// never arrives is removed by TTL.
type attachmentItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`

	ID           string    `dynamo:"id"`
	TicketID     string    `dynamo:"ticketId"`
	Version      int       `dynamo:"version"`
	FileName     string    `dynamo:"fileName"`
	ContentType  string    `dynamo:"contentType"`
	Size         int64     `dynamo:"size"`
	Status       string    `dynamo:"status"`
	Threat       string    `dynamo:"threat,omitempty"`
	UploadedBy   string    `dynamo:"uploadedBy"`
	DateCreated  time.Time `dynamo:"dateCreated"`
	DateUpdated  time.Time `dynamo:"dateUpdated"`
	UserUpdated  string    `dynamo:"userUpdated"`
	ExpiresAt    int64     `dynamo:"expiresAt,omitempty"`
	LastMutation string    `dynamo:"lastMutation,omitempty"`
	// ObjectVersion is the S3 version of the scanned file; absent while
	// pending and on records scanned before it was recorded.
	ObjectVersion string `dynamo:"objectVersion,omitempty"`
}

func toAttachmentItem(a *grievance.Attachment) *attachmentItem {
	it := &attachmentItem{PK: prefixTicket + a.TicketID, SK: prefixAttach + a.ID, Kind: KindAttachment,
		ID: a.ID, TicketID: a.TicketID, Version: a.Version, FileName: a.FileName, ContentType: a.ContentType,
		Size: a.Size, Status: string(a.Status), Threat: a.Threat, UploadedBy: a.UploadedBy,
		DateCreated: a.DateCreated.UTC(), DateUpdated: a.DateUpdated.UTC(), UserUpdated: a.UserUpdated,
		ObjectVersion: a.ObjectVersion}
	if !a.ExpiresAt.IsZero() {
		it.ExpiresAt = a.ExpiresAt.Unix()
	}
	return it
}

func (it *attachmentItem) attachment() *grievance.Attachment {
	a := &grievance.Attachment{ID: it.ID, TicketID: it.TicketID, Version: it.Version, FileName: it.FileName,
		ContentType: it.ContentType, Size: it.Size, Status: grievance.AttachmentStatus(it.Status), Threat: it.Threat,
		UploadedBy: it.UploadedBy, DateCreated: it.DateCreated, DateUpdated: it.DateUpdated, UserUpdated: it.UserUpdated,
		ObjectVersion: it.ObjectVersion}
	if it.ExpiresAt > 0 {
		a.ExpiresAt = time.Unix(it.ExpiresAt, 0).UTC()
	}
	return a
}

// attachmentRef points from an attachment id to its ticket; it expires
// with a pending attachment and loses its expiry with it.
type attachmentRef struct {
	PK        string `dynamo:"pk"`
	SK        string `dynamo:"sk"`
	Kind      string `dynamo:"kind"`
	TicketID  string `dynamo:"ticketId"`
	ExpiresAt int64  `dynamo:"expiresAt,omitempty"`
}

// IndexPartition reports whether pk (a partition key of the main or
// history table, or of an index) holds the list indexes' items: postings,
// order postings and runs, columns, counts, the dictionary of values and
// the counts of versions — what the benchmarks count as index items, beside
// the rows' own tickets, versions and people.
func IndexPartition(pk string) bool {
	if pk == listValues || pk == pkOrdersMarker || pk == pkDueDays || pk == pkHistoryRows {
		return true
	}
	for _, p := range []string{prefixPosting, prefixOrder, prefixOrderRun, prefixNarrowRun, prefixColumn, prefixCount, prefixVersionCount, prefixValueRows} {
		if strings.HasPrefix(pk, p) {
			return true
		}
	}
	return false
}

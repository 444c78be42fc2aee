package store

// This file is the single definition of Redress's DynamoDB tables. The CDK
// stack (infra) and the local bootstrap (infra/local, tests) both build their
// tables from Tables(), so a local table and a deployed one cannot drift.

// KeyType is a DynamoDB attribute type used in a key.
type KeyType string

// Key attribute types.
const (
	String KeyType = "S"
	Number KeyType = "N"
)

// Attribute is a key attribute: its name and type.
type Attribute struct {
	Name string
	Type KeyType
}

// Projection is what a global secondary index copies of each item.
type Projection string

// Projections. ALL is the zero value.
const (
	// ProjectAll copies every attribute: a list page reads whole tickets
	// from the index, and every write of an item rewrites its copy.
	ProjectAll Projection = ""
	// ProjectInclude copies the keys and the Include attributes only: the
	// index is written when the item enters or leaves it, or a key or one
	// of those attributes changes; readers fetch the items themselves.
	ProjectInclude Projection = "INCLUDE"
)

// Index is a global secondary index. Most project every attribute,
// because list pages read whole tickets from them; a sort index whose key
// changes rarely or whose reads can afford a BatchGetItem of the page
// projects only what choosing its rows needs (Include).
type Index struct {
	Name         string
	PartitionKey Attribute
	SortKey      Attribute
	Projection   Projection
	// Include are the non-key attributes of a ProjectInclude index.
	Include []string
}

// Table describes one table: its logical name (the CDK construct id and the
// local table name), keys, indexes, stream and TTL settings, and the
// environment variable through which functions learn its physical name.
type Table struct {
	Name         string
	EnvVar       string
	PartitionKey Attribute
	SortKey      Attribute
	Indexes      []Index
	// Stream is true when the table's changes feed the stream consumers;
	// the view is always NEW_AND_OLD_IMAGES.
	Stream bool
	// TTLAttribute names the epoch-seconds attribute after which DynamoDB
	// may delete an item ("" = no TTL).
	TTLAttribute string
}

// Attribute names shared by every item.
const (
	AttrPK      = "pk"
	AttrSK      = "sk"
	AttrExpires = "expiresAt"
)

// Index names of the main table (CloudFormation wants at least three
// characters). Each index has generic key attribute names (g1pk/g1sk …) so
// that several item kinds can share it; docs/data-model.md lists which item
// puts what into which index.
const (
	IndexList     = "gsi1" // g1: ticket list in number order; all comments; mutation logs of a user
	IndexStatus   = "gsi2" // g2: live tickets by status; every mutation log
	IndexCategory = "gsi3" // g3: live tickets by category; users by username; logs by clientMutationId
	IndexStaff    = "gsi4" // g4: live tickets by attending staff
	IndexReporter = "gsi5" // g5: live tickets by reporter
	IndexDue      = "gsi6" // g6: open tickets by due date (service levels)
	// Sort indexes: live tickets in the order of one column (value, then
	// newest first), for the web client's sortable columns.
	IndexByPriority = "gsi7"  // g7
	IndexByStatus   = "gsi8"  // g8
	IndexByCategory = "gsi9"  // g9
	IndexByTitle    = "gsi10" // g10
	IndexByDueDate  = "gsi11" // g11
	// Live tickets in one status and category, in number order: the
	// filter panel's commonest pair.
	IndexStatCat = "gsi12" // g12
	// Sort indexes that project only the keys and the partition
	// attributes (sortProjected): the tickets are fetched by BatchGetItem.
	IndexByReporter = "gsi13" // g13
	IndexByVersion  = "gsi14" // g14
	IndexByStaff    = "gsi15" // g15
	// Live tickets of one status by due date (narrow): a status filter
	// with the due-date order reads its own partition, however the
	// status and the due date go together (the earliest due dates are
	// mostly closed tickets, so the open ones would be found at the end
	// of the whole due-date index).
	IndexStatusDue = "gsi16" // g16
)

// sortProjected are the attributes the narrow sort indexes copy: what
// tells whether a ticket is in the key range a list's filters chose
// (TicketRange.Within) before the ticket is fetched.
var sortProjected = []string{"status", "category", "priority", "reporterId", "attendingStaffId"}

// sortIndexes names the index of each order in grievance.SortIndexed.
var sortIndexes = map[string]string{
	"priority": IndexByPriority, "status": IndexByStatus, "category": IndexByCategory,
	"title": IndexByTitle, "due_date": IndexByDueDate,
	"reporter_id": IndexByReporter, "version": IndexByVersion, "attending_staff": IndexByStaff,
}

// Index names of the history table.
const (
	HistoryIndexAll = "hist1" // h1: every ticket version, newest first
	// History sort indexes: every ticket version in the order of one of
	// the web client's sortable columns (value, then newest ticket and
	// version first), for showHistory lists ordered by a column. Narrow:
	// keys and sortProjected, the version fetched by BatchGetItem.
	HistoryIndexByTitle    = "hist2" // h2
	HistoryIndexByPriority = "hist3" // h3
	HistoryIndexByStatus   = "hist4" // h4
	HistoryIndexByCategory = "hist5" // h5
	HistoryIndexByReporter = "hist6" // h6
	HistoryIndexByVersion  = "hist7" // h7
)

// historySortIndexes names the history index of each order in
// grievance.HistorySortIndexed.
var historySortIndexes = map[string]string{
	"title": HistoryIndexByTitle, "priority": HistoryIndexByPriority, "status": HistoryIndexByStatus,
	"category": HistoryIndexByCategory, "reporter_id": HistoryIndexByReporter, "version": HistoryIndexByVersion,
}

// MainTable holds tickets, comments, people, mutation logs, counters and the
// stored configuration. Its stream drives the history and tasks functions.
var MainTable = Table{
	Name:         "Main",
	EnvVar:       "TABLE_NAME",
	PartitionKey: Attribute{AttrPK, String},
	SortKey:      Attribute{AttrSK, String},
	Indexes: []Index{
		gsi(IndexList, "g1"), gsi(IndexStatus, "g2"), gsi(IndexCategory, "g3"),
		gsi(IndexStaff, "g4"), gsi(IndexReporter, "g5"), gsi(IndexDue, "g6"),
		gsi(IndexByPriority, "g7"), gsi(IndexByStatus, "g8"), gsi(IndexByCategory, "g9"),
		gsi(IndexByTitle, "g10"), gsi(IndexByDueDate, "g11"),
		gsi(IndexStatCat, "g12"),
		narrow(gsi(IndexByReporter, "g13")), narrow(gsi(IndexByVersion, "g14")), narrow(gsi(IndexByStaff, "g15")),
		narrow(gsi(IndexStatusDue, "g16")),
	},
	Stream:       true,
	TTLAttribute: AttrExpires,
}

// HistoryTable holds one record per version of every ticket and comment,
// written by the history function from the main table's stream.
var HistoryTable = Table{
	Name:         "History",
	EnvVar:       "HISTORY_TABLE_NAME",
	PartitionKey: Attribute{AttrPK, String},
	SortKey:      Attribute{AttrSK, String},
	// The sort indexes come after hist1, in the order a stage that
	// lacks them gets them (one per stack update: historyIndexes).
	Indexes: []Index{gsi(HistoryIndexAll, "h1"),
		narrow(gsi(HistoryIndexByTitle, "h2")), narrow(gsi(HistoryIndexByPriority, "h3")),
		narrow(gsi(HistoryIndexByStatus, "h4")), narrow(gsi(HistoryIndexByCategory, "h5")),
		narrow(gsi(HistoryIndexByReporter, "h6")), narrow(gsi(HistoryIndexByVersion, "h7"))},
}

// Tables returns every table Redress needs.
func Tables() []Table { return []Table{MainTable, HistoryTable} }

func gsi(name, attr string) Index {
	return Index{
		Name:         name,
		PartitionKey: Attribute{attr + "pk", String},
		SortKey:      Attribute{attr + "sk", String},
	}
}

// narrow makes ix project only the keys and sortProjected.
func narrow(ix Index) Index {
	ix.Projection, ix.Include = ProjectInclude, sortProjected
	return ix
}

// projectsAll reports whether index copies whole items.
func projectsAll(index string) bool {
	for _, t := range Tables() {
		for _, ix := range t.Indexes {
			if ix.Name == index {
				return ix.Projection == ProjectAll
			}
		}
	}
	panic("store: unknown index " + index)
}

// indexAttrs returns the key attribute names of an index of either table.
func indexAttrs(index string) (pk, sk string) {
	for _, t := range Tables() {
		for _, ix := range t.Indexes {
			if ix.Name == index {
				return ix.PartitionKey.Name, ix.SortKey.Name
			}
		}
	}
	panic("store: unknown index " + index)
}

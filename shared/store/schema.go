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

// Index is a global secondary index. All indexes project every attribute,
// because list pages read whole tickets from them.
type Index struct {
	Name         string
	PartitionKey Attribute
	SortKey      Attribute
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
)

// sortIndexes names the index of each order in grievance.SortIndexed.
var sortIndexes = map[string]string{
	"priority": IndexByPriority, "status": IndexByStatus, "category": IndexByCategory,
	"title": IndexByTitle, "due_date": IndexByDueDate,
}

// Index names of the history table.
const (
	HistoryIndexAll = "hist1" // h1: every ticket version, newest first
)

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
	Indexes:      []Index{gsi(HistoryIndexAll, "h1")},
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

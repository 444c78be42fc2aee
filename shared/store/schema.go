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

// Index names of the main table. Each index has generic key attribute names
// (g1pk/g1sk …) so that several item kinds can share it; docs/data-model.md
// lists which item puts what into which index.
const (
	IndexList     = "g1" // ticket list in code order; comments of all tickets; mutation logs of a user
	IndexStatus   = "g2" // live tickets by status; comment id -> its ticket
	IndexCategory = "g3" // live tickets by category; people by username
	IndexStaff    = "g4" // live tickets by attending staff
	IndexReporter = "g5" // live tickets by reporter
	IndexDue      = "g6" // open tickets by due date (service levels)
)

// Index names of the history table.
const (
	HistoryIndexAll = "h1" // every ticket version, newest first
)

// MainTable holds tickets, comments, people, mutation logs, counters and the
// stored configuration. Its stream drives the history and tasks functions.
var MainTable = Table{
	Name:         "Main",
	EnvVar:       "TABLE_NAME",
	PartitionKey: Attribute{AttrPK, String},
	SortKey:      Attribute{AttrSK, String},
	Indexes: []Index{
		gsi(IndexList), gsi(IndexStatus), gsi(IndexCategory),
		gsi(IndexStaff), gsi(IndexReporter), gsi(IndexDue),
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
	Indexes:      []Index{gsi(HistoryIndexAll)},
}

// Tables returns every table Redress needs.
func Tables() []Table { return []Table{MainTable, HistoryTable} }

func gsi(name string) Index {
	return Index{
		Name:         name,
		PartitionKey: Attribute{name + "pk", String},
		SortKey:      Attribute{name + "sk", String},
	}
}

// Package store is Redress's DynamoDB adapter: the only code that knows
// item shapes, keys, indexes and stream images. It implements the storage
// interfaces of package grievance with github.com/guregu/dynamo.
//
// docs/data-model.md describes every item and the access pattern of every
// operation; keep it in step with this package.
package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Store reads and writes Redress's items in the main table (and reads the
// history table). It is safe for concurrent use.
type Store struct {
	db      *dynamo.DB
	main    dynamo.Table
	history dynamo.Table

	// seqMu serialises ticket-number allocation inside one process, so
	// concurrent creates in a container do not fight over the counter;
	// across containers the counter's condition does the same job.
	seqMu sync.Mutex
	// counterRead, when set (by tests), runs between reading the ticket
	// counter and committing: where another container's create can win.
	counterRead func()
	// backfillRead, when set (by tests), runs between Reindex reading a
	// ticket and writing its keys: where a concurrent update can win.
	backfillRead func(ticketID string)
	// postingRead, when set (by tests), runs where a posting writer has
	// read what it writes from: "state" (its items, before it routes the
	// changes) and "below" (the narrow items a creation folds), so a test
	// can put another writer's change there.
	postingRead func(stage string)
	// recountCounted, when set (by tests), runs in each Recount round
	// between counting and writing the counts.
	recountCounted func(round int)
	// versionsCounting, when set (by tests), runs in CountVersions
	// between reading uncounted records and counting them.
	versionsCounting func()
	// widenRead, when set (by tests), runs in WidenColumns between
	// moving a narrow block and deleting it.
	widenRead func(pk, sk string)
	// historyComputed, when set (by tests), runs in CompleteHistory
	// between reading a page's tickets and writing their index.
	historyComputed func()
	// tops remembers, per sort index, the run a descending read from the
	// top will need (sorted.go).
	tops topRuns
	// wideSeen: the table's columns have no narrow block (columns.go).
	wideSeen atomic.Bool
	// groupRuns: per column, the ranges of the order runs too large to
	// list that the last list found (orderruns.go), read beside the spans.
	groupRuns sync.Map
	// held: the values' dictionary's values this container added
	// (heldvalues.go).
	held heldKnown
	// liveSize: about how large a live ticket item is (seqruns.go), which
	// cuts the numbers LiveTicketsBySeq reads into Queries.
	liveSize ticketSize
}

// New returns a Store over the tables named in names.
func New(cfg aws.Config, names TableNames) *Store {
	db := dynamo.New(cfg)
	return &Store{db: db, main: db.Table(names.Main), history: db.Table(names.History)}
}

var (
	_ grievance.Store           = (*Store)(nil)
	_ grievance.AttachmentStore = (*Store)(nil)
)

// translate turns an AWS error into a domain error where callers act on it
// (throttling is retryable, a failed condition is a conflict) and wraps the
// rest, which stays internal.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var ge *grievance.Error
	if errors.As(err, &ge) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &grievance.Error{Code: grievance.CodeUnavailable, Message: "The request took too long; try again.", Err: fmt.Errorf("%s: %w", op, err)}
	}
	// DynamoDB out of reach (connection refused or reset, DNS) or the SDK's
	// client-side retry budget spent: the request may succeed later.
	var send *smithyhttp.RequestSendError
	var quota *ratelimit.QuotaExceededError
	if errors.As(err, &send) || errors.As(err, &quota) {
		return &grievance.Error{Code: grievance.CodeUnavailable, Message: "The service is unavailable right now; try again shortly.", Err: fmt.Errorf("%s: %w", op, err)}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded":
			return &grievance.Error{Code: grievance.CodeUnavailable, Message: "The service is busy; try again shortly.", Err: fmt.Errorf("%s: %w", op, err)}
		}
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			if aws.ToString(r.Code) == "ThrottlingError" || aws.ToString(r.Code) == "ProvisionedThroughputExceeded" {
				return &grievance.Error{Code: grievance.CodeUnavailable, Message: "The service is busy; try again shortly.", Err: fmt.Errorf("%s: %w", op, err)}
			}
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func notFound(what, id string) error {
	return grievance.Errorf(grievance.CodeNotFound, "%s %s does not exist.", what, id)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/redress-grm/redress/shared/directory"
)

// Prefixes of the import bucket (docs/directory.md). The bucket notifies
// the function of new objects under ImportsPrefix (a file to import) and
// StatePrefix (an import to continue).
const (
	ImportsPrefix = "imports/"
	ReportsPrefix = "reports/"
	StatePrefix   = "state/"
)

// S3 is the part of the S3 API the importer uses.
type S3 interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

var _ S3 = (*s3.Client)(nil)

// Handler imports registry files dropped into the import bucket.
//
// A file is imported in chunks: a chunk reads rows until the file ends or
// the invocation is about to run out of time, then saves where it stopped
// (the directory.State, with the object version it reads) as
// state/<file>.json. Writing that object is what starts the next chunk:
// the bucket notifies the function of it, and the next invocation reads
// the file from the saved byte offset with a ranged GetObject. So a file
// of any size completes, no invocation needs permission to invoke the
// function, and the chain survives a crash (S3 and Lambda retry
// asynchronous invocations; upserts are idempotent).
type Handler struct {
	S3    S3
	Store directory.Store
	Now   func() time.Time
	Log   *slog.Logger
	// Reserve is the time a chunk leaves before the invocation's deadline
	// for saving its state (default 30 s, at most a fifth of the time left).
	Reserve time.Duration
	// ChunkTime, when set, also bounds a chunk by elapsed time (tests use
	// it to exercise continuation).
	ChunkTime time.Duration
	// MaxChunks bounds an import's chain of invocations [DefaultMaxChunks]:
	// the function is allowed to invoke itself through the bucket (its
	// recursive-loop detection is off, infra/stack), so this is what stops
	// a chain that a defect kept from ending.
	MaxChunks int
}

// DefaultMaxChunks: 500 chunks of up to 15 minutes, far beyond any
// registry export.
const DefaultMaxChunks = 500

// continuation is the state object: an import in progress.
type continuation struct {
	Bucket    string          `json:"bucket"`
	VersionID string          `json:"versionId,omitempty"`
	State     directory.State `json:"state"`
}

// Result summarises an invocation (the function's response and log line).
type Result struct {
	Chunks    int `json:"chunks"`
	Finished  int `json:"finished"`
	Continued int `json:"continued"`
	Ignored   int `json:"ignored"`
}

// Handle processes the S3 notifications of an invocation.
func (h *Handler) Handle(ctx context.Context, ev events.S3Event) (Result, error) {
	var res Result
	for _, rec := range ev.Records {
		if !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
			res.Ignored++
			continue
		}
		key, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			return res, fmt.Errorf("object key %q: %w", rec.S3.Object.Key, err)
		}
		bucket := rec.S3.Bucket.Name
		var c *continuation
		switch {
		case strings.HasPrefix(key, ImportsPrefix) && !strings.HasSuffix(key, "/"):
			c = &continuation{Bucket: bucket, VersionID: rec.S3.Object.VersionID,
				State: *directory.NewState(key, directory.FormatOf(key), h.Now())}
		case strings.HasPrefix(key, StatePrefix) && strings.HasSuffix(key, ".json"):
			if c, err = h.loadState(ctx, bucket, key); err != nil {
				return res, err
			}
		default:
			res.Ignored++
			continue
		}
		done, err := h.chunk(ctx, c)
		if err != nil {
			return res, err
		}
		res.Chunks++
		if done {
			res.Finished++
		} else {
			res.Continued++
		}
	}
	h.Log.Info("import invocation", "chunks", res.Chunks, "finished", res.Finished, "continued", res.Continued, "ignored", res.Ignored)
	return res, nil
}

// ReportKey is where the report of the file at key goes:
// imports/a/b.csv → reports/a/b.csv.json.
func ReportKey(key string) string {
	return ReportsPrefix + strings.TrimPrefix(key, ImportsPrefix) + ".json"
}

func stateKey(key string) string {
	return StatePrefix + strings.TrimPrefix(key, ImportsPrefix) + ".json"
}

// loadState reads the latest state of an import: only the invocation
// that handles a state's notification writes the next one, so the latest
// is the one notified (and reading it needs no version permission).
func (h *Handler) loadState(ctx context.Context, bucket, key string) (*continuation, error) {
	out, err := h.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("read import state %s: %w", key, err)
	}
	defer out.Body.Close()
	var c continuation
	if err := json.NewDecoder(out.Body).Decode(&c); err != nil {
		return nil, fmt.Errorf("decode import state %s: %w", key, err)
	}
	return &c, nil
}

// chunk runs one chunk of c's import and saves what comes next: the
// report when the file is done, else the state that starts the next chunk.
func (h *Handler) chunk(ctx context.Context, c *continuation) (done bool, err error) {
	s := &c.State
	start := time.Now()
	reserve := h.Reserve
	if reserve == 0 {
		// 30 s, or a fifth of a short invocation (local runs use short
		// timeouts): enough to save a state of a few megabytes.
		reserve = 30 * time.Second
		if d, ok := ctx.Deadline(); ok {
			reserve = min(reserve, time.Until(d)/5)
		}
	}
	stop := func() bool {
		if d, ok := ctx.Deadline(); ok && time.Until(d) < reserve {
			return true
		}
		return h.ChunkTime > 0 && time.Since(start) >= h.ChunkTime
	}
	maxChunks := h.MaxChunks
	if maxChunks <= 0 {
		maxChunks = DefaultMaxChunks
	}
	if s.Chunks >= maxChunks {
		r := s.Report(h.Now())
		r.Status = "failed"
		r.Error = fmt.Sprintf("stopped after %d invocations at line %d; the rows before it are imported", s.Chunks, s.Position.Line)
		return true, h.finish(ctx, c, r)
	}
	if s.Format == "" {
		return true, h.finish(ctx, c, directory.FailedReport(s.File, "", "unknown file format; name the file .csv, .jsonl or .ndjson", s.StartedAt, h.Now()))
	}
	in := &s3.GetObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(s.File)}
	if c.VersionID != "" {
		// Every chunk reads the version the import started on, even if the
		// file is replaced meanwhile (the replacement gets its own import).
		in.VersionId = aws.String(c.VersionID)
	}
	if s.Position.Offset > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", s.Position.Offset))
	}
	obj, err := h.S3.GetObject(ctx, in)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", s.File, err)
	}
	defer obj.Body.Close()
	rd, err := directory.NewReader(obj.Body, s.Format, s.Position)
	var fe *directory.FileError
	if errors.As(err, &fe) {
		return true, h.finish(ctx, c, directory.FailedReport(s.File, s.Format, fe.Reason, s.StartedAt, h.Now()))
	}
	if err != nil {
		return false, err
	}
	done, err = directory.Run(ctx, rd, h.Store, s, h.Now(), stop)
	if err != nil {
		return false, err
	}
	h.Log.Info("import chunk", "file", s.File, "chunk", s.Chunks, "done", done, "line", s.Position.Line,
		"inserted", s.Counts.Inserted, "updated", s.Counts.Updated, "unchanged", s.Counts.Unchanged, "rejected", s.Counts.Rejected)
	if done {
		return true, h.finish(ctx, c, s.Report(h.Now()))
	}
	return false, h.putJSON(ctx, c.Bucket, stateKey(s.File), c)
}

func (h *Handler) finish(ctx context.Context, c *continuation, r directory.Report) error {
	if err := h.putJSON(ctx, c.Bucket, ReportKey(c.State.File), r); err != nil {
		return err
	}
	if c.State.Chunks > 1 {
		if _, err := h.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(stateKey(c.State.File))}); err != nil {
			// The state of a finished import is only clutter; the lifecycle
			// rule removes it.
			h.Log.Warn("delete import state", "file", c.State.File, "err", err)
		}
	}
	return nil
}

func (h *Handler) putJSON(ctx context.Context, bucket, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = h.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(b), ContentType: aws.String("application/json")})
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

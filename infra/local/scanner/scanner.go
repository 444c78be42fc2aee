// Package scanner stands in, in the local stack, for GuardDuty Malware
// Protection for S3, which has no emulator. It polls the attachments
// bucket for objects under attachments/ that carry no scan tag, checks
// each with a deliberately simple test — the standard EICAR anti-virus
// test string means infected, anything else is clean — and sends the
// scanresult function the same EventBridge event GuardDuty publishes.
// Then, as GuardDuty does when tagging is on, it tags the object with
// GuardDutyMalwareScanStatus, so an object is scanned once.
//
// It is not a malware scanner: only the EICAR string is ever "infected".
package scanner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"
)

// EICAR is the standard anti-virus test file's content (its 68 bytes),
// harmless by design.
const EICAR = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// ScanTag is the tag GuardDuty puts on scanned objects.
const ScanTag = "GuardDutyMalwareScanStatus"

// Invoker runs the scanresult function with an event.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Scanner polls one bucket.
type Scanner struct {
	S3       *s3.Client
	Bucket   string
	Prefix   string // default "attachments/"
	Function Invoker
	Interval time.Duration // default 1 s
	// MaxBytes bounds what is read of an object (default 64 MiB).
	MaxBytes int64
	Log      *slog.Logger
	Now      func() time.Time
}

// Run scans until ctx ends; a failed round is logged and retried at the
// next tick.
func (s *Scanner) Run(ctx context.Context) {
	every := s.Interval
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.ScanOnce(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("scanner: round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ScanOnce scans every untagged object once and returns how many it
// scanned.
func (s *Scanner) ScanOnce(ctx context.Context) (int, error) {
	prefix := s.Prefix
	if prefix == "" {
		prefix = "attachments/"
	}
	n := 0
	p := s3.NewListObjectsV2Paginator(s.S3, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("list %s: %w", s.Bucket, err)
		}
		for _, o := range page.Contents {
			done, err := s.scanned(ctx, aws.ToString(o.Key))
			if err != nil {
				return n, err
			}
			if done {
				continue
			}
			if err := s.scan(ctx, o); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

func (s *Scanner) scanned(ctx context.Context, key string) (bool, error) {
	out, err := s.S3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		if gone(err) {
			return true, nil
		}
		return false, fmt.Errorf("tags of %s: %w", key, err)
	}
	for _, t := range out.TagSet {
		if aws.ToString(t.Key) == ScanTag {
			return true, nil
		}
	}
	return false, nil
}

func (s *Scanner) scan(ctx context.Context, o types.Object) error {
	key := aws.ToString(o.Key)
	max := s.MaxBytes
	if max <= 0 {
		max = 64 << 20
	}
	got, err := s.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		if gone(err) {
			return nil
		}
		return fmt.Errorf("read %s: %w", key, err)
	}
	body, err := io.ReadAll(io.LimitReader(got.Body, max))
	got.Body.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	result := "NO_THREATS_FOUND"
	var threats []map[string]string
	if bytes.Contains(body, []byte(EICAR)) {
		result = "THREATS_FOUND"
		threats = []map[string]string{{"name": "EICAR-Test-File (not a virus)"}}
	}
	ev, err := s.event(key, aws.ToString(o.ETag), aws.ToString(got.VersionId), result, threats)
	if err != nil {
		return err
	}
	if _, err := s.Function.Invoke(ctx, ev); err != nil {
		return fmt.Errorf("scanresult for %s: %w", key, err)
	}
	_, err = s.S3.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(s.Bucket), Key: aws.String(key),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String(ScanTag), Value: aws.String(result)}}}})
	if err != nil && !gone(err) { // an infected object was moved away meanwhile
		return fmt.Errorf("tag %s: %w", key, err)
	}
	s.Log.Info("scanner: scanned", "key", key, "result", result)
	return nil
}

// event renders the scan result as EventBridge delivers GuardDuty's
// (events/guardduty/*.json).
func (s *Scanner) event(key, etag, versionID, result string, threats []map[string]string) ([]byte, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ev := map[string]any{
		"version":     "0",
		"id":          uuid.NewString(),
		"detail-type": "GuardDuty Malware Protection Object Scan Result",
		"source":      "aws.guardduty",
		"account":     "000000000000",
		"time":        now().UTC().Format(time.RFC3339),
		"region":      "us-east-1",
		"resources":   []string{"arn:aws:guardduty:us-east-1:000000000000:malware-protection-plan/local"},
		"detail": map[string]any{
			"schemaVersion": "1.0",
			"scanStatus":    "COMPLETED",
			"resourceType":  "S3_OBJECT",
			"s3ObjectDetails": map[string]any{
				"bucketName": s.Bucket, "objectKey": key, "eTag": etag, "versionId": versionID, "s3Throttled": false,
			},
			"scanResultDetails": map[string]any{"scanResultStatus": result, "threats": threats},
		},
	}
	return json.Marshal(ev)
}

func gone(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound", "MethodNotAllowed":
			return true
		}
	}
	return false
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
)

// The scan result event GuardDuty Malware Protection for S3 publishes on
// the default bus (source aws.guardduty). The local stack emits the same
// shape from its own check (infra/local/scanner).
const (
	SourceGuardDuty  = "aws.guardduty"
	DetailTypeResult = "GuardDuty Malware Protection Object Scan Result"
)

// ScanResult is the event's detail; fields Redress does not use are left
// out.
type ScanResult struct {
	SchemaVersion   string `json:"schemaVersion"`
	ScanStatus      string `json:"scanStatus"`   // COMPLETED, SKIPPED, FAILED
	ResourceType    string `json:"resourceType"` // S3_OBJECT
	S3ObjectDetails struct {
		BucketName string `json:"bucketName"`
		ObjectKey  string `json:"objectKey"`
		ETag       string `json:"eTag"`
		VersionID  string `json:"versionId"`
	} `json:"s3ObjectDetails"`
	ScanResultDetails struct {
		// ScanResultStatus: NO_THREATS_FOUND, THREATS_FOUND, UNSUPPORTED,
		// ACCESS_DENIED or FAILED.
		ScanResultStatus string `json:"scanResultStatus"`
		Threats          []struct {
			Name string `json:"name"`
		} `json:"threats"`
	} `json:"scanResultDetails"`
}

// scanRecorder applies a verdict (grievance.Service).
type scanRecorder interface {
	RecordScan(ctx context.Context, v grievance.ScanVerdict) (*grievance.Attachment, error)
}

// quarantiner moves an object version out of the upload prefix
// (files.Bucket; version "" is the key's current object): Quarantine
// insists that the object is somewhere, RetireVersion does not.
type quarantiner interface {
	Quarantine(ctx context.Context, key, version, dest string) error
	RetireVersion(ctx context.Context, key, version, dest string) error
}

// Handler applies scan results to attachments.
type Handler struct {
	Scans  scanRecorder
	Files  quarantiner
	Bucket string
	Log    *slog.Logger
}

// verdict reads a scan result. Only a completed scan that found nothing
// is clean: a skipped, failed or unsupported scan fails closed, since a
// file nobody could scan must not be handed out. So does a clean result
// that names no object version: downloads are signed for the scanned
// version, because the upload form can put other bytes under the same key
// later; without one (a bucket not versioned as infra/stack makes it, or
// "null", the version an overwrite replaces) nothing pins what was
// scanned.
func verdict(d *ScanResult) grievance.ScanVerdict {
	v := grievance.ScanVerdict{Key: d.S3ObjectDetails.ObjectKey, Version: d.S3ObjectDetails.VersionID}
	if v.Version == "null" {
		v.Version = ""
	}
	status := d.ScanResultDetails.ScanResultStatus
	switch {
	case d.ScanStatus == "COMPLETED" && status == "NO_THREATS_FOUND" && v.Version == "":
		v.Threat = "not scanned: no object version"
	case d.ScanStatus == "COMPLETED" && status == "NO_THREATS_FOUND":
		v.Clean = true
	case len(d.ScanResultDetails.Threats) > 0:
		v.Threat = d.ScanResultDetails.Threats[0].Name
	default:
		v.Threat = "not scanned: " + d.ScanStatus + " " + status
	}
	return v
}

// Handle applies one scan result. Errors are returned so that the
// invocation is retried (and, when retries run out, lands in the DLQ);
// events that are not for this bucket's uploads are logged and dropped.
// Logs name ids and statuses, never a file name: names of confidential
// tickets' files must not reach logs.
func (h *Handler) Handle(ctx context.Context, ev events.EventBridgeEvent) error {
	if ev.Source != SourceGuardDuty || ev.DetailType != DetailTypeResult {
		h.Log.WarnContext(ctx, "not a scan result; dropped", "source", ev.Source, "detailType", ev.DetailType)
		return nil
	}
	var d ScanResult
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		h.Log.ErrorContext(ctx, "malformed scan result; dropped", "eventId", ev.ID, "err", err)
		return nil
	}
	if d.ResourceType != "S3_OBJECT" || d.S3ObjectDetails.BucketName != h.Bucket {
		h.Log.WarnContext(ctx, "scan result of another resource; dropped", "eventId", ev.ID, "resourceType", d.ResourceType)
		return nil
	}
	v := verdict(&d)
	ticketID, attachmentID, ok := grievance.ParseAttachmentKey(v.Key)
	if !ok {
		// Only attachments/ is scanned; anything else was not uploaded
		// through Redress and is left to the bucket's operators.
		h.Log.WarnContext(ctx, "scan result of a key outside attachments/; dropped", "eventId", ev.ID)
		return nil
	}
	a, err := h.Scans.RecordScan(ctx, v)
	switch {
	case grievance.ErrorCode(err) == grievance.CodeNotFound:
		// No pending upload names this object (its record expired, or the
		// key was never handed out): nobody will ever list it, so it goes
		// where lifecycle rules expire it.
		h.Log.WarnContext(ctx, "scanned object of no pending attachment; quarantined", "ticketId", ticketID, "attachmentId", attachmentID, "clean", v.Clean)
		return h.quarantine(ctx, v, ticketID, attachmentID)
	case err != nil:
		return fmt.Errorf("record scan of attachment %s: %w", attachmentID, err)
	}
	if a.OtherUpload(v) {
		// The form was used again after the scan: these bytes are not the
		// attachment, whatever their verdict (which a keeps). The version
		// leaves the uploads for quarantine/, so the scanned one is the
		// key's object again rather than a noncurrent version the
		// lifecycle would expire. The log names ids and statuses only.
		h.Log.WarnContext(ctx, "scan result of a later upload to a scanned attachment's key; verdict kept, object version quarantined",
			"ticketId", ticketID, "attachmentId", attachmentID, "status", a.Status, "clean", v.Clean)
		return h.quarantine(ctx, v, ticketID, attachmentID)
	}
	h.Log.InfoContext(ctx, "scan result applied", "ticketId", ticketID, "attachmentId", attachmentID, "status", a.Status)
	switch a.Status {
	case grievance.AttachmentInfected:
		return h.quarantine(ctx, v, ticketID, attachmentID)
	case grievance.AttachmentDeleted:
		// Deleted while its file was on the way (or its result is a
		// redelivery, the file long moved): it goes where deleted
		// attachments' files expire.
		if err := h.Files.RetireVersion(ctx, v.Key, v.Version, grievance.DeletedKey(ticketID, attachmentID)); err != nil {
			return fmt.Errorf("retire the file of deleted attachment %s: %w", attachmentID, err)
		}
	}
	return nil
}

// quarantine moves the scanned object version (the key's current object
// when the result names none) to quarantine/.
func (h *Handler) quarantine(ctx context.Context, v grievance.ScanVerdict, ticketID, attachmentID string) error {
	if err := h.Files.Quarantine(ctx, v.Key, v.Version, grievance.QuarantineKey(ticketID, attachmentID)); err != nil {
		return fmt.Errorf("quarantine attachment %s: %w", attachmentID, err)
	}
	return nil
}

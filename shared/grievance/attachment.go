package grievance

import (
	"context"
	"fmt"
	"mime"
	"slices"
	"strings"
	"time"
)

// AttachmentStatus is where an attachment is in its life: uploaded (or
// not yet) and waiting for the scan, scanned clean, scanned infected
// (quarantined), or removed.
type AttachmentStatus string

// Attachment statuses.
const (
	AttachmentPending  AttachmentStatus = "PENDING"
	AttachmentClean    AttachmentStatus = "CLEAN"
	AttachmentInfected AttachmentStatus = "INFECTED"
	AttachmentDeleted  AttachmentStatus = "DELETED"
)

// AttachmentStatuses lists every status.
var AttachmentStatuses = []AttachmentStatus{AttachmentPending, AttachmentClean, AttachmentInfected, AttachmentDeleted}

// Attachment is an evidence file of a ticket. Its bytes live in object
// storage under ObjectKey; this record says what it is and whether it may
// be handed out.
type Attachment struct {
	ID          string
	TicketID    string
	Version     int
	FileName    string
	ContentType string
	Size        int64
	Status      AttachmentStatus
	// Threat names what the scan found (INFECTED only).
	Threat      string
	UploadedBy  string
	DateCreated time.Time
	DateUpdated time.Time
	UserUpdated string
	// ExpiresAt, while PENDING, is when the record of an upload that never
	// arrived disappears; zero once scanned.
	ExpiresAt time.Time
	// ObjectVersion is the version of the object at ObjectKey that the
	// scan's verdict is about. The upload form may be used again until it
	// expires, so other bytes can arrive under the same key after the
	// scan: downloads name this version, never the key's newest object.
	// Records scanned before versions were recorded have none (see
	// TicketAttachments).
	ObjectVersion string
}

// Clone returns a copy of a for an update to modify.
func (a *Attachment) Clone() *Attachment {
	c := *a
	return &c
}

// Object key prefixes: uploads land under attachments/, infected files
// are moved under quarantine/, deleted attachments' files under deleted/.
// Each is followed by <ticket>/<attachment>, so that a key names exactly
// one attachment of one ticket. A move makes a new object, so the bucket's
// lifecycle counts the retention from the move, not from the upload.
const (
	AttachmentPrefix = "attachments/"
	QuarantinePrefix = "quarantine/"
	DeletedPrefix    = "deleted/"
)

// ObjectKey is where a's file is uploaded.
func (a *Attachment) ObjectKey() string { return AttachmentKey(a.TicketID, a.ID) }

// AttachmentKey returns the object key of attachment id of ticket.
func AttachmentKey(ticketID, id string) string { return AttachmentPrefix + ticketID + "/" + id }

// QuarantineKey returns where an infected file of the attachment is kept.
func QuarantineKey(ticketID, id string) string { return QuarantinePrefix + ticketID + "/" + id }

// DeletedKey returns where the file of a deleted attachment is kept until
// the retention ends.
func DeletedKey(ticketID, id string) string { return DeletedPrefix + ticketID + "/" + id }

// ParseAttachmentKey returns the ticket and attachment ids an upload key
// names, or false when key is not one Redress hands out.
func ParseAttachmentKey(key string) (ticketID, id string, ok bool) {
	rest, ok := strings.CutPrefix(key, AttachmentPrefix)
	if !ok {
		return "", "", false
	}
	ticketID, id, ok = strings.Cut(rest, "/")
	if !ok {
		return "", "", false
	}
	t, err1 := CanonicalUUID("ticket", ticketID)
	a, err2 := CanonicalUUID("attachment", id)
	if err1 != nil || err2 != nil || t != ticketID || a != id {
		return "", "", false
	}
	return ticketID, id, true
}

// Limits of the attachment configuration: sizes travel as GraphQL Int
// (32 bits; S3 would take 5 GB in one POST); a file name is a short text.
const (
	maxAttachmentBytesLimit = 1<<31 - 1
	maxFileName             = 255
)

// AttachmentUpload is the answer to a request to upload a file: the
// pending attachment and the form that uploads it.
type AttachmentUpload struct {
	Attachment *Attachment
	Form       *UploadForm
}

// UploadForm is a presigned POST: the URL and the form fields to send
// with the file (the file goes last, as the form field "file").
type UploadForm struct {
	URL    string
	Fields map[string]string
}

// UploadPolicy is what a presigned POST must enforce: the exact key, the
// content type and the size (content-length-range), until Expires.
type UploadPolicy struct {
	Key         string
	ContentType string
	Size        int64
	Expires     time.Duration
}

// Files is the object storage the services need: presigned POSTs for
// uploads and presigned GETs for downloads. Bytes never pass through the
// API.
type Files interface {
	PresignUpload(ctx context.Context, p UploadPolicy) (*UploadForm, error)
	// PresignDownload returns a URL that serves version of the object at
	// key for ttl, as an attachment named fileName of contentType; version
	// "" serves whatever object is at key.
	PresignDownload(ctx context.Context, key, version, fileName, contentType string, ttl time.Duration) (string, error)
	// Retire moves the object at key to dest, where the bucket's
	// lifecycle expires it after the retention period. Repeating it is
	// harmless; a missing object (quarantined, never uploaded, already
	// moved) is not an error.
	Retire(ctx context.Context, key, dest string) error
}

// AttachmentStore reads attachments; writes go through Commit.
type AttachmentStore interface {
	// Attachment returns the attachment with id, or CodeNotFound.
	Attachment(ctx context.Context, id string) (*Attachment, error)
	// AttachmentsOfTicket returns every attachment record of a ticket
	// (pending and deleted ones too), oldest first.
	AttachmentsOfTicket(ctx context.Context, ticketID string) ([]*Attachment, error)
}

// AttachmentWrite stores an attachment; Prev is the stored version it
// replaces (0: the attachment is new).
type AttachmentWrite struct {
	Attachment *Attachment
	Prev       int
}

// AttachmentInput is createAttachmentUpload's arguments.
type AttachmentInput struct {
	TicketID    string
	FileName    string
	ContentType string
	Size        int64
}

// AttachmentView is an attachment as a reader gets it: DownloadURL is set
// only when the file is clean and the reader may see it.
type AttachmentView struct {
	*Attachment
	DownloadURL string
}

func errAttachmentNotFound(id string) error {
	return Errorf(CodeNotFound, "Attachment %s does not exist.", id)
}

// attachmentsVisible reports whether p sees t's attachments: the ticket
// exists for p (restricted categories) and nothing of it is masked from p
// (an anonymized ticket's evidence shows what its masked fields hide: a
// face, a name on a letter). Attending staff see them through sight.
func attachmentsVisible(cfg *Config, p *Principal, t *Ticket) bool {
	ok, hidden := sight(cfg, p, t)
	return ok && len(hidden) == 0
}

// checkFileName refuses names that are not a plain file name: empty, too
// long, with control characters or path separators.
func checkFileName(name string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(CodeInvalid, "fileName must not be empty.")
	}
	if err := checkText("fileName", name, maxFileName, false); err != nil {
		return err
	}
	if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return Errorf(CodeInvalid, "fileName must be a file name, without a path.")
	}
	return nil
}

// normalizeContentType returns ct as configured types are written (lower
// case, no parameters) if cfg allows it.
func normalizeContentType(cfg *Config, ct string) (string, error) {
	if err := checkText("contentType", ct, maxShortText, false); err != nil {
		return "", err
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || len(params) > 0 || !slices.Contains(cfg.AttachmentContentTypes, mt) {
		return "", Errorf(CodeInvalid, "Files of type %q are not accepted; accepted types: %s.", ct, strings.Join(cfg.AttachmentContentTypes, ", "))
	}
	return mt, nil
}

// CreateAttachmentUpload records a pending attachment of a ticket and
// returns the presigned POST that uploads its file. It does not go through
// the mutation log: the answer (the form) is needed at once, and nothing
// about the ticket changes until the file has arrived and been scanned.
func (s *Service) CreateAttachmentUpload(ctx context.Context, in AttachmentInput) (*AttachmentUpload, error) {
	if s.files == nil || s.attachments == nil {
		return nil, Errorf(CodeUnavailable, "Attachments are not available.")
	}
	p, cfg, err := s.authorize(ctx, nil)
	if err != nil {
		return nil, err
	}
	t, err := s.liveTicket(ctx, cfg, p, in.TicketID)
	if !p.HasAny(cfg.CreateAttachmentPerms) {
		// Without the right only the attending staff of this very ticket
		// may upload; anyone else is refused alike whether the ticket
		// exists, is deleted or is hidden, so the answer reveals none.
		if c := ErrorCode(err); c == CodeNotFound || c == CodeInvalid || (err == nil && !attends(p, t)) {
			return nil, errForbidden()
		}
	}
	if err != nil {
		return nil, err
	}
	if err := checkFileName(in.FileName); err != nil {
		return nil, err
	}
	ct, err := normalizeContentType(cfg, in.ContentType)
	if err != nil {
		return nil, err
	}
	if in.Size < 1 || in.Size > cfg.AttachmentMaxBytes {
		return nil, Errorf(CodeInvalid, "size must be between 1 and %d bytes.", cfg.AttachmentMaxBytes)
	}
	now := s.now().UTC()
	a := &Attachment{ID: s.newID(), TicketID: t.ID, Version: 1, FileName: in.FileName, ContentType: ct,
		Size: in.Size, Status: AttachmentPending, UploadedBy: p.ID, DateCreated: now, DateUpdated: now,
		UserUpdated: p.ID, ExpiresAt: now.Add(s.uploadTTL + pendingGrace)}
	form, err := s.files.PresignUpload(ctx, UploadPolicy{Key: a.ObjectKey(), ContentType: ct, Size: a.Size, Expires: s.uploadTTL})
	if err != nil {
		return nil, fmt.Errorf("presign upload: %w", err)
	}
	if err := s.store.Commit(ctx, &Write{Attachments: []AttachmentWrite{{Attachment: a}}}); err != nil {
		return nil, err
	}
	return &AttachmentUpload{Attachment: a, Form: form}, nil
}

// pendingGrace is how long after its upload URL expires the record of an
// upload is kept waiting for the file's scan (scans take minutes at most).
const pendingGrace = 24 * time.Hour

// TicketAttachments returns a page of the attachments of a ticket that a
// reader may see. Pending uploads are not attachments yet and are never
// listed: a missing or half-uploaded file does not show. Download URLs are
// issued for clean files only.
func (s *Service) TicketAttachments(ctx context.Context, ticketID string, page PageArgs) (*Page[*AttachmentView], error) {
	if s.attachments == nil {
		return &Page[*AttachmentView]{Counted: true}, nil
	}
	p, cfg, err := s.authorize(ctx, nil)
	if err != nil {
		return nil, err
	}
	t, err := s.visibleTicket(ctx, cfg, p, "ticketId", ticketID)
	if !p.HasAny(cfg.QueryTicketsPerms) {
		// Without the right only the attending staff of this very ticket
		// may list; anyone else is refused alike, whatever the id names.
		if c := ErrorCode(err); c == CodeNotFound || c == CodeInvalid || (err == nil && !attends(p, t)) {
			return nil, errForbidden()
		}
	}
	if err != nil {
		return nil, err
	}
	var shown []*Attachment
	if attachmentsVisible(cfg, p, t) {
		all, err := s.attachments.AttachmentsOfTicket(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("load attachments of %s: %w", t.ID, err)
		}
		for _, a := range all {
			if a.Status != AttachmentPending {
				shown = append(shown, a)
			}
		}
	}
	w, err := newWindow[*Attachment]("ticketAttachments", page, true)
	if err != nil {
		return nil, err
	}
	for _, a := range shown {
		w.add(a)
	}
	pg := w.page(true)
	out := &Page[*AttachmentView]{StartIndex: pg.StartIndex, TotalCount: pg.TotalCount, Counted: true,
		HasNextPage: pg.HasNextPage, HasPreviousPage: pg.HasPreviousPage}
	for _, a := range pg.Items {
		v := &AttachmentView{Attachment: a}
		if a.Status == AttachmentClean {
			// The URL names the scanned version: a later POST with the same
			// form puts other bytes under the key, unscanned until their own
			// result. A record scanned before versions were recorded has
			// none and is signed for the key, as it always was.
			if v.DownloadURL, err = s.files.PresignDownload(ctx, a.ObjectKey(), a.ObjectVersion, a.FileName, a.ContentType, s.downloadTTL); err != nil {
				return nil, fmt.Errorf("presign download: %w", err)
			}
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// attachment loads an attachment a mutation may change, with its ticket.
// Attachments the caller may not see do not exist for them.
func (s *Service) attachment(ctx context.Context, cfg *Config, p *Principal, id string) (*Attachment, *Ticket, error) {
	id, err := CanonicalUUID("id", id)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.attachments.Attachment(ctx, id)
	if ErrorCode(err) == CodeNotFound {
		return nil, nil, errAttachmentNotFound(id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load attachment %s: %w", id, err)
	}
	t, err := s.store.Ticket(ctx, a.TicketID)
	if ErrorCode(err) == CodeNotFound || (err == nil && !attachmentsVisible(cfg, p, t)) {
		return nil, nil, errAttachmentNotFound(id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load ticket %s: %w", a.TicketID, err)
	}
	return a, t, nil
}

// DeleteAttachment plans the soft deletion of an attachment, by its
// uploader (who still holds the upload right) or the ticket's attending
// staff. A clean attachment leaves the ticket's list of attachments: a
// new ticket version, recorded in history.
func (s *Service) DeleteAttachment(ctx context.Context, id string, version *int) (*Write, error) {
	if s.attachments == nil {
		return nil, Errorf(CodeUnavailable, "Attachments are not available.")
	}
	p, cfg, err := s.authorize(ctx, nil)
	if err != nil {
		return nil, err
	}
	a, t, err := s.attachment(ctx, cfg, p, id)
	if c := ErrorCode(err); (c == CodeNotFound || c == CodeInvalid) && !p.Admin {
		// No right reaches attachments one cannot see, so an unknown or
		// hidden id is refused like another's attachment: the answer
		// reveals nothing about ids the caller may not delete.
		return nil, errForbidden()
	}
	if err != nil {
		return nil, err
	}
	uploader := a.UploadedBy == p.ID && p.HasAny(cfg.CreateAttachmentPerms)
	if !uploader && !attends(p, t) && !p.Admin {
		return nil, errForbidden()
	}
	if err := checkVersion(version, a.Version, "attachment", a.ID); err != nil {
		return nil, err
	}
	if a.Status == AttachmentDeleted {
		return nil, Errorf(CodeInvalid, "Attachment %s is already deleted.", a.ID)
	}
	if t.IsDeleted {
		return nil, Errorf(CodeInvalid, "Ticket %s is deleted.", t.Code)
	}
	prev := a.Version
	a.Status = AttachmentDeleted
	a.ExpiresAt = time.Time{}
	a.Version++
	a.DateUpdated, a.UserUpdated = s.now().UTC(), p.ID
	w := &Write{Attachments: []AttachmentWrite{{Attachment: a, Prev: prev}}}
	key, dest := a.ObjectKey(), DeletedKey(a.TicketID, a.ID)
	w.Then = append(w.Then, func(ctx context.Context) error {
		if err := s.files.Retire(ctx, key, dest); err != nil {
			return fmt.Errorf("retire the file of attachment %s: %w", a.ID, err)
		}
		return nil
	})
	if slices.Contains(t.AttachmentIDs, a.ID) {
		old := t.Clone()
		t.AttachmentIDs = slices.DeleteFunc(t.AttachmentIDs, func(x string) bool { return x == a.ID })
		s.touchTicket(t, p)
		w.Tickets = []TicketWrite{{Ticket: t, Prev: old.Version, Old: old}}
	}
	return w, nil
}

// ScanVerdict is a malware scan's result for one uploaded object.
type ScanVerdict struct {
	Key string
	// Version is the object version scanned ("" when the scanner named
	// none).
	Version string
	// Clean is true when no threat was found; Threat names one otherwise.
	Clean  bool
	Threat string
}

// OtherUpload reports whether v, a result for a's key, is about another
// object than the one a's verdict is about: the upload form stays valid
// for its whole lifetime, so the uploader may post other bytes under the
// same key after the first were scanned. Such a result never changes a;
// the caller removes that object version from the uploads. A result that
// names no version cannot be told apart and is not another upload.
func (a *Attachment) OtherUpload(v ScanVerdict) bool {
	if a.Status == AttachmentPending || v.Version == "" {
		return false
	}
	if a.ObjectVersion != "" {
		return v.Version != a.ObjectVersion
	}
	// Scanned before versions were recorded: only a result that
	// contradicts a clean verdict is surely about other bytes (the same
	// bytes' result, redelivered, is clean again).
	return a.Status == AttachmentClean && !v.Clean
}

// MutationScan names, on the items a scan result writes, what wrote them.
const MutationScan = "attachmentScan"

// RecordScan applies a scan result to the pending attachment whose file
// it is: clean files become attachments of the ticket (a new ticket
// version), infected ones are marked so and never handed out. It returns
// the attachment as stored, with the object version the verdict is
// about. Results for attachments already scanned change nothing: they are
// redeliveries, or results of later uploads to the same key
// (Attachment.OtherUpload), which must not replace a verdict. A key that
// names no pending upload gives CodeNotFound so that the caller
// quarantines the object.
func (s *Service) RecordScan(ctx context.Context, v ScanVerdict) (*Attachment, error) {
	if s.attachments == nil {
		return nil, Errorf(CodeUnavailable, "Attachments are not available.")
	}
	ticketID, id, ok := ParseAttachmentKey(v.Key)
	if !ok {
		return nil, Errorf(CodeNotFound, "No attachment is uploaded at this key.")
	}
	for attempt := 0; ; attempt++ {
		a, err := s.attachments.Attachment(ctx, id)
		if err != nil {
			return nil, err
		}
		if a.TicketID != ticketID {
			return nil, Errorf(CodeNotFound, "No attachment is uploaded at this key.")
		}
		if a.Status != AttachmentPending {
			return a, nil
		}
		w, err := s.scanWrite(ctx, a, v)
		if err != nil {
			return nil, err
		}
		err = s.store.Commit(ctx, w)
		if err == nil {
			return a, nil
		}
		if ErrorCode(err) != CodeConflict || attempt >= maxConflictRetries {
			return nil, err
		}
	}
}

func (s *Service) scanWrite(ctx context.Context, a *Attachment, v ScanVerdict) (*Write, error) {
	prev := a.Version
	a.Version++
	a.DateUpdated = s.now().UTC()
	a.UserUpdated = a.UploadedBy
	a.ExpiresAt = time.Time{}
	a.ObjectVersion = v.Version
	w := &Write{Mutation: MutationScan, Attachments: []AttachmentWrite{{Attachment: a, Prev: prev}}}
	if !v.Clean {
		a.Status, a.Threat = AttachmentInfected, v.Threat
		return w, nil
	}
	a.Status = AttachmentClean
	t, err := s.store.Ticket(ctx, a.TicketID)
	if err != nil {
		return nil, fmt.Errorf("load ticket %s: %w", a.TicketID, err)
	}
	if t.IsDeleted || slices.Contains(t.AttachmentIDs, a.ID) {
		return w, nil
	}
	old := t.Clone()
	t.AttachmentIDs = append(t.AttachmentIDs, a.ID)
	// The version is the uploader's addition, made when the file arrived.
	s.touchTicket(t, &Principal{ID: a.UploadedBy})
	w.Tickets = []TicketWrite{{Ticket: t, Prev: old.Version, Old: old}}
	return w, nil
}

// AttachmentFact is what a change of an attachment record means to those
// who follow the ticket.
type AttachmentFact string

// Attachment facts; "" is none.
const (
	AttachmentAdded       AttachmentFact = "added"       // the file passed the scan and joined the ticket
	AttachmentQuarantined AttachmentFact = "quarantined" // the file was refused by the scan
	AttachmentRemoved     AttachmentFact = "removed"     // a scanned attachment was deleted
)

// AttachmentChange returns the fact of a change from old to a. A pending
// upload is no fact (its file may never arrive), nor is deleting one.
func AttachmentChange(old, a *Attachment) AttachmentFact {
	if old == nil || a == nil || old.Status == a.Status {
		return ""
	}
	switch a.Status {
	case AttachmentClean:
		return AttachmentAdded
	case AttachmentInfected:
		return AttachmentQuarantined
	case AttachmentDeleted:
		if old.Status != AttachmentPending {
			return AttachmentRemoved
		}
	}
	return ""
}

package bus_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/bus/bustest"
)

// Ensure every detail-type has a sample, valid against its schema, that
// decodes into its Go type.
func TestSamples(t *testing.T) {
	v := bustest.NewValidator(t)
	root, err := bustest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]any{
		bus.TicketCreated: &bus.TicketDetail{}, bus.TicketDeleted: &bus.TicketDetail{},
		bus.TicketStatusChanged: &bus.StatusDetail{}, bus.TicketResolved: &bus.StatusDetail{}, bus.TicketReopened: &bus.StatusDetail{}, bus.TicketAppealed: &bus.StatusDetail{},
		bus.TicketStaffAssigned: &bus.StaffDetail{}, bus.CommentCreated: &bus.CommentDetail{}, bus.CommentMadePublic: &bus.CommentDetail{}, bus.TaskRequested: &bus.TaskDetail{},
		bus.TicketOverdue: &bus.OverdueDetail{}, bus.TicketEscalated: &bus.EscalationDetail{},
		bus.AttachmentAdded: &bus.AttachmentDetail{}, bus.AttachmentInfected: &bus.AttachmentDetail{}, bus.AttachmentRemoved: &bus.AttachmentDetail{},
	}
	for _, dt := range bus.DetailTypes {
		b, err := os.ReadFile(filepath.Join(root, "events", "samples", dt+".json"))
		if err != nil {
			t.Fatal(err)
		}
		e, err := v.ValidateEnvelope(b)
		if err != nil {
			t.Fatalf("sample %s: %v", dt, err)
		}
		if e.DetailType != dt {
			t.Fatalf("sample %s has detail-type %s", dt, e.DetailType)
		}
		dec := json.NewDecoder(strings.NewReader(string(e.Detail)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(types[dt]); err != nil {
			t.Fatalf("sample %s: %v", dt, err)
		}
	}
	if len(types) != len(bus.DetailTypes) {
		t.Fatalf("test covers %d detail-types, bus has %d", len(types), len(bus.DetailTypes))
	}
}

// Ensure the schemas refuse what must never be in an event, and documents
// that miss their header.
func TestSchemas_Refuse(t *testing.T) {
	v := bustest.NewValidator(t)
	ok := `{"eventId":"6b1c3c1e-3d0a-5b8e-9a51-6c0d2e9f7b13","detailVersion":1,"occurredAt":"2026-11-27T00:00:00Z","actor":"u",
		"ticket":{"id":"3f8b6c2e-1d4a-4e7b-9a51-6c0d2e9f7b13","code":"GRS00000001","version":1,"status":"RECEIVED","isDeleted":false}`
	if err := v.Validate(bus.TicketCreated, []byte(ok+`}`)); err != nil {
		t.Fatalf("valid detail refused: %v", err)
	}
	for name, doc := range map[string]string{
		"TitleInDetail":    ok + `,"title":"x"}`,
		"TitleInTicket":    strings.Replace(ok, `"isDeleted":false`, `"isDeleted":false,"title":"x"`, 1) + `}`,
		"ReporterOfTicket": strings.Replace(ok, `"isDeleted":false`, `"isDeleted":false,"reporterId":"x"`, 1) + `}`,
		"NoEventID":        strings.Replace(ok, `"eventId":"6b1c3c1e-3d0a-5b8e-9a51-6c0d2e9f7b13",`, ``, 1) + `}`,
		"WrongVersion":     strings.Replace(ok, `"detailVersion":1`, `"detailVersion":2`, 1) + `}`,
		"BadStatus":        strings.Replace(ok, `"RECEIVED"`, `"DONE"`, 1) + `}`,
	} {
		if err := v.Validate(bus.TicketCreated, []byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := v.Validate(bus.CommentCreated, []byte(`{"eventId":"6b1c3c1e-3d0a-5b8e-9a51-6c0d2e9f7b13","detailVersion":1,"occurredAt":"2026-11-27T00:00:00Z","actor":"u",
		"ticket":{"id":"3f8b6c2e-1d4a-4e7b-9a51-6c0d2e9f7b13"},"comment":{"id":"3f8b6c2e-1d4a-4e7b-9a51-6c0d2e9f7b14","version":1,"isResolution":false,"comment":"text"}}`)); err == nil {
		t.Error("comment text accepted")
	}
}

// Ensure event ids are deterministic and differ by each of their parts.
func TestEventID(t *testing.T) {
	a := bus.EventID("ticket", "x", 1, bus.TicketCreated)
	if a != bus.EventID("ticket", "x", 1, bus.TicketCreated) {
		t.Fatal("not deterministic")
	}
	for _, b := range []string{bus.EventID("comment", "x", 1, bus.TicketCreated), bus.EventID("ticket", "y", 1, bus.TicketCreated),
		bus.EventID("ticket", "x", 2, bus.TicketCreated), bus.EventID("ticket", "x", 1, bus.TicketDeleted)} {
		if a == b {
			t.Fatal("collision")
		}
	}
	if a[14] != '5' {
		t.Fatalf("%s is not a UUID v5", a)
	}
}

// Ensure the ids of the service-level sweep are deterministic per ticket,
// due date, level and detail-type, and differ by each.
func TestDueEventID(t *testing.T) {
	a := bus.DueEventID("x", "2026-12-02", 0, bus.TicketOverdue)
	if a != bus.DueEventID("x", "2026-12-02", 0, bus.TicketOverdue) {
		t.Fatal("not deterministic")
	}
	for _, b := range []string{bus.DueEventID("y", "2026-12-02", 0, bus.TicketOverdue), bus.DueEventID("x", "2026-12-03", 0, bus.TicketOverdue),
		bus.DueEventID("x", "2026-12-02", 1, bus.TicketOverdue), bus.DueEventID("x", "2026-12-02", 0, bus.TicketEscalated),
		bus.EventID(bus.EntityTicket, "x", 0, bus.TicketOverdue)} {
		if a == b {
			t.Fatal("collision")
		}
	}
}

package gql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// newAttachmentEnv is newEnv with attachments served through a fake Files.
func newAttachmentEnv(tb testing.TB) *testEnv {
	tb.Helper()
	e := newEnv(tb)
	clock := grievancetest.NewClock(time.Date(2024, 11, 22, 9, 0, 0, 0, time.UTC), time.Second)
	ids := grievancetest.IDs()
	for range 1000 {
		ids()
	}
	e.svc = grievance.NewService(e.store, clock.Now, ids, grievance.Options{History: e.store, Attachments: e.store, Files: &grievancetest.Files{}})
	srv, err := gql.New(e.svc, gql.Options{Logger: slog.New(slog.NewTextHandler(e.logs, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	e.srv = srv
	return e
}

const attachmentFields = `{ totalCount edges { node { id fileName contentType size status uploadedBy dateCreated downloadUrl } } }`

func TestAttachmentContractUploadListDelete(t *testing.T) {
	e := newAttachmentEnv(t)
	id := e.createTicket(t, `category: "Default" title: "Slip missing"`)

	d := e.ok(t, admin, fmt.Sprintf(`mutation { createAttachmentUpload(ticketId: %q, fileName: "slip.pdf", contentType: "application/pdf", size: 2048) { attachmentId url fields } }`, id))
	up := d["createAttachmentUpload"].(map[string]any)
	var fields map[string]string
	if err := json.Unmarshal([]byte(up["fields"].(string)), &fields); err != nil {
		t.Fatalf("fields is not a JSON object string: %v", err)
	}
	aid := up["attachmentId"].(string)
	if fields["key"] != "attachments/"+id+"/"+aid || up["url"] == "" {
		t.Fatalf("upload %v: key %q not bound to ticket and attachment", up, fields["key"])
	}

	// Pending: not an attachment yet, in either listing.
	q := fmt.Sprintf(`{ ticketAttachments(ticketId: %q, first: 10) %s tickets(id: %q, first: 1) { edges { node { attachments(first: 10) %s } } } }`, id, attachmentFields, id, attachmentFields)
	d = e.ok(t, admin, q)
	if n := get(t, d, "ticketAttachments", "totalCount"); n != 0.0 {
		t.Fatalf("pending upload listed: %v", d)
	}
	if _, err := e.svc.RecordScan(context.Background(), grievance.ScanVerdict{Key: fields["key"], Clean: true}); err != nil {
		t.Fatal(err)
	}
	d = e.ok(t, admin, q)
	own := nodes(t, d, "ticketAttachments")
	onTicket := nodes(t, nodes(t, d, "tickets")[0], "attachments")
	if len(own) != 1 || len(onTicket) != 1 || own[0]["id"] != aid || own[0]["status"] != "CLEAN" || own[0]["size"] != 2048.0 ||
		own[0]["fileName"] != "slip.pdf" || own[0]["uploadedBy"] != aliceID || !strings.Contains(fmt.Sprint(own[0]["downloadUrl"]), fields["key"]) {
		t.Fatalf("clean attachment: %v / %v", own, onTicket)
	}

	e.mustSucceed(t, admin, "deleteAttachment", fmt.Sprintf("id: %q", aid), "del-1")
	d = e.ok(t, admin, q)
	if own := nodes(t, d, "ticketAttachments"); own[0]["status"] != "DELETED" || own[0]["downloadUrl"] != nil {
		t.Fatalf("after delete: %v", own)
	}
	// The mutation log names the ticket, as for every mutation.
	d = e.ok(t, admin, `{ tickets(clientMutationId: "del-1") { edges { node { id } } } }`)
	if len(list(t, d, "tickets", "edges")) != 1 {
		t.Errorf("tickets(clientMutationId) of the delete: %v", d)
	}
}

func TestCreateAttachmentUploadErrorsAreClientSafe(t *testing.T) {
	e := newAttachmentEnv(t)
	id := e.createTicket(t, `category: "Default" title: "x"`)
	for _, tc := range []struct {
		name, args, code string
		p                *grievance.Principal
	}{
		{"refused type", `fileName: "a.exe", contentType: "application/x-msdownload", size: 10`, "INVALID", admin},
		{"too big", `fileName: "a.pdf", contentType: "application/pdf", size: 10485761`, "INVALID", admin},
		{"reader may not upload", `fileName: "a.pdf", contentType: "application/pdf", size: 10`, "FORBIDDEN", reader},
		{"no such ticket", `fileName: "a.pdf", contentType: "application/pdf", size: 10`, "NOT_FOUND", admin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tid := id
			if tc.code == "NOT_FOUND" {
				tid = "00000000-0000-4000-8000-00000000dead"
			}
			res := e.do(t, tc.p, fmt.Sprintf(`mutation { createAttachmentUpload(ticketId: %q, %s) { attachmentId } }`, tid, tc.args), nil)
			if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != tc.code {
				t.Fatalf("errors %v, want one %s", res.Errors, tc.code)
			}
		})
	}
}

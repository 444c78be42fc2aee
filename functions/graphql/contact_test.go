package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Unregistered complainants (issue #15): a ticket's contact block is
// stored, read with the ticket-details right, masked with the reporter,
// kept out of the mutation log; an anonymous ticket stores no contact.
func TestContact_StoredReadAndKeptOutOfTheLog(t *testing.T) {
	e := newEnv(t)
	cmid := uuid.NewString()
	e.ok(t, officerClaims, fmt.Sprintf(`mutation { createTicket(input: {%s, clientMutationId: %q,
		contact: {name: "Walk-in", phone: "+670 7723 4567", email: "w@example.org", sex: "female", ageBand: "25-34",
		location: "Dili / Vera Cruz", preferredLanguage: "tet"}}) { internalId } }`, basicTicket, cmid))
	e.mustSucceed(t, officerClaims, cmid)
	d := e.ok(t, officerClaims, fmt.Sprintf(`{ tickets(clientMutationId: %q) { edges { node { id contact { name phone email sex ageBand location preferredLanguage anonymous } } } } }`, cmid))
	n := nodes(d, "tickets")[0]
	got, _ := json.Marshal(n["contact"])
	want := `{"ageBand":"25-34","anonymous":false,"email":"w@example.org","location":"Dili/Vera Cruz","name":"Walk-in","phone":"+67077234567","preferredLanguage":"tet","sex":"F"}`
	if string(got) != want {
		t.Fatalf("contact = %s, want %s", got, want)
	}
	logs := e.ok(t, officerClaims, fmt.Sprintf(`{ mutationLogs(clientMutationId: %q) { edges { node { jsonContent } } } }`, cmid))
	content := path(logs, "mutationLogs", "edges", 0, "node", "jsonContent").(string)
	if strings.Contains(content, "7723") || strings.Contains(content, "example.org") || !strings.Contains(content, "Walk-in") {
		t.Fatalf("mutation log content = %s", content)
	}
}

func TestContact_Rules(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, fields, wantErr string
		check                 func(t *testing.T, id string)
	}{
		{"anonymous stores no contact", `contact: {anonymous: true, name: "X", phone: "+67077234567"}`, "", func(t *testing.T, id string) {
			c := e.ticket(t, id).Contact
			if c == nil || !c.Anonymous || c.Name != "" || c.Phone != "" {
				t.Fatalf("stored contact = %+v", c)
			}
		}},
		{"anonymous names no reporter", fmt.Sprintf(`reporterType: "individual", reporterId: %q, contact: {anonymous: true}`, individualID), "cannot name a reporter", nil},
		{"bad phone", `contact: {phone: "call me"}`, "contact.phone is not a phone number", nil},
		{"bad email", `contact: {email: "nope"}`, "contact.email is not an e-mail address", nil},
		{"user reporter without id, as openIMIS's client sends it", `reporterType: "user"`, "", func(t *testing.T, id string) {
			tk := e.ticket(t, id)
			if tk.ReporterType != "user" || tk.ReporterID != "" {
				t.Fatalf("reporter = %q %q", tk.ReporterType, tk.ReporterID)
			}
		}},
		{"individual reporter still needs an id", `reporterType: "individual"`, "must be given together", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmid := uuid.NewString()
			e.ok(t, officerClaims, fmt.Sprintf(`mutation { createTicket(input: {%s, %s, clientMutationId: %q}) { internalId } }`, basicTicket, tt.fields, cmid))
			if tt.wantErr != "" {
				e.mustFail(t, officerClaims, cmid, tt.wantErr)
				return
			}
			e.mustSucceed(t, officerClaims, cmid)
			d := e.ok(t, officerClaims, fmt.Sprintf(`{ tickets(clientMutationId: %q) { edges { node { id } } } }`, cmid))
			tt.check(t, rawID(t, nodes(d, "tickets")[0]["id"].(string)))
		})
	}
}

func TestContact_MaskedWithTheReporter(t *testing.T) {
	e := newEnv(t)
	e.configureConfidential(t)
	id := e.createTicket(t, adminClaims, `category: "Sensitive", title: "t", contact: {name: "Secret Person", phone: "+67077234567"}`)
	q := fmt.Sprintf(`{ tickets(id: %q) { edges { node { contact { name phone } } } } }`, id)
	for _, tt := range []struct {
		name   string
		claims map[string]string
		shown  bool
	}{
		{"plain reader", rightsClaims(viewerID, "127000", "127004", "127005"), false},
		{"confidential reader", rightsClaims(officerID, "127000", "127004", "127005", "127007"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw, _ := json.Marshal(e.ok(t, tt.claims, q))
			if shown := strings.Contains(string(raw), "Secret Person"); shown != tt.shown {
				t.Fatalf("contact shown = %v, want %v: %s", shown, tt.shown, raw)
			}
		})
	}
}

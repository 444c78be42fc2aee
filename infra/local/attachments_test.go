package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/scanner"
	"github.com/redress-grm/redress/infra/local/stack"
)

// attachStack is a running local stack with helpers to talk to it as the
// README's curl round trip does.
type attachStack struct {
	t      *testing.T
	st     *stack.Stack
	base   string
	tokens map[string]string
	s3     *s3.Client
	out    *syncBuffer
}

func startAttachStack(t *testing.T) *attachStack {
	t.Helper()
	root, err := moto.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	endpoint := moto.ForTest(t).Endpoint()
	c, err := configFromEnv(env(map[string]string{
		"AWS_ENDPOINT_URL":   endpoint,
		"TABLE_PREFIX":       "att-",
		"LISTEN_ADDR":        "127.0.0.1:0",
		"S3_GATE_ADDR":       "127.0.0.1:0",
		"ATTACHMENTS_BUCKET": fmt.Sprintf("att-%d", os.Getpid()),
		"DLQ_DIR":            t.TempDir(),
		"SCAN_INTERVAL":      "100ms",
	}), root)
	if err != nil {
		t.Fatal(err)
	}
	c.BinDir = t.TempDir()
	c.GraphQLConcurrency = 1
	c.PollInterval = 50 * time.Millisecond
	out := &syncBuffer{}
	c.Output = out
	st, err := startStack(context.Background(), c, slog.New(slog.NewTextHandler(out, nil)))
	if err != nil {
		t.Fatalf("%v\noutput:\n%s", err, out.String())
	}
	t.Cleanup(st.Stop)
	a := &attachStack{t: t, st: st, base: st.URL(), tokens: map[string]string{}, out: out}
	for user, groups := range map[string][]string{"alice": {"GrievanceOfficer"}, "bob": {"GrievanceAdmin"}, "carol": {"GrievanceViewer"}} {
		tok, err := signToken([]byte(c.JWTSecret), tokenRequest{Username: user, Groups: groups, TTL: time.Hour,
			Issuer: c.JWTIssuer, Audience: c.JWTAudience, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		a.tokens[user] = tok
	}
	cfg, _ := moto.AWSConfig(context.Background(), endpoint)
	a.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	return a
}

// q posts a GraphQL document as user and returns data, failing on errors.
func (a *attachStack) q(user, doc string) map[string]any {
	a.t.Helper()
	body, _ := json.Marshal(map[string]string{"query": doc})
	req, _ := http.NewRequest("POST", a.base+"/api/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+a.tokens[user])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Errors) > 0 || resp.StatusCode != 200 {
		a.t.Fatalf("%s: %d %s\noutput:\n%s", doc, resp.StatusCode, raw, a.out.String())
	}
	return r.Data
}

// mutate runs an openIMIS mutation and waits for its log to succeed.
func (a *attachStack) mutate(user, field, input string) {
	a.t.Helper()
	cmid := fmt.Sprintf("att-%d", time.Now().UnixNano())
	a.q(user, fmt.Sprintf(`mutation { %s(input: {clientMutationId: %q %s}) { internalId } }`, field, cmid, input))
	d := a.q(user, fmt.Sprintf(`{ mutationLogs(clientMutationId: %q) { edges { node { status error } } } }`, cmid))
	n := d["mutationLogs"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
	if n["status"] != 2.0 {
		a.t.Fatalf("%s failed: %v", field, n["error"])
	}
}

func (a *attachStack) createTicket(category string) string {
	a.t.Helper()
	cmid := fmt.Sprintf("tk-%d", time.Now().UnixNano())
	a.q("bob", fmt.Sprintf(`mutation { createTicket(input: {clientMutationId: %q, category: %q, title: "Evidence",
		attendingStaffId: "92f6450c-efe8-5899-ae45-671c4543b555"}) { internalId } }`, cmid, category))
	d := a.q("bob", fmt.Sprintf(`{ tickets(clientMutationId: %q) { edges { node { id } } } }`, cmid))
	global := d["tickets"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
	return strings.SplitN(decodeB64(a.t, global), ":", 2)[1]
}

// upload asks for a form and posts content with it; it returns the
// attachment id, the object key and the POST's status.
func (a *attachStack) upload(user, ticketID, name, ct string, size int, content []byte) (string, string, int) {
	a.t.Helper()
	d := a.q(user, fmt.Sprintf(`mutation { createAttachmentUpload(ticketId: %q, fileName: %q, contentType: %q, size: %d) { attachmentId url fields } }`,
		ticketID, name, ct, size))
	up := d["createAttachmentUpload"].(map[string]any)
	var fields map[string]string
	json.Unmarshal([]byte(up["fields"].(string)), &fields)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	resp, err := http.Post(up["url"].(string), mw.FormDataContentType(), &body)
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	return up["attachmentId"].(string), fields["key"], resp.StatusCode
}

type listed struct {
	ID, Status, DownloadURL string
}

func (a *attachStack) list(user, ticketID string) []listed {
	a.t.Helper()
	d := a.q(user, fmt.Sprintf(`{ ticketAttachments(ticketId: %q, first: 20) { edges { node { id status downloadUrl } } } }`, ticketID))
	var out []listed
	for _, e := range d["ticketAttachments"].(map[string]any)["edges"].([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		u, _ := n["downloadUrl"].(string)
		out = append(out, listed{n["id"].(string), n["status"].(string), u})
	}
	return out
}

// waitFor polls the list until attachment id shows, or fails.
func (a *attachStack) waitFor(user, ticketID, id string) listed {
	a.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range a.list(user, ticketID) {
			if l.ID == id {
				return l
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.t.Fatalf("attachment %s never listed\noutput:\n%s", id, a.out.String())
	return listed{}
}

func (a *attachStack) exists(key string) bool {
	_, err := a.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(a.st.Bucket), Key: aws.String(key)})
	return err == nil
}

// The "done when", through the local stack: a file uploaded with
// the presigned POST appears after the scan and downloads byte-identical;
// an EICAR file is quarantined and never downloadable; refused uploads
// store nothing and never show; a viewer without the confidential right
// sees no attachments of an anonymized ticket.
func TestAttachmentsRoundTripThroughTheLocalStack(t *testing.T) {
	a := startAttachStack(t)
	ticket := a.createTicket("Default")

	content := []byte("%PDF-1.4\n\x00\x01 payment slip, March\n")
	clean, cleanKey, status := a.upload("alice", ticket, "slip.pdf", "application/pdf", len(content), content)
	if status != 204 {
		t.Fatalf("upload: %d", status)
	}
	got := a.waitFor("alice", ticket, clean)
	if got.Status != "CLEAN" || got.DownloadURL == "" {
		t.Fatalf("clean upload listed as %+v", got)
	}
	resp, err := http.Get(got.DownloadURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(b, content) {
		t.Fatalf("download: %d %q, want the uploaded bytes", resp.StatusCode, b)
	}

	eicar := []byte(scanner.EICAR)
	infected, infectedKey, status := a.upload("alice", ticket, "eicar.pdf", "application/pdf", len(eicar), eicar)
	if status != 204 {
		t.Fatalf("EICAR upload: %d", status)
	}
	got = a.waitFor("alice", ticket, infected)
	if got.Status != "INFECTED" || got.DownloadURL != "" {
		t.Fatalf("EICAR listed as %+v, want INFECTED without URL", got)
	}
	quarantine := strings.Replace(infectedKey, "attachments/", "quarantine/", 1)
	deadline := time.Now().Add(10 * time.Second)
	for a.exists(infectedKey) || !a.exists(quarantine) {
		if time.Now().After(deadline) {
			t.Fatalf("EICAR object not moved to %s", quarantine)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Refused by the POST policy: nothing stored, nothing listed, even
	// after the scanner has been round.
	tooBig, tooBigKey, status := a.upload("alice", ticket, "big.pdf", "application/pdf", 10, make([]byte, 11))
	if status != 400 {
		t.Errorf("oversized POST: %d, want 400", status)
	}
	// Half uploaded: fewer bytes than the form was signed for.
	half, halfKey, status := a.upload("alice", ticket, "half.pdf", "application/pdf", len(content), content[:len(content)/2])
	if status != 400 {
		t.Errorf("half-uploaded POST: %d, want 400", status)
	}
	// Missing: the form is sent without the file's bytes.
	missing, missingKey, _ := a.upload("alice", ticket, "never.pdf", "application/pdf", 5, nil)
	time.Sleep(500 * time.Millisecond) // several scanner rounds
	for _, l := range a.list("alice", ticket) {
		if l.ID == tooBig || l.ID == half || l.ID == missing {
			t.Errorf("a refused or missing upload is listed: %+v", l)
		}
	}
	for _, k := range []string{tooBigKey, halfKey, missingKey} {
		if a.exists(k) {
			t.Errorf("refused upload %s was stored", k)
		}
	}

	// Adding (the clean scan) and removing are ticket versions in history:
	// created (1), clean file added (2), removed (3).
	a.mutate("alice", "deleteAttachment", fmt.Sprintf("id: %q", clean))
	a.waitForVersions(ticket, 3)
	// Its file moved to deleted/, where the lifecycle expires it.
	if a.exists(cleanKey) || !a.exists(strings.Replace(cleanKey, "attachments/", "deleted/", 1)) {
		t.Errorf("the deleted attachment's file was not moved to deleted/")
	}

	// Anonymized category: evidence hidden from readers without the right.
	a.mutate("bob", "updateGrievanceConfig", `config: "{\"grievance_anonymized_fields\": {\"Category A\": [\"title\"]}}"`)
	secret := a.createTicket("Category A")
	id, _, _ := a.upload("bob", secret, "id-card.png", "image/png", len(content), content)
	if l := a.waitFor("bob", secret, id); l.Status != "CLEAN" {
		t.Fatalf("confidential upload: %+v", l)
	}
	if l := a.list("carol", secret); len(l) != 0 {
		t.Errorf("a viewer without the confidential right sees %+v", l)
	}
	if l := a.list("alice", secret); len(l) != 1 {
		t.Errorf("the attending staff sees %d attachments, want 1", len(l))
	}
}

func decodeB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitForVersions polls the ticket's history until it records n versions.
func (a *attachStack) waitForVersions(ticketID string, n int) {
	a.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got int
	for time.Now().Before(deadline) {
		d := a.q("bob", fmt.Sprintf(`{ tickets(showHistory: true, id: %q, first: 10) { edges { node { version } } } }`, ticketID))
		got = len(d["tickets"].(map[string]any)["edges"].([]any))
		if got == n {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.t.Fatalf("history of %s has %d versions, want %d", ticketID, got, n)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/shared/files"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

// newAttachmentEnv is newDynamoEnv with the attachments bucket in moto, as
// main.go wires it; the handler's S3 calls are recorded as graphql's.
func newAttachmentEnv(t *testing.T) (*env, *s3.Client, string) {
	t.Helper()
	e := newDynamoEnv(t)
	bucket := fmt.Sprintf("gq-att-%d-%d", os.Getpid(), tableSeq.Add(1))
	if err := bootstrap.CreateBucket(context.Background(), e.cfg, bucket); err != nil {
		t.Fatal(err)
	}
	t.Setenv(platform.EnvBucket, bucket)
	fnCfg := e.cfg
	platform.RecordCalls(&fnCfg, "graphql", e.names, "")
	fn := store.New(fnCfg, e.names)
	e.start(t, fn, grievance.Options{History: fn, Stats: fn, Attachments: fn, Files: files.New(fnCfg, bucket, "")})
	return e, s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true }), bucket
}

// Ensure the API's side of an attachment's life against moto: the form
// uploads, the clean file downloads byte-identical (the version scanned,
// even after the form put other bytes under the key), and a delete moves
// the file to deleted/ after the mutation commits.
func TestAttachments_UploadDownloadDeleteThroughTheHandler(t *testing.T) {
	e, direct, bucket := newAttachmentEnv(t)
	id := e.createTicket(t, adminClaims, `category: "Default", title: "evidence"`)
	content := []byte("%PDF-1.4 slip")
	d := e.ok(t, adminClaims, fmt.Sprintf(`mutation { createAttachmentUpload(ticketId: %q, fileName: "slip.pdf", contentType: "application/pdf", size: %d) { attachmentId url fields } }`, id, len(content)))
	aid := path(d, "createAttachmentUpload", "attachmentId").(string)
	var fields map[string]string
	json.Unmarshal([]byte(path(d, "createAttachmentUpload", "fields").(string)), &fields)
	post := func(content []byte) {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, v := range fields {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("file", "slip.pdf")
		fw.Write(content)
		mw.Close()
		resp, err := http.Post(path(d, "createAttachmentUpload", "url").(string), mw.FormDataContentType(), &body)
		if err != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("upload: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	post(content)
	// The scan result, as the scanresult function applies it, naming the
	// version scanned.
	stored, err := direct.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(fields["key"])})
	if err != nil || aws.ToString(stored.VersionId) == "" {
		t.Fatalf("head of the upload: %v (the bucket must be versioned)", err)
	}
	scanner := grievance.NewService(e.db, time.Now, func() string { return "unused" }, grievance.Options{Attachments: e.db, Files: files.New(e.cfg, bucket, "")})
	if _, err := scanner.RecordScan(context.Background(), grievance.ScanVerdict{Key: fields["key"], Version: aws.ToString(stored.VersionId), Clean: true}); err != nil {
		t.Fatal(err)
	}
	// The same form, used again within its lifetime, puts other bytes of
	// the same size under the key (as S3 allows); the download still
	// serves the scanned ones.
	post([]byte("%PDF-1.4 swap"))

	d = e.ok(t, adminClaims, fmt.Sprintf(`{ ticketAttachments(ticketId: %q) { edges { node { id status downloadUrl } } } }`, id))
	n := nodes(d, "ticketAttachments")
	if len(n) != 1 || n[0]["status"] != "CLEAN" {
		t.Fatalf("attachments %v", n)
	}
	get, err := http.Get(n[0]["downloadUrl"].(string))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, content) {
		t.Fatalf("download %q, want the upload", got)
	}

	cmid := "del-" + aid
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { deleteAttachment(input: {id: %q, clientMutationId: %q}) { internalId } }`, aid, cmid))
	e.mustSucceed(t, adminClaims, cmid)
	head := func(key string) bool {
		_, err := direct.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return err == nil
	}
	if head(fields["key"]) || !head(strings.Replace(fields["key"], "attachments/", "deleted/", 1)) {
		t.Errorf("the deleted attachment's file did not move to deleted/")
	}
}

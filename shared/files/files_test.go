package files_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/files"
	"github.com/redress-grm/redress/shared/grievance"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

var bucketSeq atomic.Int64

func newBucket(t *testing.T, kmsKey string) *files.Bucket {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("att-%d-%d", os.Getpid(), bucketSeq.Add(1))
	b := files.New(cfg, name, kmsKey)
	if _, err := b.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	return b
}

// Post sends a presigned POST form with the file last, as browsers do.
func Post(t *testing.T, form *grievance.UploadForm, content []byte) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range form.Fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "upload.bin")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	resp, err := http.Post(form.URL, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// policy decodes the signed policy document of a form.
func policy(t *testing.T, form *grievance.UploadForm) (time.Time, []any) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(form.Fields["policy"])
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Expiration time.Time `json:"expiration"`
		Conditions []any     `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Expiration, doc.Conditions
}

// The emulator does not evaluate POST policies, so the conditions S3
// enforces are checked here, in the document the signature covers.
func TestPresignUploadSignsExactKeySizeTypeEncryptionAndExpiry(t *testing.T) {
	const kmsKey = "arn:aws:kms:eu-west-1:111122223333:key/0000"
	b := newBucket(t, kmsKey)
	key := "attachments/00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000002"
	before := time.Now()
	form, err := b.PresignUpload(context.Background(), grievance.UploadPolicy{Key: key, ContentType: "image/png", Size: 4096, Expires: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	exp, conds := policy(t, form)
	if exp.Before(before.Add(5*time.Minute-time.Second)) || exp.After(time.Now().Add(5*time.Minute+time.Second)) {
		t.Errorf("policy expires %v, want 5 minutes from now", exp)
	}
	want := map[string]any{
		"content-length-range":         []any{"content-length-range", 4096.0, 4096.0},
		"key":                          map[string]any{"key": key},
		"bucket":                       map[string]any{"bucket": b.Name()},
		"Content-Type":                 map[string]any{"Content-Type": "image/png"},
		"x-amz-server-side-encryption": map[string]any{"x-amz-server-side-encryption": "aws:kms"},
		"x-amz-server-side-encryption-aws-kms-key-id": map[string]any{"x-amz-server-side-encryption-aws-kms-key-id": kmsKey},
	}
	found := map[string]bool{}
	for _, c := range conds {
		for name, w := range want {
			if reflect.DeepEqual(c, w) {
				found[name] = true
			}
		}
		// No condition may widen the key (starts-with) or the size.
		if l, ok := c.([]any); ok && len(l) > 0 && l[0] == "starts-with" {
			t.Errorf("policy has a starts-with condition: %v", l)
		}
	}
	for name := range want {
		if !found[name] {
			t.Errorf("policy lacks the %s condition; conditions: %v", name, conds)
		}
	}
	for _, f := range []string{"key", "Content-Type", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id", "policy", "X-Amz-Signature"} {
		if form.Fields[f] == "" {
			t.Errorf("form lacks field %s", f)
		}
	}
}

func TestUploadThroughPresignedPostThenDownloadByteIdentical(t *testing.T) {
	b := newBucket(t, "")
	ctx := context.Background()
	content := []byte("%PDF-1.4 evidence \x00\x01\x02 payment slip")
	key := "attachments/00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000003"
	form, err := b.PresignUpload(ctx, grievance.UploadPolicy{Key: key, ContentType: "application/pdf", Size: int64(len(content)), Expires: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if resp := Post(t, form, content); resp.StatusCode/100 != 2 {
		t.Fatalf("POST: %s", resp.Status)
	}
	url, err := b.PresignDownload(ctx, key, "", "slip \"1\".pdf", "application/pdf", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, content) {
		t.Fatalf("GET: %s, %q; want the uploaded bytes", resp.Status, got)
	}

	quarantine := "quarantine/00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000003"
	for range 2 { // a redelivered result moves nothing twice and does not fail
		if err := b.Quarantine(ctx, key, "", quarantine); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(key)}); err == nil {
		t.Errorf("the infected object is still under its upload key")
	}
	if _, err := b.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(quarantine)}); err != nil {
		t.Errorf("quarantined object missing: %v", err)
	}
	if err := b.Retire(ctx, key, "deleted/x"); err != nil {
		t.Errorf("retiring a quarantined attachment's file: %v, want nil", err)
	}
}

// The upload form stays valid (and reusable) for its lifetime: after the
// scan, other bytes of the same size and type may be posted under the same
// key. A download signed for the scanned version serves that version; the
// later one, quarantined by its version, leaves the uploads for good and
// the scanned bytes are the key's object again (not a noncurrent version
// the lifecycle would expire).
func TestDownloadOfTheScannedVersionSurvivesALaterUploadWithTheSameForm(t *testing.T) {
	b := newBucket(t, "")
	ctx := context.Background()
	if _, err := b.Client().PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b.Name()),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	key := "attachments/00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000005"
	quarantine := "quarantine/00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000005"
	scanned, swapped := []byte("%PDF-1.4 the real slip"), []byte("%PDF-1.4 an altered one")
	form, err := b.PresignUpload(ctx, grievance.UploadPolicy{Key: key, ContentType: "application/pdf", Size: int64(len(scanned)), Expires: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	version := func() string {
		t.Helper()
		out, err := b.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	if resp := Post(t, form, scanned); resp.StatusCode/100 != 2 {
		t.Fatalf("POST: %s", resp.Status)
	}
	first := version()
	if resp := Post(t, form, swapped); resp.StatusCode/100 != 2 {
		t.Fatalf("second POST with the same form: %s", resp.Status)
	}
	second := version()
	if first == "" || first == second {
		t.Fatalf("versions %q, %q: want two", first, second)
	}
	get := func(u string) string {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return resp.Status
		}
		return string(got)
	}
	url, err := b.PresignDownload(ctx, key, first, "slip.pdf", "application/pdf", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := get(url); got != string(scanned) {
		t.Fatalf("download of the scanned version: %q, want %q", got, scanned)
	}
	for range 2 { // a redelivered result moves nothing twice and does not fail
		if err := b.Quarantine(ctx, key, second, quarantine); err != nil {
			t.Fatal(err)
		}
	}
	if got := get(url); got != string(scanned) {
		t.Errorf("download after the quarantine: %q, want %q", got, scanned)
	}
	if v := version(); v != first {
		t.Errorf("the key's object is version %q, want the scanned %q again", v, first)
	}
	out, err := b.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(quarantine)})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != string(swapped) {
		t.Errorf("quarantined %q, want the later upload", body)
	}
	if _, err := b.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(key), VersionId: aws.String(second)}); err == nil {
		t.Error("the later upload's version is still under attachments/")
	}
}

func TestRetireMovesTheFileOutOfUploadsOnce(t *testing.T) {
	b := newBucket(t, "")
	ctx := context.Background()
	key := "attachments/00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000004"
	dest := "deleted/00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000004"
	if _, err := b.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(key), Body: bytes.NewReader([]byte("evidence"))}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the mutation's after-commit step may run again
		if err := b.Retire(ctx, key, dest); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(key)}); err == nil {
		t.Error("the deleted attachment's file is still under its upload key")
	}
	got, err := b.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(dest)})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "evidence" {
		t.Errorf("retired file holds %q", body)
	}
}

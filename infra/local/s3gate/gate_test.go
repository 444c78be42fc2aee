package s3gate_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/s3gate"
	"github.com/redress-grm/redress/shared/files"
	"github.com/redress-grm/redress/shared/grievance"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

var seq atomic.Int64

const (
	ticketA = "00000000-0000-4000-8000-00000000000a"
	ticketB = "00000000-0000-4000-8000-00000000000b"
	attach  = "00000000-0000-4000-8000-000000000101"
)

// setup returns a bucket whose URLs lead through a gate in front of moto,
// and a direct client to look at what moto stored.
func setup(t *testing.T) (*files.Bucket, *s3gate.Gate, *s3.Client) {
	t.Helper()
	ctx := context.Background()
	endpoint := moto.ForTest(t).Endpoint()
	up, _ := url.Parse(endpoint)
	gate := s3gate.New(up, "test")
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	cfg, err := moto.AWSConfig(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("gate-%d-%d", os.Getpid(), seq.Add(1))
	b := files.New(cfg, name, "")
	direct, _ := moto.AWSConfig(ctx, endpoint)
	c := s3.NewFromConfig(direct, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	return b, gate, c
}

func post(t *testing.T, u string, fields map[string]string, file []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "x")
	fw.Write(file)
	mw.Close()
	resp, err := http.Post(u, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestGateEnforcesThePostPolicyMotoIgnores(t *testing.T) {
	content := []byte("%PDF-1.4 exactly this")
	key := grievance.AttachmentKey(ticketA, attach)
	for _, tc := range []struct {
		name   string
		file   []byte
		edit   func(f map[string]string)
		later  time.Duration // the gate's clock runs this far ahead
		status int
		code   string
	}{
		{"as signed", content, nil, 0, 204, ""},
		{"bigger than signed", append(content, '!'), nil, 0, 400, "EntityTooLarge"},
		{"smaller than signed", content[1:], nil, 0, 400, "EntityTooSmall"},
		{"other content type", content, func(f map[string]string) { f["Content-Type"] = "text/html" }, 0, 403, "AccessDenied"},
		{"another ticket's key", content, func(f map[string]string) { f["key"] = grievance.AttachmentKey(ticketB, attach) }, 0, 403, "AccessDenied"},
		{"no encryption field", content, func(f map[string]string) { delete(f, "x-amz-server-side-encryption") }, 0, 403, "AccessDenied"},
		{"extra field", content, func(f map[string]string) { f["acl"] = "public-read" }, 0, 403, "AccessDenied"},
		{"policy widened by hand", content, func(f map[string]string) {
			p, _ := base64.StdEncoding.DecodeString(f["policy"])
			f["policy"] = base64.StdEncoding.EncodeToString(bytes.Replace(p, []byte(`,21,21]`), []byte(`,0,99999]`), 1))
		}, 0, 403, "AccessDenied"},
		{"used after expiry", content, nil, 6 * time.Minute, 403, "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, gate, direct := setup(t)
			form, err := b.PresignUpload(context.Background(), grievance.UploadPolicy{Key: key, ContentType: "application/pdf", Size: int64(len(content)), Expires: 5 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			gate.Now = func() time.Time { return time.Now().Add(tc.later) }
			if tc.edit != nil {
				tc.edit(form.Fields)
			}
			status, body := post(t, form.URL, form.Fields, tc.file)
			if status != tc.status || !strings.Contains(body, tc.code) {
				t.Fatalf("POST: %d %s, want %d %s", status, body, tc.status, tc.code)
			}
			out, _ := direct.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(b.Name())})
			if stored := len(out.Contents) > 0; stored != (tc.status == 204) {
				t.Errorf("objects stored: %d; want one only for an accepted upload", len(out.Contents))
			}
		})
	}
}

func TestGateRefusesExpiredDownloadURLs(t *testing.T) {
	b, gate, direct := setup(t)
	ctx := context.Background()
	key := grievance.AttachmentKey(ticketA, attach)
	direct.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(key), Body: strings.NewReader("evidence")})
	u, err := b.PresignDownload(ctx, key, "", "a.pdf", "application/pdf", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		later  time.Duration
		status int
	}{{0, 200}, {2 * time.Minute, 403}} {
		gate.Now = func() time.Time { return time.Now().Add(tc.later) }
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.status == 200 && string(got) != "evidence") {
			t.Errorf("GET %v later: %d %q, want %d", tc.later, resp.StatusCode, got, tc.status)
		}
	}
}

// The local stack's bucket is versioned like the deployed one, and
// downloads name the scanned version: a URL with a versionId passes the
// gate to moto and serves that version, also after the form (valid, and
// reusable, until it expires, as in S3) put other bytes under the key.
func TestGateServesTheSignedVersionAfterTheFormIsUsedAgain(t *testing.T) {
	b, _, direct := setup(t)
	ctx := context.Background()
	if _, err := direct.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b.Name()),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	key := grievance.AttachmentKey(ticketA, attach)
	scanned, swapped := []byte("%PDF-1.4 exactly this"), []byte("%PDF-1.4 exactly that")
	form, err := b.PresignUpload(ctx, grievance.UploadPolicy{Key: key, ContentType: "application/pdf", Size: int64(len(scanned)), Expires: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, content := range [][]byte{scanned, swapped} {
		if status, body := post(t, form.URL, form.Fields, content); status != 204 {
			t.Fatalf("POST: %d %s", status, body)
		}
		head, err := direct.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, aws.ToString(head.VersionId))
	}
	u, err := b.PresignDownload(ctx, key, versions[0], "a.pdf", "application/pdf", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u, "versionId=") {
		t.Fatalf("download URL %s names no version", u)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, scanned) || versions[0] == versions[1] {
		t.Errorf("GET of version %s (latest %s): %d %q, want the first upload", versions[0], versions[1], resp.StatusCode, got)
	}
}

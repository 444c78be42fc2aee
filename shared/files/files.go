// Package files is Redress's S3 adapter: presigned POSTs that upload one
// attachment each, presigned GETs that download one, and the quarantine
// of infected objects. It implements grievance.Files. Bytes never pass
// through the API: clients send them to S3 directly, under the conditions
// the signature carries.
package files

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/redress-grm/redress/shared/grievance"
)

// Bucket is the attachments bucket.
type Bucket struct {
	client  *s3.Client
	presign *s3.PresignClient
	name    string
	// kmsKey is the key every object is encrypted with; "" leaves it to
	// the bucket's default (the local emulator has no KMS policy to bind).
	kmsKey string
}

var _ grievance.Files = (*Bucket)(nil)

// New returns the bucket name, encrypting uploads with kmsKey (an ARN or
// id; "" for the bucket's default encryption). With a custom endpoint (the
// local emulator) addressing is path-style, which needs no DNS per bucket.
func New(cfg aws.Config, name, kmsKey string) *Bucket {
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = cfg.BaseEndpoint != nil
	})
	return &Bucket{client: c, presign: s3.NewPresignClient(c), name: name, kmsKey: kmsKey}
}

// Client returns the S3 client (for the local stack's scanner).
func (b *Bucket) Client() *s3.Client { return b.client }

// Name returns the bucket's name.
func (b *Bucket) Name() string { return b.name }

// Conditions returns the POST policy conditions of an upload, beyond the
// bucket, key and signature fields the SDK adds: the exact size, the
// exact content type and the server-side encryption. S3 refuses a POST
// that breaks any of them and stores nothing.
func (b *Bucket) Conditions(p grievance.UploadPolicy) []any {
	c := []any{
		[]any{"content-length-range", p.Size, p.Size},
		map[string]string{"Content-Type": p.ContentType},
		map[string]string{"x-amz-server-side-encryption": "aws:kms"},
	}
	if b.kmsKey != "" {
		c = append(c, map[string]string{"x-amz-server-side-encryption-aws-kms-key-id": b.kmsKey})
	}
	return c
}

// PresignUpload implements grievance.Files: a POST form bound to one key
// (the SDK adds {"key": key}, an exact match), one size and one type.
func (b *Bucket) PresignUpload(ctx context.Context, p grievance.UploadPolicy) (*grievance.UploadForm, error) {
	req, err := b.presign.PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.name), Key: aws.String(p.Key)},
		func(o *s3.PresignPostOptions) {
			o.Expires = p.Expires
			o.Conditions = b.Conditions(p)
		})
	if err != nil {
		return nil, fmt.Errorf("presign post %s: %w", p.Key, err)
	}
	fields := req.Values
	fields["Content-Type"] = p.ContentType
	fields["x-amz-server-side-encryption"] = "aws:kms"
	if b.kmsKey != "" {
		fields["x-amz-server-side-encryption-aws-kms-key-id"] = b.kmsKey
	}
	return &grievance.UploadForm{URL: req.URL, Fields: fields}, nil
}

// PresignDownload implements grievance.Files. The response is served as a
// download (Content-Disposition: attachment) of the recorded type, so a
// browser never renders an uploaded file as a page of this origin. With a
// version the URL serves that object version only (the scanned one), never
// what a later upload put under the key.
func (b *Bucket) PresignDownload(ctx context.Context, key, version, fileName, contentType string, ttl time.Duration) (string, error) {
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": fileName})
	if disposition == "" {
		disposition = "attachment; filename*=UTF-8''" + url.PathEscape(fileName)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(key),
		ResponseContentDisposition: aws.String(disposition), ResponseContentType: aws.String(contentType)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	req, err := b.presign.PresignGetObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign get %s: %w", key, err)
	}
	return req.URL, nil
}

// Retire implements grievance.Files: the file of a deleted attachment
// moves to dest (under deleted/), where the lifecycle expires it. A
// missing source is no error: the file was quarantined, never arrived, or
// was moved by an earlier try.
func (b *Bucket) Retire(ctx context.Context, key, dest string) error {
	return b.RetireVersion(ctx, key, "", dest)
}

// RetireVersion is Retire of one object version ("" for the key's current
// object).
func (b *Bucket) RetireVersion(ctx context.Context, key, version, dest string) error {
	_, err := b.move(ctx, key, version, dest)
	return err
}

// Quarantine moves version of the object at key ("" for its current
// object) to dest. A missing source is not an error when dest exists: the
// move already happened (scan results are redelivered).
func (b *Bucket) Quarantine(ctx context.Context, key, version, dest string) error {
	moved, err := b.move(ctx, key, version, dest)
	if err != nil || moved {
		return err
	}
	if _, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(dest)}); err != nil {
		return fmt.Errorf("quarantine %s: no object here nor at %s: %w", key, dest, err)
	}
	return nil
}

// move copies the object at key to dest, encrypted with the bucket's key,
// and deletes it; false (and no error) when there is no object at key.
// The copy is a new object: the lifecycle counts its days from now.
//
// With a version, that version is copied and then deleted for good, so
// its bytes leave the uploads at once and whatever version was there
// before (a scanned one) is the key's object again. Without one, the
// current object is copied and the delete leaves a delete marker in the
// versioned bucket (the lifecycle expires the noncurrent version).
func (b *Bucket) move(ctx context.Context, key, version, dest string) (bool, error) {
	src := b.name + "/" + escapeKey(key)
	if version != "" {
		src += "?versionId=" + url.QueryEscape(version)
	}
	in := &s3.CopyObjectInput{Bucket: aws.String(b.name), Key: aws.String(dest),
		CopySource: aws.String(src), ServerSideEncryption: types.ServerSideEncryptionAwsKms}
	if b.kmsKey != "" {
		in.SSEKMSKeyId = aws.String(b.kmsKey)
	}
	if _, err := b.client.CopyObject(ctx, in); err != nil {
		if notFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("copy %s to %s: %w", key, dest, err)
	}
	del := &s3.DeleteObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)}
	if version != "" {
		del.VersionId = aws.String(version)
	}
	if _, err := b.client.DeleteObject(ctx, del); err != nil {
		return false, fmt.Errorf("delete %s after copying it to %s: %w", key, dest, err)
	}
	return true, nil
}

// escapeKey URL-encodes a key for CopySource, keeping its slashes.
func escapeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func notFound(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NoSuchVersion", "NotFound", "404", "MethodNotAllowed": // a delete marker answers 405
			return true
		}
	}
	var nk *types.NoSuchKey
	return errors.As(err, &nk)
}

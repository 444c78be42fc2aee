package grievancetest

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

var _ grievance.Files = (*Files)(nil)

// Files is a grievance.Files that signs nothing: its URLs name the key and
// it remembers the upload policies it was asked for, so tests can check
// what an upload would be bound to.
type Files struct {
	mu       sync.Mutex
	Policies []grievance.UploadPolicy
	// Retired and RetiredTo are the keys and destinations of Retire.
	Retired, RetiredTo []string
	// RetireErr, when set, is what Retire returns.
	RetireErr error
}

// Retire records key (moved to dest).
func (f *Files) Retire(ctx context.Context, key, dest string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.RetireErr != nil {
		return f.RetireErr
	}
	f.Retired, f.RetiredTo = append(f.Retired, key), append(f.RetiredTo, dest)
	return nil
}

// PresignUpload records p and returns a form naming its key.
func (f *Files) PresignUpload(ctx context.Context, p grievance.UploadPolicy) (*grievance.UploadForm, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Policies = append(f.Policies, p)
	return &grievance.UploadForm{URL: "https://files.test/bucket", Fields: map[string]string{"key": p.Key, "Content-Type": p.ContentType}}, nil
}

// PresignDownload returns a URL naming key and, when given, version.
func (f *Files) PresignDownload(ctx context.Context, key, version, fileName, contentType string, ttl time.Duration) (string, error) {
	u := "https://files.test/bucket/" + key + "?ttl=" + url.QueryEscape(ttl.String())
	if version != "" {
		u += "&versionId=" + url.QueryEscape(version)
	}
	return u, nil
}

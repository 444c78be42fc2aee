package scanner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/scanner"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

type recorder struct {
	mu     sync.Mutex
	events []map[string]any
}

func (r *recorder) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev map[string]any
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	return []byte("null"), nil
}

// The stand-in sends GuardDuty's event shape (events/guardduty/*.json):
// EICAR infected, anything else clean, each object once, nothing outside
// attachments/.
func TestScannerSendsGuardDutysEventOncePerObject(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := fmt.Sprintf("scan-%d", os.Getpid())
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	objects := map[string]string{
		"attachments/t/clean":    "%PDF-1.4 a payment slip",
		"attachments/t/eicar":    "prefix " + scanner.EICAR + " suffix",
		"quarantine/t/untouched": scanner.EICAR,
	}
	for k, v := range objects {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(v)}); err != nil {
			t.Fatal(err)
		}
	}
	r := &recorder{}
	sc := &scanner.Scanner{S3: c, Bucket: bucket, Function: r, Log: slog.New(slog.DiscardHandler)}
	for round, want := range []int{2, 0} {
		n, err := sc.ScanOnce(ctx)
		if err != nil || n != want {
			t.Fatalf("round %d: scanned %d, %v; want %d", round, n, err, want)
		}
	}
	got := map[string]string{}
	for _, ev := range r.events {
		if ev["source"] != "aws.guardduty" || ev["detail-type"] != "GuardDuty Malware Protection Object Scan Result" {
			t.Errorf("envelope %v", ev)
		}
		d := ev["detail"].(map[string]any)
		obj := d["s3ObjectDetails"].(map[string]any)
		if d["scanStatus"] != "COMPLETED" || d["resourceType"] != "S3_OBJECT" || obj["bucketName"] != bucket {
			t.Errorf("detail %v", d)
		}
		got[obj["objectKey"].(string)] = d["scanResultDetails"].(map[string]any)["scanResultStatus"].(string)
	}
	want := map[string]string{"attachments/t/clean": "NO_THREATS_FOUND", "attachments/t/eicar": "THREATS_FOUND"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("verdicts %v, want %v", got, want)
	}
}

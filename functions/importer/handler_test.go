package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/directory"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
	"github.com/redress-grm/redress/tools/awsmeter"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

var seq atomic.Int64

type fixture struct {
	h      *Handler
	s3     *s3.Client
	sqs    *sqs.Client
	bucket bootstrap.ImportBucket
	store  *store.Store
	meter  *awsmeter.Meter
	logs   *bytes.Buffer
}

// newFixture gives a handler over fresh tables and a fresh import bucket
// in the test binary's moto; the store's requests are metered.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	n := seq.Add(1)
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("imp%d-%d-", os.Getpid(), n))
	if err != nil {
		t.Fatal(err)
	}
	b, err := bootstrap.CreateImportBucket(ctx, cfg, fmt.Sprintf("imports-%d-%d", os.Getpid(), n), fmt.Sprintf("imports-%d-%d", os.Getpid(), n))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{s3: bootstrap.S3Client(cfg), sqs: sqs.NewFromConfig(cfg), bucket: b, meter: awsmeter.New(), logs: &bytes.Buffer{}}
	// The handler's clients are metered and record their calls as the
	// importer's (REDRESS_CALL_LOG); the test's own go through f.s3.
	mcfg := cfg.Copy()
	f.meter.Attach(&mcfg)
	platform.RecordDirectoryCalls(&mcfg, "importer", names, "", b.Name, "")
	f.store = store.New(mcfg, names)
	f.h = &Handler{S3: bootstrap.S3Client(mcfg), Store: f.store, Now: func() time.Time { return time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC) },
		Log: slog.New(slog.NewJSONHandler(f.logs, nil))}
	return f
}

func (f *fixture) put(t *testing.T, key string, body []byte) {
	t.Helper()
	if _, err := f.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(f.bucket.Name), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) report(t *testing.T, key string) (directory.Report, bool) {
	t.Helper()
	out, err := f.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(f.bucket.Name), Key: aws.String(ReportKey(key))})
	if err != nil {
		return directory.Report{}, false
	}
	defer out.Body.Close()
	var r directory.Report
	if err := json.NewDecoder(out.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r, true
}

// importFile uploads body and, like Lambda's S3 trigger, hands the bucket's
// notifications to the handler until the import's report is written
// (continuations arrive as notifications of state objects).
func (f *fixture) importFile(t *testing.T, key string, body []byte) directory.Report {
	t.Helper()
	ctx := context.Background()
	f.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(f.bucket.Name), Key: aws.String(ReportKey(key))})
	f.put(t, key, body)
	for range 1000 {
		evs, err := bootstrap.ReceiveS3Events(ctx, f.sqs, f.bucket.QueueURL, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range evs {
			var ev events.S3Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			if _, err := f.h.Handle(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		if len(evs) == 0 {
			if r, ok := f.report(t, key); ok {
				return r
			}
		}
	}
	t.Fatal("no report after 1000 polls")
	return directory.Report{}
}

const header = "id,external_id,type,first_name,last_name,dob,sex,phone,email,location,programme,individual_external_id,active\n"

func registry(n int, extra string) []byte {
	var b strings.Builder
	b.WriteString(header)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, ",IND-%06d,individual,Maria%d,Soares%d,1984-03-12,F,+670 7700 %04d,maria%d@example.org,Ainaro/Maubisse,,,true\n", i, i, i, i%10000, i)
	}
	b.WriteString(extra)
	return []byte(b.String())
}

func TestImport_ThousandRowsWithBadRowsThenReimportIsANoOp(t *testing.T) {
	f := newFixture(t)
	bad := ",IND-000007,individual,Dup,Licate,,,,,,,,\n" +
		",IND-X1,individual,Bad,Date,1984-02-30,,,,,,,\n" +
		",IND-X2,individual,Bad,Phone,,,call 555-HELP,,,,,\n" +
		",IND-X3,beneficiary,No,Programme,,,,,,,,\n" +
		",IND-X4,individual,Too,Few\n"
	file := registry(1000, bad)
	r := f.importFile(t, "imports/registry.csv", file)
	if r.Status != "done" || r.Counts != (directory.Counts{Inserted: 1000, Rejected: 5}) {
		t.Fatalf("report = %+v", r)
	}
	wantLines := []int{1002, 1003, 1004, 1005, 1006}
	for i, rr := range r.RejectedRows {
		if rr.Line != wantLines[i] {
			t.Errorf("rejected row %d at line %d, want %d (%s)", i, rr.Line, wantLines[i], rr.Reason)
		}
	}
	if strings.Contains(f.logs.String(), "example.org") || strings.Contains(f.logs.String(), "7700") {
		t.Fatalf("personal data in logs: %s", f.logs.String())
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), "555-HELP") {
		t.Fatalf("report repeats a rejected phone number: %s", b)
	}

	id := directory.DeriveID(grievance.PersonIndividual, "IND-000042")
	got, err := f.store.People(context.Background(), []string{id})
	if err != nil || got[id] == nil || got[id].LastName != "Soares42" || got[id].Phone != "+67077000042" {
		t.Fatalf("imported person = %+v, err %v", got[id], err)
	}

	f.meter.Take()
	again := f.importFile(t, "imports/registry.csv", file)
	if again.Counts != (directory.Counts{Unchanged: 1000, Rejected: 5}) {
		t.Fatalf("re-import report = %+v", again.Counts)
	}
	st := f.meter.Take()
	if w := st["DynamoDB.BatchWriteItem"]; w != nil && w.Calls > 0 {
		t.Fatalf("re-import wrote: %v", st)
	}
}

func TestImport_ContinuesInChunksAcrossInvocations(t *testing.T) {
	f := newFixture(t)
	f.h.ChunkTime = time.Nanosecond // stop after every batch of 100
	file := registry(450, ",IND-000003,individual,Dup,Licate,,,,,,,,\n")
	r := f.importFile(t, "imports/big.csv", file)
	if r.Chunks != 5 || r.Counts != (directory.Counts{Inserted: 450, Rejected: 1}) || r.RejectedRows[0].Line != 452 {
		t.Fatalf("report = %+v", r)
	}
	if _, err := f.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(f.bucket.Name), Key: aws.String("state/big.csv.json")}); err == nil {
		t.Fatal("the state of a finished import is left behind")
	}
}

func TestImport_ChainOfInvocationsIsBounded(t *testing.T) {
	f := newFixture(t)
	f.h.ChunkTime, f.h.MaxChunks = time.Nanosecond, 2
	r := f.importFile(t, "imports/endless.csv", registry(450, ""))
	if r.Status != "failed" || r.Inserted != 200 || !strings.Contains(r.Error, "stopped after 2 invocations at line 201") {
		t.Fatalf("report = %+v", r)
	}
}

func TestImport_BadFilesGetAFailedReport(t *testing.T) {
	f := newFixture(t)
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range header {
		utf16 = append(utf16, byte(r), 0)
	}
	tests := []struct {
		name, key string
		body      []byte
		want      string
	}{
		{"UTF-16", "imports/utf16.csv", utf16, "UTF-16"},
		{"missing columns", "imports/missing.csv", []byte("external_id,type\nA,individual\n"), "missing columns"},
		{"unknown columns", "imports/unknown.csv", []byte("external_id,type,first_name,last_name,nickname\n"), `unknown columns "nickname"`},
		{"10 MB header", "imports/long.csv", bytes.Repeat([]byte("a"), 10<<20), "longer than"},
		{"not a known format", "imports/registry.xlsx", []byte("PK\x03\x04"), "unknown file format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.importFile(t, tt.key, tt.body)
			if r.Status != "failed" || !strings.Contains(r.Error, tt.want) || r.Inserted != 0 {
				t.Fatalf("report = %+v, want failed with %q", r, tt.want)
			}
		})
	}
}

func TestImport_TenMegabyteLineIsOneRejectedRow(t *testing.T) {
	f := newFixture(t)
	body := append(registry(3, ""), []byte(",IND-L,individual,"+strings.Repeat("x", 10<<20)+",Long,,,,,,,,\n,IND-AFTER,individual,Ana,After,,,,,,,,\n")...)
	r := f.importFile(t, "imports/longline.csv", body)
	if r.Counts != (directory.Counts{Inserted: 4, Rejected: 1}) || r.RejectedRows[0].Line != 5 {
		t.Fatalf("report = %+v", r)
	}
}

func TestHandle_ReplaysTheS3EventFixture(t *testing.T) {
	f := newFixture(t)
	raw, err := os.ReadFile("../../events/s3/import-created.json")
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.ReplaceAll(raw, []byte("BUCKET"), []byte(f.bucket.Name))
	var ev events.S3Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	key := "imports/registry 2026-11+district.csv" // the fixture's key, URL-decoded
	put, err := f.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(f.bucket.Name), Key: aws.String(key),
		Body: bytes.NewReader([]byte(header + ",B-1,beneficiary,Ana,Lee,,,,,,cash-transfer,I-1,\n"))})
	if err != nil {
		t.Fatal(err)
	}
	// S3 names the version of a versioned bucket's new object; the
	// importer reads that version (moto's notifications name none).
	ev.Records[0].S3.Object.VersionID = aws.ToString(put.VersionId)
	f.put(t, key, []byte(header+",B-2,beneficiary,Replaced,Meanwhile,,,,,,cash-transfer,,\n"))
	res, err := f.h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if res != (Result{Chunks: 1, Finished: 1, Ignored: 1}) {
		t.Fatalf("result = %+v", res)
	}
	r, ok := f.report(t, key)
	if !ok || r.Inserted != 1 {
		t.Fatalf("report = %+v (found %v)", r, ok)
	}
	id := directory.DeriveID(grievance.PersonBeneficiary, "B-1")
	got, _ := f.store.People(context.Background(), []string{id})
	if got[id] == nil || got[id].IndividualID != directory.DeriveID(grievance.PersonIndividual, "I-1") || got[id].Programme != "cash-transfer" {
		t.Fatalf("beneficiary = %+v", got[id])
	}
}

// TestImport_LargeFile measures a large import against moto (IMPORT_ROWS
// rows, e.g. 100000; skipped when unset): wall time and DynamoDB requests
// per 1,000 rows, first import and re-import.
func TestImport_LargeFile(t *testing.T) {
	var n int
	fmt.Sscan(os.Getenv("IMPORT_ROWS"), &n)
	if n == 0 {
		t.Skip("set IMPORT_ROWS (e.g. 100000) to measure a large import")
	}
	f := newFixture(t)
	f.h.ChunkTime = 60 * time.Second
	file := registry(n, "")
	for _, pass := range []string{"first import", "re-import"} {
		f.meter.Take()
		t0 := time.Now()
		r := f.importFile(t, "imports/large.csv", file)
		took := time.Since(t0)
		st := f.meter.Take()
		if r.Inserted+r.Unchanged != n {
			t.Fatalf("%s: report %+v", pass, r.Counts)
		}
		per := func(op string) float64 {
			if o := st[op]; o != nil {
				return o.Calls * 1000 / float64(n)
			}
			return 0
		}
		tot := st.Total("DynamoDB")
		t.Logf("%s of %d rows (%d bytes): %v in %d chunks; per 1,000 rows: %.1f DynamoDB requests (BatchGetItem %.1f, BatchWriteItem %.1f), %.0f items written, %.1f WCU + %.1f WCU of index copies, %.1f RCU",
			pass, n, len(file), took.Round(time.Millisecond), r.Chunks, tot.Calls*1000/float64(n),
			per("DynamoDB.BatchGetItem"), per("DynamoDB.BatchWriteItem"), tot.ItemsWritten*1000/float64(n), tot.WCU*1000/float64(n),
			tot.IndexWCU*1000/float64(n), tot.RCU*1000/float64(n))
	}
}

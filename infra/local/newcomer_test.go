package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/grievance"
)

// Ensure every JSON configuration snippet in the documentation validates
// on its own with `local config -check`: readers paste them whole, and a
// snippet naming a type missing from grievance_types would be refused.
// A JSON block counts as configuration when one of its top-level keys is
// a configuration key.
func TestDocs_ConfigSnippetsValidate(t *testing.T) {
	root, err := moto.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	ct := reflect.TypeOf(grievance.Config{})
	for i := range ct.NumField() {
		if name, _, _ := strings.Cut(ct.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			keys[name] = true
		}
	}
	if !keys["grievance_types"] || !keys["escalation_levels"] {
		t.Fatalf("configuration keys not found through the json tags: %v", keys)
	}
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	block := regexp.MustCompile("(?s)```json\n(.*?)```")
	checked := 0
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range block.FindAllSubmatch(text, -1) {
			var doc map[string]json.RawMessage
			if json.Unmarshal(m[1], &doc) != nil {
				continue // not an object: a response or an error sample
			}
			isConfig := false
			for k := range doc {
				isConfig = isConfig || keys[k]
			}
			if !isConfig {
				continue
			}
			checked++
			path := filepath.Join(t.TempDir(), "snippet.json")
			if err := os.WriteFile(path, m[1], 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			if err := dispatch(context.Background(), []string{"config", "-check", "-file", path}, env(nil), &out, &errOut); err != nil {
				t.Errorf("%s: snippet does not validate: %v\n%s", filepath.Base(f), err, m[1])
			}
		}
	}
	if checked < 4 {
		t.Fatalf("checked %d configuration snippets, want at least the 4 of configuration.md, confidentiality.md and sla.md", checked)
	}
}

// Ensure what a newcomer does first works on a real stack: the explorer
// page, driven by a real headless chromium, answers a query typed into
// it; and the README walkthrough, run twice in a row on the same stack,
// prints exactly the outputs the README shows.
func TestLocalStack_Newcomer(t *testing.T) {
	root, err := moto.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	base := startNewcomerStack(t, root)

	t.Run("explorer page answers a typed query in chromium", func(t *testing.T) {
		testExplorerInBrowser(t, base)
	})
	t.Run("README walkthrough prints the shown outputs twice in a row", func(t *testing.T) {
		script, want := readmeWalkthrough(t, root, strings.TrimPrefix(base, "http://"))
		for run := 1; run <= 2; run++ {
			t0 := time.Now()
			got := runWalkthrough(t, root, script)
			t.Logf("walkthrough run %d took %s", run, time.Since(t0).Round(time.Millisecond))
			if len(got) != len(want) {
				t.Fatalf("run %d: %d blocks printed, README has %d", run, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i].output {
					t.Fatalf("run %d, README block at line %d:\n%s\nprinted:\n%s\nREADME shows:\n%s", run, want[i].line, want[i].code, got[i], want[i].output)
				}
			}
		}
	})
}

func startNewcomerStack(t *testing.T, root string) string {
	t.Helper()
	endpoint := moto.ForTest(t).Endpoint()
	c, err := configFromEnv(env(map[string]string{
		"AWS_ENDPOINT_URL": endpoint,
		"TABLE_PREFIX":     "newcomer-",
		"EVENT_BUS_NAME":   "newcomer-bus",
		// The walkthrough signs tokens with the default secret and the
		// explorer shows the default command: keep the defaults.
		"LISTEN_ADDR": "127.0.0.1:0",
		"DLQ_DIR":     t.TempDir(),
		"LOG_LEVEL":   "warn",
	}), root)
	if err != nil {
		t.Fatal(err)
	}
	c.BinDir = t.TempDir()
	c.SLAInterval = 0
	out := &syncBuffer{}
	c.Output = out
	t0 := time.Now()
	st, err := startStack(context.Background(), c, slog.New(slog.NewTextHandler(out, nil)))
	if err != nil {
		t.Fatalf("%v\noutput:\n%s", err, out.String())
	}
	t.Logf("stack ready in %s", time.Since(t0).Round(time.Millisecond))
	t.Cleanup(func() {
		st.Stop()
		if t.Failed() {
			t.Logf("stack output:\n%s", out.String())
		}
	})
	return st.URL()
}

// need returns the path of a tool the test needs; without it the test
// fails in CI (make test installs it) and is skipped elsewhere.
func need(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (scripts/install-test-tools.sh installs it)", tool)
		}
		t.Skipf("skipping: %s is not installed (scripts/install-test-tools.sh)", tool)
	}
	return p
}

func testExplorerInBrowser(t *testing.T, base string) {
	chromium := need(t, "chromium")
	tok, err := signToken([]byte(defaultJWTSecret), tokenRequest{Username: "alice", Groups: []string{"GrievanceOfficer"},
		TTL: time.Hour, Issuer: defaultJWTIssuer, Audience: defaultJWTAudience, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // tests run as root, where chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	// Every request the page makes must go to the local stack: the page
	// has to work offline.
	var mu sync.Mutex
	var foreign []string
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && !strings.HasPrefix(e.Request.URL, base) {
			mu.Lock()
			foreign = append(foreign, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Clear(chromedp.CSS("#query")),
		chromedp.SendKeys(chromedp.CSS("#query"), "{ grievanceConfig { grievanceChannels } }"),
		chromedp.Click(chromedp.CSS("#run")),
	)
	if err != nil {
		t.Fatalf("driving the explorer: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("result").textContent.includes("grievanceChannels")`)); err != nil {
		result, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#result")))
		status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status")))
		t.Fatalf("no answer in the result pane: %v (status %q, result %q)", err, status, result)
	}
	tokenCommand, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#token-hint")))
	if err != nil {
		t.Fatal(err)
	}
	result, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#result")))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("explorer: page loaded, query typed and answered in %s", time.Since(t0).Round(time.Millisecond))
	if tokenCommand != "go run ./infra/local token -username alice -groups GrievanceOfficer" {
		t.Errorf("token command on the page=%q", tokenCommand)
	}
	var resp struct {
		Data struct {
			GrievanceConfig struct{ GrievanceChannels []string }
		}
	}
	if err := json.Unmarshal([]byte(result), &resp); err != nil {
		t.Fatalf("result pane holds no JSON response: %v\n%s", err, result)
	}
	if got := fmt.Sprint(resp.Data.GrievanceConfig.GrievanceChannels); got != "[Default Channel A Channel B]" {
		t.Fatalf("channels=%s, want the default channels; result:\n%s", got, result)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(foreign) > 0 {
		t.Fatalf("the page requested other origins: %v", foreign)
	}
}

// walkthroughBlock is a shell block of the README and what it prints.
type walkthroughBlock struct {
	line         int
	code, output string
}

var (
	walkthroughRegion = regexp.MustCompile(`(?s)<!-- walkthrough -->\n(.*?)<!-- /walkthrough -->`)
	fencedBlock       = regexp.MustCompile("(?s)```(\\w+)\n(.*?)```")
)

// readmeWalkthrough returns the README's walkthrough as one bash script
// and the expected output of each shell block: the fenced block right
// after it (only blank lines and prose between), or nothing. The
// README's address is replaced by the test stack's.
func readmeWalkthrough(t *testing.T, root, addr string) (string, []walkthroughBlock) {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	var blocks []walkthroughBlock
	for _, region := range walkthroughRegion.FindAllSubmatchIndex(text, -1) {
		body := text[region[2]:region[3]]
		for _, m := range fencedBlock.FindAllSubmatchIndex(body, -1) {
			lang, content := string(body[m[2]:m[3]]), string(body[m[4]:m[5]])
			if lang != "sh" {
				if len(blocks) == 0 || blocks[len(blocks)-1].output != "" {
					t.Fatalf("README: a %s block in the walkthrough follows no shell block", lang)
				}
				blocks[len(blocks)-1].output = strings.TrimSpace(content)
				continue
			}
			line := 1 + bytes.Count(text[:region[2]+m[0]], []byte("\n"))
			blocks = append(blocks, walkthroughBlock{line: line, code: content})
			script.WriteString(strings.ReplaceAll(content, "127.0.0.1:8080", addr))
			script.WriteString("printf '\\n" + blockEnd + "\\n'\n")
		}
	}
	if len(blocks) < 8 {
		t.Fatalf("README walkthrough has %d shell blocks; the markers <!-- walkthrough --> … <!-- /walkthrough --> are missing?", len(blocks))
	}
	return script.String(), blocks
}

const blockEnd = "--- end of README block ---"

func runWalkthrough(t *testing.T, root, script string) []string {
	t.Helper()
	need(t, "curl")
	need(t, "jq")
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	parts := strings.Split(string(out), blockEnd)
	got := make([]string, 0, len(parts))
	for _, p := range parts[:len(parts)-1] {
		got = append(got, strings.TrimSpace(p))
	}
	return got
}

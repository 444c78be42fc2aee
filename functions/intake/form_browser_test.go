package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"

	"github.com/redress-grm/redress/infra/local/gateway"
	"github.com/redress-grm/redress/shared/grievance"
)

// invoker runs the handler in process behind the local API gateway.
type invoker struct{ h *Handler }

func (i invoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return invokeJSON(ctx, i.h, payload)
}

// Ensure the web form works in a real browser with JavaScript disabled:
// a complaint typed into it is filed (the strict decoder accepts every
// name the form sends) and the page shows the code and the secret; a
// second visit gets a fresh key and files its own complaint with the
// contact typed in; the answer page's tracking form shows the case.
// (Resending one page's key is tested in
// TestIntake_FormPostAnswersAPageWithCodeAndSecret.)
func TestForm_InHeadlessChromiumWithoutJavaScript(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed; `make test` installs it (scripts/install-test-tools.sh)")
		}
		t.Skip("chromium is not installed; run `make test`")
	}
	f := newFixture(t, DefaultLimits)
	routes := map[string]gateway.Invoker{}
	for _, r := range Routes {
		routes[r] = invoker{f.h}
	}
	g := gateway.New(gateway.Config{Routes: []string{}, Public: routes})
	g.SetReady(true)
	srv := httptest.NewServer(g)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // tests run as root, where chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("blink-settings", "scriptEnabled=false"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	t0 := time.Now()
	var pages []string
	for _, steps := range [][]chromedp.Action[chromedp.Void]{
		{
			chromedp.SendKeys(chromedp.CSS("#description"), "The water point in our village has been broken for a month."),
			chromedp.Click(chromedp.CSS("#anonymous")),
		},
		{
			chromedp.SendKeys(chromedp.CSS("#category"), "Category B"),
			chromedp.SendKeys(chromedp.CSS("#description"), "My March payment did not arrive."),
			chromedp.SendKeys(chromedp.CSS(`[name="contact.name"]`), "Ana Silva"),
			chromedp.SendKeys(chromedp.CSS(`[name="contact.phone"]`), "+258 84 123 4567"),
		},
	} {
		all := append([]chromedp.Action[chromedp.Void]{
			chromedp.Navigate(srv.URL + "/intake"),
			chromedp.WaitVisible(chromedp.CSS("#description")),
		}, steps...)
		all = append(all, chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS("#message")))
		if err := chromedp.Do(ctx, all...); err != nil {
			t.Fatalf("driving the form: %v", err)
		}
		html, err := pageHTML(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, html)
	}
	// Follow the first case from the answer page's own form.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#code-input"), "GRS00000001"),
		chromedp.SendKeys(chromedp.CSS("#secret-input"), "abcd efgh"),
		chromedp.Click(chromedp.CSS("#follow")),
		chromedp.WaitVisible(chromedp.CSS("#status")),
	)
	if err != nil {
		t.Fatalf("driving the tracking form: %v", err)
	}
	trackedPage, err := pageHTML(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(trackedPage, `<strong id="status">RECEIVED</strong>`) || !strings.Contains(trackedPage, "Case GRS00000001") {
		t.Fatalf("tracking page:\n%s", trackedPage)
	}
	t.Logf("form filled and sent twice, a case followed, in %s", time.Since(t0).Round(time.Millisecond))
	for i, p := range pages {
		code := fmt.Sprintf("GRS%08d", i+1)
		if !strings.Contains(p, `<strong id="code">`+code+`</strong>`) || !strings.Contains(p, `<strong id="secret">ABCD-EFGH</strong>`) {
			t.Fatalf("answer page %d lacks code %s or the secret:\n%s", i, code, p)
		}
	}
	var got []*grievance.Ticket
	f.st.ScanTickets(context.Background(), grievance.TicketRange{By: grievance.RangeAll}, func(x *grievance.Ticket) (bool, error) {
		got = append(got, x)
		return true, nil
	})
	if len(got) != 2 {
		t.Fatalf("%d tickets, want 2", len(got))
	}
	if c := got[0].Contact; c == nil || !c.Anonymous || got[0].Category != "Default" {
		t.Fatalf("anonymous ticket %+v contact %+v", got[0], c)
	}
	if c := got[1].Contact; c == nil || c.Name != "Ana Silva" || c.Phone != "+258841234567" || got[1].Category != "Category B" {
		t.Fatalf("second ticket %+v contact %+v", got[1], c)
	}
}

// pageHTML reads the page through the DOM domain: with scripts disabled
// there is no JavaScript context to evaluate in.
func pageHTML(ctx context.Context) (string, error) {
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("body")))
	if err != nil {
		return "", err
	}
	out, err := chromedp.Call(ctx, dom.GetOuterHTML, dom.GetOuterHTMLParams{NodeID: nodes[0].NodeID})
	return out.OuterHTML, err
}

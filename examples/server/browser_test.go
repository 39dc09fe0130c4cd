package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// screenshotDir is where TestBrowser writes its screenshots, which the
// README shows.
const screenshotDir = "docs/screenshots"

// maxScreenshot is the largest screenshot the test writes, in bytes.
const maxScreenshot = 200 << 10

// findChromium returns Debian's chromium (or another Chromium-family
// browser on PATH), or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// marketCharts are the market page's charts (uiMarket).
var marketCharts = []string{"cities", "salary", "skills", "experience", "education", "gap", "shortage", "industries", "went", "employers"}

// TestBrowser drives the web UI in headless Chromium against a demo server
// on loopback: the matching page loads a seeker's recommendations with
// both sides' reasons in English (the words the API gives for lang=en);
// clicking "chat" on the first result records the event and changes both
// lists without reloading the page (the result moves to "not shown" as
// already contacted, and the other board shows that job's side); every
// market chart is drawn with data; the Engine page shows the last Fit's
// stages; the page fits a phone's width and the keyboard reaches the skip
// link first; and the browser logs no console error or exception. It
// writes a screenshot of each page to docs/screenshots (the README shows
// them).
//
// Without a Chromium the test skips, except in CI (CI set), where
// .ci/services installs Debian's chromium and the test must run.
func TestBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (.ci/services installs it in CI)")
		}
		t.Skip("no chromium on PATH: install Debian's chromium (apt-get install chromium) to run the browser test")
	}
	// The demo on the real postings when they are there (the quick
	// start's market otherwise), small enough to fit quickly under -race,
	// with a frozen clock so that the screenshots do not change by
	// themselves.
	demo := &DemoConfig{MaxPostings: 1500, Seekers: 1000, Now: time.Date(2026, 2, 4, 9, 0, 0, 0, time.UTC)}
	srv, err := Open(context.Background(), Config{Token: testToken, Demo: demo})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, srv.Close())
	})
	c := newClient(t, hs.URL)
	var session sessionJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/session", nil, &session))
	require.NotEmpty(t, session.Seeker)
	require.NotNil(t, session.Demo)
	t.Logf("demo: %+v; seeker %s", *session.Demo, session.Seeker)

	// The browser, with a watchdog: every step below must finish within
	// its budget, and the browser is killed with the context.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	require.NoError(t, chromedp.Do(bctx), "start the browser")

	// Console messages, collected from here on.
	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(bctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.Text))
				mu.Unlock()
			}
		}
	}()
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, scancel := context.WithTimeout(bctx, 45*time.Second)
		defer scancel()
		require.NoError(t, chromedp.Do(sctx, actions...), name)
	}
	eval := func(expr string, out any) {
		t.Helper()
		sctx, scancel := context.WithTimeout(bctx, 30*time.Second)
		defer scancel()
		raw, err := chromedp.Run(sctx, chromedp.Evaluate[[]byte](expr))
		require.NoError(t, err, expr)
		require.NoError(t, json.Unmarshal(raw, out), "%s → %s", expr, raw)
	}
	shots := map[string][]byte{}
	shoot := func(name string) {
		t.Helper()
		sctx, scancel := context.WithTimeout(bctx, 30*time.Second)
		defer scancel()
		// Let layout and fonts settle.
		require.NoError(t, chromedp.Do(sctx, chromedp.Sleep(300*time.Millisecond)))
		b, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
		require.NoError(t, err, "screenshot %s", name)
		shots[name] = smallPNG(t, b)
	}

	// 1. The matching page, in English.
	base := hs.URL + "/ui/"
	step("open the matching page", chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(base+"#/match?lang=en&id="+url.QueryEscape(session.Seeker)),
		chromedp.WaitVisible(chromedp.CSS("#main-results li.result")),
		chromedp.WaitVisible(chromedp.CSS("#other-results li")))
	var page struct {
		Lang, First, Forward, Backward, Label string
		Results                               int
	}
	eval(`(() => {
		const li = document.querySelector("#main-results li.result");
		return {lang: document.documentElement.lang, first: li.dataset.id, results: document.querySelectorAll("#main-results li.result").length,
			forward: li.querySelector(".why.forward").textContent, backward: li.querySelector(".why.backward").textContent,
			label: document.querySelector("#nav-match").textContent};
	})()`, &page)
	assert.Equal(t, "en", page.Lang)
	assert.Equal(t, "Two-way matching", page.Label)
	var board boardJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/board/"+url.PathEscape(session.Seeker)+"?n=10&lang=en", nil, &board))
	require.NotEmpty(t, board.Results)
	require.Equal(t, board.Results[0].ID, page.First, "the page shows the Engine's first result")
	assert.Equal(t, len(board.Results), page.Results)
	x := board.Results[0].Explanation
	require.NotNil(t, x, "the demo is fitted: results carry explanations")
	require.NotEmpty(t, x.Forward.Reasons)
	for _, r := range x.Forward.Reasons {
		assert.Contains(t, page.Forward, r.Text, "the seeker's reasons, in English, as the API gives them")
	}
	for _, r := range x.Backward.Reasons {
		assert.Contains(t, page.Backward, r.Text, "the job's reasons, in English")
	}
	var zh boardJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/board/"+url.PathEscape(session.Seeker)+"?n=10&lang=zh", nil, &zh))
	assert.NotContains(t, page.Forward, zh.Results[0].Explanation.Forward.Reasons[0].Text, "not the Chinese words")
	t.Logf("first result %s: %s | %s", page.First, page.Forward, page.Backward)
	shoot("matching")

	// 2. Chat on the first result: both lists change, the page does not
	// reload.
	var boot float64
	eval(`window.twowayBoot`, &boot)
	require.NotZero(t, boot)
	step("chat on the first result",
		chromedp.SetValue(chromedp.CSS("#token"), testToken),
		chromedp.Click(chromedp.CSS("#main-results li.result:first-child button.act-chat")))
	{
		sctx, scancel := context.WithTimeout(bctx, 45*time.Second)
		_, err := chromedp.Run(sctx, chromedp.Poll[bool](fmt.Sprintf(
			`document.querySelector("#main-results li.result").dataset.id !== %q && !!document.querySelector('#main-hidden-list li[data-id=%q][data-reason="contacted"]') && document.querySelector("#status").textContent.includes("Recorded")`,
			page.First, page.First)))
		scancel()
		require.NoError(t, err, "after the chat, the first result leaves the list and shows as already contacted")
	}
	var after struct {
		Boot   float64
		IDs    []string
		Status string
		Other  string
		You    string
	}
	eval(`({boot: window.twowayBoot, ids: [...document.querySelectorAll("#main-results li.result")].map((li) => li.dataset.id),
		status: document.querySelector("#status").textContent, other: document.querySelector("#other-card code").textContent,
		you: document.querySelector("#other-you").textContent})`, &after)
	assert.Equal(t, boot, after.Boot, "no reload: the page's boot stamp is the same")
	assert.NotContains(t, after.IDs, page.First)
	assert.Contains(t, after.Status, "Recorded")
	assert.Equal(t, page.First, after.Other, "the other board shows the job just contacted")
	assert.Contains(t, after.You, session.Seeker, "and says where the seeker stands in its list")
	var fresh boardJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/board/"+url.PathEscape(session.Seeker)+"?n=10&lang=en", nil, &fresh))
	assert.NotContains(t, ids2(fresh.Results), page.First, "the Engine hides it too")

	// 3. The market page: every chart drawn with data.
	step("open the market page", chromedp.Click(chromedp.CSS("#nav-market")),
		chromedp.WaitVisible(chromedp.CSS(`#charts figure[data-chart="employers"]`)))
	var charts []struct {
		ID    string
		Marks int
		Said  string
		Empty bool
	}
	eval(`[...document.querySelectorAll("#charts figure.chart")].map((f) => ({id: f.dataset.chart,
		marks: f.querySelectorAll("svg .mark").length, said: (f.querySelector("svg") || {dataset: {}}).dataset.marks || "",
		empty: !!f.querySelector("p.empty")}))`, &charts)
	var got []string
	for _, ch := range charts {
		got = append(got, ch.ID)
		// The quick start's market (when the postings are not beside the
		// repository) is 8 postings: no outcome chart ("went"), and no skill
		// asked for by two comparable postings, the skills chart's floor.
		if session.Demo.Real || (ch.ID != "went" && ch.ID != "skills") {
			assert.False(t, ch.Empty, "chart %s has data", ch.ID)
			assert.Positive(t, ch.Marks, "chart %s draws its data", ch.ID)
			assert.Equal(t, fmt.Sprint(ch.Marks), ch.Said, "chart %s draws every row", ch.ID)
		}
	}
	assert.Equal(t, marketCharts, got)
	var boot2 float64
	eval(`window.twowayBoot`, &boot2)
	assert.Equal(t, boot, boot2, "navigating between pages does not reload")
	shoot("market")

	// 4. The Engine page.
	step("open the engine page", chromedp.Click(chromedp.CSS("#nav-engine")),
		chromedp.WaitVisible(chromedp.CSS(`#engine-charts figure[data-chart="fit-stages"] svg`)))
	var stages int
	eval(`document.querySelectorAll('#engine-charts figure[data-chart="fit-stages"] svg .mark').length`, &stages)
	assert.GreaterOrEqual(t, stages, 5, "the last Fit's stages")
	shoot("engine")

	// 5. A phone's width, in Chinese; the keyboard reaches the skip link
	// first.
	step("phone", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"#/match?lang=zh&id="+url.QueryEscape(session.Seeker)),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#main-results li.result")))
	var fit struct {
		Scroll, Width int
		Lang          string
	}
	eval(`({scroll: document.documentElement.scrollWidth, width: window.innerWidth, lang: document.documentElement.lang})`, &fit)
	assert.LessOrEqual(t, fit.Scroll, fit.Width, "nothing wider than the phone's screen")

	assert.Equal(t, "zh", fit.Lang)
	shoot("matching-phone")
	var focused string
	step("tab", chromedp.KeyEvent("\t"))
	eval(`document.activeElement.className`, &focused)
	assert.Equal(t, "skip", focused, "the first Tab reaches the skip link")

	mu.Lock()
	assert.Empty(t, problems, "console errors")
	mu.Unlock()

	// The screenshots, for the README: written into docs/screenshots only
	// when TWOWAY_SCREENSHOTS=1 (a test run leaves the tracked files
	// alone), else into the test's temporary directory.
	dir := t.TempDir()
	if os.Getenv("TWOWAY_SCREENSHOTS") == "1" {
		dir = screenshotDir
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, name := range slices.Sorted(maps.Keys(shots)) {
		b := shots[name]
		path := filepath.Join(screenshotDir, name+".png")
		assert.Less(t, len(b), maxScreenshot, "%s is small", path)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644))
		assert.True(t, strings.Contains(string(readme), "("+path+")"), "the README shows %s", path)
		assert.FileExists(t, path, "the README's screenshot is committed")
		t.Logf("wrote %s (%d KB)", filepath.Join(dir, name+".png"), len(b)>>10)
	}
}

func ids2(rs []boardResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// smallPNG re-encodes a screenshot with the best compression, and, when it
// is still large, with a palette of the 256 commonest colours (a UI has
// few: flat fills and anti-aliased text).
func smallPNG(t *testing.T, b []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	var out bytes.Buffer
	require.NoError(t, enc.Encode(&out, img))
	if out.Len() < maxScreenshot*3/4 {
		return out.Bytes()
	}
	p := image.NewPaletted(img.Bounds(), commonColours(img, 256))
	draw.Draw(p, p.Bounds(), img, img.Bounds().Min, draw.Src)
	out.Reset()
	require.NoError(t, enc.Encode(&out, p))
	return out.Bytes()
}

// commonColours returns the n commonest colours of img (on a grid of 4
// levels per 8-bit step, so that near-identical anti-aliasing shades count
// as one), commonest first, ties by value.
func commonColours(img image.Image, n int) color.Palette {
	counts := map[color.RGBA]int{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			c.R, c.G, c.B, c.A = c.R&^3, c.G&^3, c.B&^3, 255
			counts[c]++
		}
	}
	cs := slices.Collect(maps.Keys(counts))
	slices.SortFunc(cs, func(a, b color.RGBA) int {
		if d := counts[b] - counts[a]; d != 0 {
			return d
		}
		return int(a.R)<<16 | int(a.G)<<8 | int(a.B) - (int(b.R)<<16 | int(b.G)<<8 | int(b.B))
	})
	pal := make(color.Palette, 0, n)
	for _, c := range cs[:min(n, len(cs))] {
		pal = append(pal, c)
	}
	return pal
}

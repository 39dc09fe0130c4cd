package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/insight"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/text"
)

// The web UI: static files embedded from web/ (no build step), served under
// /ui/, over a few JSON endpoints under /v1/ui/ that gather what a page
// shows in one request. Every read is open and a dry run (the UI is a
// viewer: what it shows is not counted in the exposure ledger); acting
// (POST /v1/ui/act) needs the token.

//go:embed web
var webFiles embed.FS

// The UI's routes.
const (
	routeUIRoot         = "GET /{$}"
	routeUIFiles        = "GET /ui/"
	routeUISession      = "GET /v1/ui/session"
	routeUIParticipants = "GET /v1/ui/participants"
	routeUIBoard        = "GET /v1/ui/board/{id}"
	routeUIPair         = "GET /v1/ui/pair/{requester}/{candidate}"
	routeUIAct          = "POST /v1/ui/act"
	routeUIMarket       = "GET /v1/ui/market"
	routeUIEngine       = "GET /v1/ui/engine"
)

// uiCSP is the Content-Security-Policy of the UI's files: nothing but the
// server's own scripts, styles and requests.
const uiCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// uiRoutes mounts the UI on mux.
func (s *Server) uiRoutes(mux *http.ServeMux) {
	sub, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // web/ is embedded: it is there
	}
	files := http.StripPrefix("/ui/", http.FileServerFS(sub))
	mux.HandleFunc(routeUIRoot, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/", http.StatusFound)
	})
	mux.Handle(routeUIFiles, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", uiCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
	mux.HandleFunc(routeUISession, s.uiSession)
	mux.HandleFunc(routeUIParticipants, s.uiParticipants)
	mux.HandleFunc(routeUIBoard, s.uiBoard)
	mux.HandleFunc(routeUIPair, s.uiPair)
	mux.Handle(routeUIAct, s.admin(s.uiAct))
	mux.HandleFunc(routeUIMarket, s.uiMarket)
	mux.HandleFunc(routeUIEngine, s.uiEngine)
}

// uiQuery reads the query of a UI request: only the names in allowed, each
// at most once, valid UTF-8; lang is text.Chinese or text.English (empty:
// the Engine's language).
func uiQuery(r *http.Request, allowed ...string) (url.Values, text.Language, *apiError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, "", errorf(http.StatusBadRequest, "bad query: %v", err)
	}
	for k, vs := range q {
		if !slices.Contains(allowed, k) && k != "lang" {
			return nil, "", errorf(http.StatusBadRequest, "query parameter %q: unknown (want %s, lang)", k, strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return nil, "", errorf(http.StatusBadRequest, "query parameter %s given %d times", k, len(vs))
		}
		if !validUTF8(k, vs[0]) {
			return nil, "", errorf(http.StatusBadRequest, "query parameter %q is not valid UTF-8", k)
		}
	}
	lang, aerr := parseLang(q.Get("lang"))
	return q, lang, aerr
}

// uiListQuery reads the query of a UI list (n, 1 to 50, default 10; lang)
// and resolves the language.
func (s *Server) uiListQuery(r *http.Request) (int, text.Language, *apiError) {
	q, lang, aerr := uiQuery(r, "n")
	if aerr != nil {
		return 0, "", aerr
	}
	n := 10
	if v := q.Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 50 {
			return 0, "", errorf(http.StatusBadRequest, "n=%q: want 1 to 50", v)
		}
	}
	return n, s.uiLang(lang), nil
}

func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

// parseLang reads a language parameter: "", "zh" or "en".
func parseLang(v string) (text.Language, *apiError) {
	switch l := text.Language(v); l {
	case "", text.Chinese, text.English:
		return l, nil
	}
	return "", errorf(http.StatusBadRequest, "lang=%q: want %s or %s", v, text.Chinese, text.English)
}

// uiLang is the language a UI answer is in: lang, else the Engine's.
func (s *Server) uiLang(lang text.Language) text.Language {
	if lang != "" {
		return lang
	}
	if l := s.engine.Config().Language; l != "" {
		return l
	}
	return text.Chinese
}

// cardJSON is how the UI shows a participant.
type cardJSON struct {
	ID         string      `json:"id"`
	Known      bool        `json:"known"` // false: only the ID is known here
	Side       market.Side `json:"side,omitempty"`
	Title      string      `json:"title,omitempty"`
	Company    string      `json:"company,omitempty"`
	City       string      `json:"city,omitempty"`
	Industry   string      `json:"industry,omitempty"`
	Salary     string      `json:"salary,omitempty"`
	Experience string      `json:"experience,omitempty"`
	Education  string      `json:"education,omitempty"`
	Skills     []string    `json:"skills,omitempty"`
}

// profile returns the profile with id from the UI's catalogue, or else
// from the Engine (a server started from a snapshot has in its catalogue
// only the profiles upserted since).
func (s *Server) profile(id string) (market.Profile, bool) {
	if p, ok := s.ui.profile(id); ok {
		return p, true
	}
	p, err := s.engine.Profile(id)
	return p, err == nil
}

func (s *Server) card(id string, lang text.Language) cardJSON {
	p, ok := s.profile(id)
	if !ok {
		return cardJSON{ID: id}
	}
	c := cardJSON{ID: id, Known: true, Side: p.Side, Title: p.Title, Company: p.Company, City: p.City, Industry: p.Industry,
		Salary: match.SalaryLabel(p.Salary, lang), Skills: p.Skills[:min(len(p.Skills), 6)]}
	if p.Side == market.Recruiter {
		c.Experience = match.ExperienceLabel(p.Experience, lang)
		c.Education = match.EducationLabel(p.Education, lang, true)
	} else {
		c.Experience = yearsLabel(p.Experience.Min, lang)
		c.Education = match.EducationLabel(p.Education, lang, false)
	}
	return c
}

// yearsLabel is a seeker's years of experience in lang.
func yearsLabel(y float64, lang text.Language) string {
	n := strconv.FormatFloat(y, 'f', -1, 64)
	if lang == text.English {
		if y == 1 {
			return "1 year"
		}
		return n + " years"
	}
	return n + "年经验"
}

type sessionJSON struct {
	Now      time.Time `json:"now"`
	Language string    `json:"language"`
	Demo     *demoJSON `json:"demo"`
	// Seeker and Recruiter are participants to start with: those with the
	// most recorded actions.
	Seeker    string `json:"seeker,omitempty"`
	Recruiter string `json:"recruiter,omitempty"`
	Fitted    bool   `json:"fitted"`
	K         int    `json:"k"` // the market page's k-anonymity threshold
}

type demoJSON struct {
	Real     bool   `json:"real"`
	Source   string `json:"source"`
	Postings int    `json:"postings"`
	Seekers  int    `json:"seekers"`
	Events   int    `json:"events"`
}

// uiSession: GET /v1/ui/session, what the UI needs to start.
func (s *Server) uiSession(w http.ResponseWriter, r *http.Request) {
	if _, _, aerr := uiQuery(r); aerr != nil {
		s.fail(w, aerr)
		return
	}
	out := sessionJSON{Now: s.engine.Config().Clock(), Language: string(s.uiLang("")), Demo: s.demo, Fitted: s.engine.Model().Fitted, K: insightK}
	if p := s.ui.search(market.Seeker, "", 1); len(p) > 0 {
		out.Seeker = p[0].ID
	}
	if p := s.ui.search(market.Recruiter, "", 1); len(p) > 0 {
		out.Recruiter = p[0].ID
	}
	s.writeJSON(w, http.StatusOK, out)
}

// insightK is the k of insight's default Config (insight.Config.K's zero
// value), shown on the market page.
const insightK = 5

// uiParticipants: GET /v1/ui/participants?side=&q=&n=, participants to pick
// from (ID, title, company or city containing q), the most active first.
func (s *Server) uiParticipants(w http.ResponseWriter, r *http.Request) {
	q, lang, aerr := uiQuery(r, "side", "q", "n")
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	var side market.Side
	if v := q.Get("side"); v != "" {
		if err := side.UnmarshalText([]byte(v)); err != nil {
			s.fail(w, errorf(http.StatusBadRequest, "side=%q: %v", v, err))
			return
		}
	}
	n := 20
	if v := q.Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 200 {
			s.fail(w, errorf(http.StatusBadRequest, "n=%q: want 1 to 200", v))
			return
		}
	}
	ps := s.ui.search(side, q.Get("q"), n)
	out := make([]cardJSON, len(ps))
	for i, p := range ps {
		out[i] = s.card(p.ID, s.uiLang(lang))
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"participants": out})
}

type boardJSON struct {
	Requester cardJSON      `json:"requester"`
	Urgency   *float64      `json:"urgency"`
	Fitted    bool          `json:"fitted"`
	Language  text.Language `json:"language"`
	Results   []boardResult `json:"results"`
	Filtered  filteredJSON  `json:"filtered"`
	// Hidden are candidates the Engine will not show the requester and
	// why, the latest first (at most maxHidden; HiddenTotal counts all).
	Hidden      []hiddenJSON `json:"hidden"`
	HiddenTotal int          `json:"hidden_total"`
	Degraded    string       `json:"degraded,omitempty"`
}

type boardResult struct {
	recommendationJSON
	Card cardJSON `json:"card"`
}

type hiddenJSON struct {
	Card   cardJSON      `json:"card"`
	Reason string        `json:"reason"` // contacted, declined, declined_by, viewed
	Text   string        `json:"text"`
	Action market.Action `json:"action"`
	Time   time.Time     `json:"time"`
}

// maxHidden bounds the hidden candidates a board lists.
const maxHidden = 12

// uiBoard: GET /v1/ui/board/{id}?n=&lang=, a participant's recommendations
// (a dry run, with both sides' reasons in lang) with a card for each, what
// the filters removed, and the candidates hidden from it and why.
func (s *Server) uiBoard(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	n, lang, aerr := s.uiListQuery(r)
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	s.journal.syncFor(r.Context())
	resp, err := s.engine.Recommend(r.Context(), twoway.Request{ID: id, N: n, Explain: true, Language: lang, DryRun: true})
	if err != nil {
		s.fail(w, engineError(err))
		return
	}
	rec := toRecommendations(resp)
	out := boardJSON{Requester: s.card(id, lang), Urgency: rec.Urgency, Fitted: rec.Fitted, Language: lang,
		Filtered: rec.Filtered, Results: make([]boardResult, len(rec.Results))}
	for i, x := range rec.Results {
		out.Results[i] = boardResult{x, s.card(x.ID, lang)}
	}
	hs := s.ui.hiddenFor(id)
	out.HiddenTotal = len(hs)
	for _, h := range hs[:min(len(hs), maxHidden)] {
		out.Hidden = append(out.Hidden, hiddenJSON{Card: s.card(h.ID, lang), Reason: h.Reason, Text: hiddenText(h, lang), Action: h.Action, Time: h.Time})
	}
	if out.Hidden == nil {
		out.Hidden = []hiddenJSON{}
	}
	if err := s.realtimeErr(); err != nil {
		out.Degraded = err.Error()
	}
	s.writeJSON(w, http.StatusOK, out)
}

// hiddenText says why a candidate is hidden, in lang.
func hiddenText(h hidden, lang text.Language) string {
	day := h.Time.Format("2006-01-02 15:04")
	act := actionWord(h.Action, lang)
	if lang == text.English {
		switch h.Reason {
		case hiddenContacted:
			return "already contacted (" + act + ", " + day + ")"
		case hiddenDeclined:
			return "you declined them (" + day + ")"
		case hiddenDeclinedBy:
			return "they declined you (" + day + ")"
		case hiddenViewed:
			return "already seen (" + act + ", " + day + ")"
		}
		return h.Reason
	}
	switch h.Reason {
	case hiddenContacted:
		return "已联系过（" + act + "，" + day + "）"
	case hiddenDeclined:
		return "你已标记不合适（" + day + "）"
	case hiddenDeclinedBy:
		return "对方已标记不合适（" + day + "）"
	case hiddenViewed:
		return "已看过（" + act + "，" + day + "）"
	}
	return h.Reason
}

// actionWord names an action in lang.
func actionWord(a market.Action, lang text.Language) string {
	zh := map[market.Action]string{market.Impression: "曝光", market.View: "查看", market.Favourite: "收藏", market.Chat: "沟通",
		market.Apply: "投递", market.Reply: "回复", market.Reject: "不合适", market.Hire: "录用"}
	if lang == text.English {
		if a == market.Reject {
			return "decline"
		}
		return a.String()
	}
	if w, ok := zh[a]; ok {
		return w
	}
	return a.String()
}

type pairJSON struct {
	Requester cardJSON `json:"requester"`
	Candidate cardJSON `json:"candidate"`
	// Shown says whether the candidate is in the requester's first N
	// results (Rank, from 1); otherwise Why says why not.
	Shown       bool             `json:"shown"`
	Rank        int              `json:"rank,omitempty"`
	N           int              `json:"n"`
	Why         []whyJSON        `json:"why"`
	Explanation *explanationJSON `json:"explanation,omitempty"`
	// History is what each did to the other, as this process saw it.
	Forward  []actionAt `json:"forward"`
	Backward []actionAt `json:"backward"`
}

type whyJSON struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// deepRank is how far down the requester's list uiPair looks for a
// candidate that is not in its first N.
const deepRank = 300

// uiPair: GET /v1/ui/pair/{requester}/{candidate}?n=&lang=, whether the
// candidate is in the requester's first n (default 10) and, when not, why
// not: hidden (contacted, declined), not active, ranked further down, or
// not among the candidates at all (not recalled, under the match threshold
// or over its exposure cap; the filters' counts say how many each removed);
// with both sides' reasons when the Engine is fitted.
func (s *Server) uiPair(w http.ResponseWriter, r *http.Request) {
	a, aerr := pathID(r, "requester")
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	b, aerr := pathID(r, "candidate")
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	n, lang, aerr := s.uiListQuery(r)
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	out := pairJSON{Requester: s.card(a, lang), Candidate: s.card(b, lang), N: n, Why: []whyJSON{}}
	out.Forward, out.Backward = s.ui.history(a, b)
	why := func(code, zh, en string) { out.Why = append(out.Why, whyJSON{code, pick(lang, zh, en)}) }

	s.journal.syncFor(r.Context())
	x, err := s.engine.Explain(r.Context(), a, b)
	switch {
	case err == nil:
		l := x.Localize(lang, nil)
		j := toExplanation(&l, a, b)
		out.Explanation = &j
	case errors.Is(err, twoway.ErrNotFitted):
		why("not_fitted", "尚未训练：还没有双向匹配度（先重新训练）", "not fitted yet: no two-way match to show (refit first)")
	case errors.Is(err, twoway.ErrInactive):
		// The requester or the candidate is inactive or removed.
		why("inactive", "不活跃或已删除，不会被推荐", "inactive or removed: never recommended")
		s.writeJSON(w, http.StatusOK, out)
		return
	default:
		s.fail(w, engineError(err))
		return
	}
	if h, ok := s.ui.why(a, b); ok {
		why(h.Reason, hiddenText(h, text.Chinese), hiddenText(h, text.English))
	}
	resp, err := s.engine.Recommend(r.Context(), twoway.Request{ID: a, N: deepRank, DryRun: true})
	if err != nil {
		s.fail(w, engineError(err))
		return
	}
	for i, rec := range resp.Results {
		if rec.ID == b {
			if i < n {
				out.Shown, out.Rank = true, i+1
			} else {
				out.Rank = i + 1
				why("ranked_lower", fmt.Sprintf("排在第%d位，只显示前%d位", i+1, n), fmt.Sprintf("ranked #%d; only the first %d are shown", i+1, n))
			}
			break
		}
	}
	if !out.Shown && out.Rank == 0 && len(out.Why) == 0 {
		f := resp.Filtered
		why("not_candidate",
			fmt.Sprintf("不在候选中：未被召回，或低于匹配阈值/超出曝光上限（本次请求：%d人超出曝光上限，%d人低于阈值，%d人超出每家公司上限）", f.Excluded, f.Threshold, f.Company),
			fmt.Sprintf("not among the candidates: not recalled, or under the match threshold or over the exposure cap (in this request %d over the exposure cap, %d under the thresholds, %d over the per-company cap)", f.Excluded, f.Threshold, f.Company))
	}
	s.writeJSON(w, http.StatusOK, out)
}

func pick(lang text.Language, zh, en string) string {
	if lang == text.English {
		return en
	}
	return zh
}

// actRequest is the body of POST /v1/ui/act.
type actRequest struct {
	Actor  string        `json:"actor"`
	Target string        `json:"target"`
	Action market.Action `json:"action"`
}

// uiAct: POST /v1/ui/act {"actor","target","action"}, token. Records one
// event stamped with the Engine's clock (the UI has no clock of the
// Engine's), as POST /v1/events does: 200, or 202 when the real-time store
// failed.
func (s *Server) uiAct(w http.ResponseWriter, r *http.Request) {
	var req actRequest
	if aerr := s.readJSON(w, r, &req); aerr != nil {
		s.fail(w, aerr)
		return
	}
	ev := market.Event{Actor: req.Actor, Target: req.Target, Action: req.Action, Time: s.engine.Config().Clock()}
	s.recordEvents(w, r, []market.Event{ev})
}

// marketJSON is the market page: the query as answered and the charts.
type marketJSON struct {
	City    string      `json:"city"`
	Title   string      `json:"title"`
	Seeker  cardJSON    `json:"seeker"`
	Cities  []string    `json:"cities"`
	Titles  []string    `json:"titles"`
	Seekers []cardJSON  `json:"seekers"`
	K       int         `json:"k"`
	Built   time.Time   `json:"built"`
	Charts  []chartJSON `json:"charts"`
}

// chartJSON is one chart: its SVG and the same figures as a table.
type chartJSON struct {
	ID      string     `json:"id"`
	Title   string     `json:"title"`
	Note    string     `json:"note,omitempty"`
	Empty   string     `json:"empty,omitempty"` // why there is nothing to draw
	SVG     string     `json:"svg,omitempty"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// newChart draws rows as chart id.
func newChart(id, title, note string, rows []bar, format func(float64) string, columns []string, table func(bar) []string, empty string) chartJSON {
	c := chartJSON{ID: id, Title: title, Note: note, Columns: columns, Rows: [][]string{}}
	if len(rows) == 0 {
		c.Empty = empty
		return c
	}
	c.SVG = drawBars("chart-"+id, title, rows, format)
	for _, r := range rows {
		c.Rows = append(c.Rows, table(r))
	}
	return c
}

// uiMarket: GET /v1/ui/market?city=&title=&seeker=&lang=, the market
// page's charts from package insight (people's figures under its
// k-anonymity rules): postings per city, pay by title in the city, the
// skills, experience and education a title asks for, a seeker's skill gap
// for it, the city's shortest supply and industry structure, where people
// wanting the title went and the employers that value it. Empty
// parameters take the biggest city, its most posted title and the most
// active seeker wanting it.
func (s *Server) uiMarket(w http.ResponseWriter, r *http.Request) {
	q, lang, aerr := uiQuery(r, "city", "title", "seeker")
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	lang = s.uiLang(lang)
	v := s.ui.insight()
	if v.err != nil {
		s.fail(w, errorf(http.StatusConflict, "no market to chart: %v", v.err))
		return
	}
	m := v.m
	cities := m.Cities()
	if len(cities) == 0 {
		s.fail(w, errorf(http.StatusConflict, "no market to chart: no posting has a city"))
		return
	}
	out := marketJSON{City: q.Get("city"), Title: q.Get("title"), K: insightK, Built: v.built}
	for _, c := range cities[:min(len(cities), 30)] {
		out.Cities = append(out.Cities, c.City)
	}
	if out.City == "" {
		out.City = cities[0].City
	}
	view, err := m.City(out.City)
	if err != nil {
		s.fail(w, errorf(http.StatusNotFound, "city %q: %v", out.City, err))
		return
	}
	for _, t := range view.Titles {
		out.Titles = append(out.Titles, t.Title)
	}
	if out.Title == "" && len(view.Titles) > 0 {
		// The most posted title whose postings list skills and about which
		// the market can say where people went (a group of at least k); else
		// the most posted one listing skills; else the most posted.
		out.Title = view.Titles[0].Title
		best := 0
		for _, t := range view.Titles[:min(len(view.Titles), 12)] {
			score := 0
			if req, err := m.Requirements(insight.RequirementsQuery{Title: t.Title, City: out.City}); err == nil && len(req.Skills) > 0 {
				score++
				if re, err := m.Reemployment(insight.Background{Titles: []string{t.Title}}); err == nil && len(re.WentTo.Companies) > 0 {
					score++
				}
			}
			if score > best {
				out.Title, best = t.Title, score
			}
			if best == 2 {
				break
			}
		}
	}
	// The seeker: the one asked for, else the most active wanting the title.
	var seeker market.Profile
	seekerID := q.Get("seeker")
	for _, p := range s.ui.search(market.Seeker, "", 400) {
		if insight.TitleKey(p.Title) == insight.TitleKey(out.Title) && len(out.Seekers) < 20 {
			out.Seekers = append(out.Seekers, s.card(p.ID, lang))
			if seekerID == "" {
				seekerID = p.ID
			}
		}
	}
	if seekerID != "" {
		p, ok := s.profile(seekerID)
		if !ok || p.Side != market.Seeker {
			s.fail(w, errorf(http.StatusNotFound, "seeker %q: not known here", seekerID))
			return
		}
		seeker = p
		out.Seeker = s.card(seekerID, lang)
	}
	out.Charts = s.marketCharts(m, lang, cities, view, out.Title, seeker)
	s.writeJSON(w, http.StatusOK, out)
}

// marketCharts draws the market page's charts.
func (s *Server) marketCharts(m *insight.Market, lang text.Language, cities []insight.CitySummary, view insight.CityView, title string, seeker market.Profile) []chartJSON {
	en := lang == text.English
	city := view.City
	share := func(name string) []string { return []string{name, pick(lang, "占比", "share")} }
	none := pick(lang, "没有数据", "no data")
	var charts []chartJSON

	// 1. Postings per city.
	var rows []bar
	for _, c := range cities[:min(len(cities), 12)] {
		rows = append(rows, bar{Label: c.City, Value: float64(c.Postings), Text: strconv.Itoa(c.Postings), Note: pick(lang, "月薪中位数 ", "median pay ") + yuan(c.Pay)})
	}
	charts = append(charts, newChart("cities", pick(lang, "各城市职位数", "Postings per city"), "", rows, count,
		[]string{pick(lang, "城市", "city"), pick(lang, "职位数", "postings")}, func(b bar) []string { return []string{b.Label, b.Text} }, none))

	// 2. Pay by title in the city.
	rows = nil
	for _, t := range view.Titles[:min(len(view.Titles), 8)] {
		req, err := m.Requirements(insight.RequirementsQuery{Title: t.Title, City: city})
		if err != nil || req.Pay.Count == 0 {
			continue
		}
		p := req.Pay
		note := fmt.Sprintf(pick(lang, "%d个职位", "%d postings"), p.Count)
		if req.Scope.CityWidened {
			note += pick(lang, "，全国", ", all cities")
		}
		rows = append(rows, bar{Label: t.Title, Value: p.P50, Lo: p.P25, Hi: p.P75,
			Text: roundYuan(p.P25) + "–" + roundYuan(p.P75), Note: note})
	}
	charts = append(charts, newChart("salary", fmt.Sprintf(pick(lang, "%s各职位月薪（P25–P75，竖线为中位数）", "Monthly pay by title in %s (P25–P75, the line is the median)"), city),
		pick(lang, "按12个月折算的月薪中点", "monthly midpoint, 12-month equivalent"), rows, yuan,
		[]string{pick(lang, "职位", "title"), "P25", "P50", "P75"},
		func(b bar) []string { return []string{b.Label, roundYuan(b.Lo), roundYuan(b.Value), roundYuan(b.Hi)} }, none))

	// 3–5. What the title asks for.
	req, reqErr := m.Requirements(insight.RequirementsQuery{Title: title, City: city})
	scope := ""
	if reqErr == nil {
		scope = fmt.Sprintf(pick(lang, "%d个可比职位", "%d comparable postings"), req.Scope.Postings)
		if req.Scope.CityWidened {
			scope += pick(lang, "（本城太少，含全国）", " (too few here: all cities)")
		}
	}
	freq := func(id, zh, enTitle string, fs []insight.Frequency, label func(string) string) chartJSON {
		var rows []bar
		for _, f := range fs[:min(len(fs), 12)] {
			rows = append(rows, bar{Label: label(f.Name), Value: f.Share, Text: percent(f.Share), Note: fmt.Sprintf(pick(lang, "%d个职位", "%d postings"), f.Count)})
		}
		return newChart(id, fmt.Sprintf(pick(lang, zh, enTitle), title), scope, rows, percent, share(pick(lang, "要求", "asked")),
			func(b bar) []string { return []string{b.Label, b.Text} }, none)
	}
	same := func(s string) string { return s }
	charts = append(charts,
		freq("skills", "“%s”要求的技能", "Skills asked for \"%s\"", req.Skills, same),
		freq("experience", "“%s”要求的经验", "Experience asked for \"%s\"", req.Experience, func(s string) string { return labelEN(s, en) }),
		freq("education", "“%s”要求的学历", "Education asked for \"%s\"", req.Education, func(s string) string { return labelEN(s, en) }))

	// 6. The seeker's skill gap.
	rows = nil
	gapTitle := pick(lang, "技能差距", "Skill gap")
	if seeker.ID != "" {
		gapTitle = fmt.Sprintf(pick(lang, "%s（%s）对“%s”的技能差距", "Skill gap of %s (%s) for \"%s\""), seeker.ID, seeker.Title, title)
		if gap, err := m.SkillGap(insight.GapQuery{Seeker: &seeker, Title: title, City: city}); err == nil {
			for _, n := range gap.Missing[:min(len(gap.Missing), 8)] {
				rows = append(rows, bar{Label: n.Skill, Value: n.Importance, Text: percent(n.Share), Class: "missing", Note: pick(lang, "缺少", "missing")})
			}
			for _, n := range gap.Have[:min(len(gap.Have), 6)] {
				rows = append(rows, bar{Label: n.Skill, Value: n.Importance, Text: percent(n.Share), Class: "have", Note: pick(lang, "已具备", "has it")})
			}
		}
	}
	charts = append(charts, newChart("gap", gapTitle, pick(lang, "条长为重要性（要求占比×薪酬溢价）；深色为缺少的技能，浅色为已具备", "bar length is importance (share asked × pay premium); dark: missing, light: has it; the figure is the share of postings asking"),
		rows, ratio, []string{pick(lang, "技能", "skill"), pick(lang, "要求占比", "share asked"), pick(lang, "状态", "status")},
		func(b bar) []string { return []string{b.Label, b.Text, b.Note} }, pick(lang, "没有求职者或没有可比职位", "no seeker or no comparable postings")))

	// 7. Shortest supply in the city.
	rows = nil
	for _, t := range view.Shortest[:min(len(view.Shortest), 10)] {
		b := bar{Label: t.Title, Value: t.PerSeeker, Text: ratio(t.PerSeeker)}
		if t.Seekers.Suppressed {
			b.Class, b.Text = "suppressed", "≥"+ratio(t.PerSeeker)
			b.Note = fmt.Sprintf(pick(lang, "%d个职位，求职者少于%d人（不公布）", "%d postings, fewer than %d seekers (not published)"), t.Postings, insightK)
		} else {
			b.Note = fmt.Sprintf(pick(lang, "%d个职位，%d位求职者", "%d postings, %d seekers"), t.Postings, t.Seekers.N)
		}
		rows = append(rows, b)
	}
	charts = append(charts, newChart("shortage", fmt.Sprintf(pick(lang, "%s最缺人的职位（每位求职者对应的职位数）", "Shortest supply in %s (postings per seeker)"), city),
		fmt.Sprintf(pick(lang, "求职者少于%d人的组不公布人数，只给下限", "groups of fewer than %d seekers are not published: a lower bound only"), insightK),
		rows, ratio, []string{pick(lang, "职位", "title"), pick(lang, "每位求职者的职位数", "postings per seeker"), pick(lang, "说明", "note")},
		func(b bar) []string { return []string{b.Label, b.Text, b.Note} }, pick(lang, "没有求职者数据", "no seekers known")))

	// 8. Industry structure.
	rows = nil
	for _, ind := range view.Industries[:min(len(view.Industries), 10)] {
		rows = append(rows, bar{Label: ind.Industry, Value: ind.Share, Text: percent(ind.Share),
			Note: fmt.Sprintf(pick(lang, "%d个职位，%d家公司，月薪中位数%s", "%d postings, %d companies, median pay %s"), ind.Postings, ind.Companies, yuan(ind.P50))})
	}
	charts = append(charts, newChart("industries", fmt.Sprintf(pick(lang, "%s的行业结构", "Industry structure of %s"), city), "", rows, percent,
		share(pick(lang, "行业", "industry")), func(b bar) []string { return []string{b.Label, b.Text} }, none))

	// 9–10. Where people with this background went; who values it.
	re, err := m.Reemployment(insight.Background{Titles: []string{title}})
	rows = nil
	var employers []bar
	if err == nil {
		for _, d := range re.WentTo.Industries[:min(len(re.WentTo.Industries), 5)] {
			rows = append(rows, bar{Label: d.Name, Value: float64(d.People.N), Text: strconv.Itoa(d.People.N), Class: "industry", Note: pick(lang, "行业", "industry")})
		}
		for _, d := range re.WentTo.Companies[:min(len(re.WentTo.Companies), 8)] {
			rows = append(rows, bar{Label: d.Name, Value: float64(d.People.N), Text: strconv.Itoa(d.People.N), Class: "company", Note: pick(lang, "公司", "company")})
		}
		for _, e := range re.Companies[:min(len(re.Companies), 10)] {
			employers = append(employers, bar{Label: e.Name, Value: e.Relevance, Text: fmt.Sprintf(pick(lang, "%d个职位", "%d postings"), e.Postings),
				Note: pick(lang, "月薪中位数", "median pay ") + yuan(e.Pay)})
		}
	}
	went := fmt.Sprintf(pick(lang, "未公布%d个少于%d人（含无人）的职位与公司组合", "%d title and company pairs with fewer than %d people (none included) not published"), re.WentTo.Suppressed, insightK)
	charts = append(charts,
		newChart("went", fmt.Sprintf(pick(lang, "想做“%s”的人投递或入职去了哪里（人数）", "Where people wanting \"%s\" applied or were hired (people)"), title), went, rows, count,
			[]string{pick(lang, "去向", "destination"), pick(lang, "人数", "people"), pick(lang, "类别", "kind")},
			func(b bar) []string { return []string{b.Label, b.Text, b.Note} }, fmt.Sprintf(pick(lang, "没有至少%d人的组", "no group of at least %d people"), insightK)),
		newChart("employers", fmt.Sprintf(pick(lang, "看重“%s”背景的雇主（相关度）", "Employers that value a \"%s\" background (relevance)"), title), "", employers, ratio,
			[]string{pick(lang, "公司", "company"), pick(lang, "相关职位", "relevant postings")},
			func(b bar) []string { return []string{b.Label, b.Text} }, none))
	return charts
}

// labelEN turns insight's Chinese experience and education labels
// ("3-5年", "本科", "不限") into English when en.
func labelEN(s string, en bool) string {
	if !en {
		return s
	}
	edu := map[string]string{"不限": "any", "初中及以下": "middle school", "高中/中专": "high school", "大专": "associate",
		"本科": "bachelor's", "硕士": "master's", "博士": "doctorate"}
	if e, ok := edu[s]; ok {
		return e
	}
	if y, ok := strings.CutSuffix(s, "年以上"); ok {
		return y + "+ years"
	}
	if y, ok := strings.CutSuffix(s, "年"); ok {
		return strings.Replace(y, "-", "–", 1) + " years"
	}
	return s
}

// engineJSON is the Engine page.
type engineJSON struct {
	Stats      statsJSON   `json:"stats"`
	Health     string      `json:"health"` // ok, stalled
	Realtime   string      `json:"realtime"`
	Counters   string      `json:"counters,omitempty"`
	Aggregator string      `json:"aggregator"`
	Language   string      `json:"language"`
	Snapshot   string      `json:"snapshot,omitempty"`
	Demo       *demoJSON   `json:"demo"`
	Fitting    *fitRecord  `json:"fitting"`  // the Fit in progress
	LastFit    *fitRecord  `json:"last_fit"` // the last finished one (as this process saw it)
	Refits     []*refitJob `json:"refits"`
	Charts     []chartJSON `json:"charts"`
}

type statsJSON struct {
	Seekers    int       `json:"seekers"`
	Recruiters int       `json:"recruiters"`
	Removed    int       `json:"removed"`
	Events     int       `json:"events"`
	Pending    int       `json:"pending"`
	Fitted     bool      `json:"fitted"`
	FitAt      time.Time `json:"fit_at,omitzero"`
	FitSeconds float64   `json:"fit_seconds"`
	Ledger     int       `json:"ledger"`
	LoadSeeker float64   `json:"ledger_load_seekers"`
	LoadRecr   float64   `json:"ledger_load_recruiters"`
}

// uiEngine: GET /v1/ui/engine?lang=, the Engine's health: its Stats, the
// last Fit's stages, the refit jobs, the real-time store and the charts of
// the Fit's stages and the ledger's load per side.
func (s *Server) uiEngine(w http.ResponseWriter, r *http.Request) {
	_, lang, aerr := uiQuery(r)
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	lang = s.uiLang(lang)
	st := s.engine.Stats()
	out := engineJSON{
		Stats: statsJSON{Seekers: st.Seekers, Recruiters: st.Recruiters, Removed: st.Removed, Events: st.Events, Pending: st.Pending,
			Fitted: st.Fitted, FitAt: st.FitAt, FitSeconds: st.FitTook.Seconds(), Ledger: st.Ledger,
			LoadSeeker: st.LedgerLoad[market.Seeker], LoadRecr: st.LedgerLoad[market.Recruiter]},
		Aggregator: s.engine.Config().Aggregator, Language: string(s.uiLang("")), Snapshot: s.cfg.SnapshotPath,
		Demo: s.demo, Refits: s.refits.list(), Health: "ok", Realtime: "memory",
	}
	if out.Aggregator == "" {
		out.Aggregator = twoway.DefaultAggregator
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HealthTimeout)
	if err := pingEngine(ctx, s.engine); err != nil {
		out.Health = "stalled: " + err.Error()
	}
	cancel()
	if s.store != nil {
		out.Realtime = "redis " + s.cfg.RedisAddr + " ok"
		if err := s.realtimeErr(); err != nil {
			out.Realtime = "redis " + s.cfg.RedisAddr + " unavailable: " + err.Error()
		}
		out.Counters = s.guard.status().detail
	}
	out.Fitting, out.LastFit = s.observer.fitRecords()
	var rows []bar
	if f := out.LastFit; f != nil {
		for _, stg := range f.Stages {
			rows = append(rows, bar{Label: stg.Stage, Value: stg.Seconds, Text: seconds(stg.Seconds)})
		}
	}
	out.Charts = append(out.Charts, newChart("fit-stages", pick(lang, "上次训练各阶段耗时", "Stages of the last Fit"), "", rows, seconds,
		[]string{pick(lang, "阶段", "stage"), pick(lang, "耗时", "time")}, func(b bar) []string { return []string{b.Label, b.Text} },
		pick(lang, "本进程还没有训练过", "no Fit in this process yet")))
	rows = []bar{
		{Label: pick(lang, "求职者", "seekers"), Value: st.LedgerLoad[market.Seeker], Text: ratio(st.LedgerLoad[market.Seeker])},
		{Label: pick(lang, "职位", "jobs"), Value: st.LedgerLoad[market.Recruiter], Text: ratio(st.LedgerLoad[market.Recruiter])},
	}
	out.Charts = append(out.Charts, newChart("ledger", pick(lang, "曝光账本负载（预期联系数）", "Exposure-ledger load (expected contacts)"),
		fmt.Sprintf(pick(lang, "账本中有%d人", "%d participants in the ledger"), st.Ledger), rows, count,
		[]string{pick(lang, "一方", "side"), pick(lang, "负载", "load")}, func(b bar) []string { return []string{b.Label, b.Text} }, ""))
	s.writeJSON(w, http.StatusOK, out)
}

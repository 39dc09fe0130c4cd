// twoway's web UI: three pages over the server's JSON API, no framework and
// no build step. Everything the server sends is put in the page as text
// (textContent), except the charts' SVG, which the server draws and
// escapes itself.
"use strict";

const STRINGS = {
  zh: {
    "skip": "跳到正文", "nav": "页面", "nav.match": "双向匹配", "nav.market": "市场", "nav.engine": "引擎状态",
    "lang": "语言", "token": "令牌（操作需要）",
    "match.title": "双向匹配",
    "match.lead": "选一位求职者或一个职位：看双方的匹配度、紧迫度、饱和度和双方的理由；沟通或标记不合适后，两边的列表同时更新。",
    "pick.side": "一方", "side.seeker": "求职者", "side.recruiter": "职位",
    "pick.who": "参与者（ID、职位、公司或城市）", "pick.show": "显示",
    "board.main": "推荐", "board.other": "对方的推荐",
    "board.otherHint": "选一条推荐的“对方视角”，看对方的推荐列表里有没有你。",
    "hidden.title": "没有显示的人和原因", "whynot.label": "为什么没有推荐……？（输入ID）", "whynot.ask": "查询",
    "market.title": "市场",
    "market.lead": "来自 insight 包的图表：关于人的数字至少由 k 个人汇总（k 匿名），更小的组不公布。",
    "market.city": "城市", "market.jobTitle": "职位名称", "market.seeker": "求职者（技能差距）", "market.show": "更新图表",
    "engine.title": "引擎状态", "engine.refit": "重新训练", "engine.jobs": "训练任务",
    "m.twoway": "双向匹配", "m.forward": "你→TA", "m.backward": "TA→你", "m.urgency": "TA的紧迫度",
    "m.saturation": "TA的饱和度", "m.answer": "可回复", "m.myUrgency": "紧迫度",
    "why.forward": "你为什么会感兴趣", "why.backward": "TA为什么会回应", "why.concerns": "顾虑",
    "act.view": "查看", "act.chat": "沟通", "act.reject": "不合适", "act.reply": "回复", "act.focus": "对方视角",
    "act.done": "已记录：{actor} {action} {target}，两边的列表已更新。",
    "act.needToken": "操作需要令牌：请先在右上角输入令牌。",
    "none": "没有推荐。", "notFitted": "尚未训练：结果只来自召回。",
    "filtered": "过滤：{seen}人已联系，{blocked}人互相不合适，{excluded}人超出曝光上限，{threshold}人低于阈值，{company}人超出每家公司上限（共{eligible}人可选）。",
    "hidden.none": "没有被隐藏的人。", "hidden.more": "……还有{n}人",
    "you.in": "{you}在{them}的推荐里排第{rank}位。", "you.notIn": "{you}不在{them}的前{n}位推荐里：{why}",
    "loading": "加载中……", "error": "出错了：{msg}",
    "chart.table": "数据表", "chart.empty": "没有可画的数据：{why}",
    "f.profiles": "资料", "f.seekers": "求职者", "f.recruiters": "职位", "f.events": "行为记录", "f.pending": "上次训练后的新行为",
    "f.fitted": "已训练", "f.fitAt": "上次训练的参考时间", "f.fitTook": "上次训练耗时", "f.ledger": "曝光账本人数",
    "f.health": "自检", "f.realtime": "实时特征存储", "f.counters": "计数器", "f.aggregator": "双向聚合", "f.language": "理由语言",
    "f.snapshot": "快照", "f.demo": "演示数据", "yes": "是", "no": "否",
    "job.id": "任务", "job.status": "状态", "job.started": "开始", "job.fit": "训练秒数", "job.stages": "阶段", "job.none": "本进程还没有训练任务（POST /v1/refit 或上面的按钮）。",
    "refit.started": "训练任务{id}已开始……", "refit.status": "训练任务{id}：{status}",
    "demo.real": "演示：{postings}个真实职位（{source}），{seekers}位模拟求职者，{events}条模拟行为。",
    "demo.quick": "演示：快速入门的小市场（{postings}个职位，{seekers}位求职者）。",
  },
  en: {
    "skip": "Skip to the content", "nav": "Pages", "nav.match": "Two-way matching", "nav.market": "Market", "nav.engine": "Engine health",
    "lang": "Language", "token": "Token (for actions)",
    "match.title": "Two-way matching",
    "match.lead": "Pick a seeker or a job: see both directions' match, urgency, saturation and the reasons of both sides; chat or decline and watch both lists change at once.",
    "pick.side": "Side", "side.seeker": "Seeker", "side.recruiter": "Job",
    "pick.who": "Participant (ID, title, company or city)", "pick.show": "Show",
    "board.main": "Recommendations", "board.other": "Their recommendations",
    "board.otherHint": "Choose \"Their side\" on a result to see whether you are in their list.",
    "hidden.title": "Who is not shown, and why", "whynot.label": "Why not …? (an ID)", "whynot.ask": "Ask",
    "market.title": "Market",
    "market.lead": "Charts from package insight: every figure about people is over at least k of them (k-anonymity); smaller groups are not published.",
    "market.city": "City", "market.jobTitle": "Job title", "market.seeker": "Seeker (skill gap)", "market.show": "Update the charts",
    "engine.title": "Engine health", "engine.refit": "Refit", "engine.jobs": "Refit jobs",
    "m.twoway": "two-way", "m.forward": "you → them", "m.backward": "them → you", "m.urgency": "their urgency",
    "m.saturation": "their saturation", "m.answer": "can answer", "m.myUrgency": "urgency",
    "why.forward": "Why you", "why.backward": "Why them", "why.concerns": "Concerns",
    "act.view": "View", "act.chat": "Chat", "act.reject": "Decline", "act.reply": "Reply", "act.focus": "Their side",
    "act.done": "Recorded: {actor} {action} {target}; both lists are updated.",
    "act.needToken": "Actions need the token: enter it at the top right first.",
    "none": "No recommendations.", "notFitted": "Not fitted yet: the results come from recall alone.",
    "filtered": "Filtered: {seen} already contacted, {blocked} declined either way, {excluded} over the exposure cap, {threshold} under the thresholds, {company} over the per-company cap (of {eligible} eligible).",
    "hidden.none": "Nobody is hidden.", "hidden.more": "… and {n} more",
    "you.in": "{you} is #{rank} in {them}'s recommendations.", "you.notIn": "{you} is not in {them}'s first {n}: {why}",
    "loading": "Loading …", "error": "Something went wrong: {msg}",
    "chart.table": "Data table", "chart.empty": "Nothing to draw: {why}",
    "f.profiles": "Profiles", "f.seekers": "seekers", "f.recruiters": "jobs", "f.events": "Events logged", "f.pending": "Events since the last Fit",
    "f.fitted": "Fitted", "f.fitAt": "Last Fit's reference time", "f.fitTook": "Last Fit took", "f.ledger": "Participants in the exposure ledger",
    "f.health": "Self-check", "f.realtime": "Real-time store", "f.counters": "Counters", "f.aggregator": "Two-way aggregator", "f.language": "Language of reasons",
    "f.snapshot": "Snapshot", "f.demo": "Demo data", "yes": "yes", "no": "no",
    "job.id": "job", "job.status": "status", "job.started": "started", "job.fit": "fit seconds", "job.stages": "stages", "job.none": "No refit job in this process yet (POST /v1/refit, or the button above).",
    "refit.started": "Refit job {id} started …", "refit.status": "Refit job {id}: {status}",
    "demo.real": "Demo: {postings} real postings ({source}), {seekers} simulated seekers, {events} simulated events.",
    "demo.quick": "Demo: the quick start's small market ({postings} jobs, {seekers} seekers).",
  },
};

const ACTIONS = ["view", "chat", "reject", "reply"];

const state = {
  lang: "zh",
  session: null,
  page: "match",
  id: "",      // the main board's participant
  focus: "",   // the other board's participant
  unfocused: false, // the user closed the other board
  n: 10,
  market: { city: "", title: "", seeker: "" },
};

// t returns the string key in the current language, with {name}s filled in.
function t(key, args) {
  let s = (STRINGS[state.lang] || STRINGS.zh)[key] || STRINGS.en[key] || key;
  for (const [k, v] of Object.entries(args || {})) s = s.split("{" + k + "}").join(String(v));
  return s;
}

// el makes an element with attributes and children (strings become text).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const $ = (id) => document.getElementById(id);

function pct(x) { return x === null || x === undefined ? "—" : Math.round(100 * x) + "%"; }
function fmt(x) { return x === null || x === undefined ? "—" : x.toFixed(2); }

function status(msg, isError) {
  const s = $("status");
  s.textContent = msg || "";
  s.classList.toggle("error", !!isError);
}

function token() { return $("token").value.trim(); }

// api fetches a JSON endpoint; a non-2xx answer throws its error message.
async function api(path, opts) {
  const o = Object.assign({ headers: {} }, opts || {});
  if (o.body !== undefined && typeof o.body !== "string") {
    o.body = JSON.stringify(o.body);
    o.headers["Content-Type"] = "application/json";
  }
  if (o.auth) {
    if (!token()) throw new Error(t("act.needToken"));
    o.headers["Authorization"] = "Bearer " + token();
  }
  const resp = await fetch(path, o);
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(body.error || resp.status + " " + resp.statusText);
  return body;
}

function q(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== undefined && v !== null) u.set(k, v);
  const s = u.toString();
  return s ? "?" + s : "";
}

function enc(id) { return encodeURIComponent(id); }

// ---- language and routing

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll("[data-i18n-label]")) e.setAttribute("aria-label", t(e.dataset.i18nLabel));
  for (const b of document.querySelectorAll(".langs button")) b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang));
  document.title = "twoway · " + t("nav." + state.page);
  const d = state.session && state.session.demo;
  $("foot-demo").textContent = d ? t(d.real ? "demo.real" : "demo.quick", d) : "";
}

// The location is #/page?key=value: the page and its state, so that a view
// can be linked and the back button works.
function readHash() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const p = new URLSearchParams(query || "");
  state.page = ["match", "market", "engine"].includes(path) ? path : "match";
  if (p.get("lang") === "en" || p.get("lang") === "zh") state.lang = p.get("lang");
  if (state.page === "match") {
    state.id = p.get("id") || state.id;
    state.focus = p.get("focus") || "";
  }
  if (state.page === "market") {
    state.market = { city: p.get("city") || "", title: p.get("title") || "", seeker: p.get("seeker") || "" };
  }
}

function writeHash(replace) {
  const p = { lang: state.lang };
  if (state.page === "match") Object.assign(p, { id: state.id, focus: state.focus });
  if (state.page === "market") Object.assign(p, state.market);
  const h = "#/" + state.page + q(p);
  if (h !== location.hash) {
    if (replace) history.replaceState(null, "", h);
    else history.pushState(null, "", h);
  }
}

async function route() {
  readHash();
  for (const name of ["match", "market", "engine"]) {
    $("page-" + name).hidden = name !== state.page;
    const a = $("nav-" + name);
    if (name === state.page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  applyLanguage();
  status("");
  try {
    if (state.page === "match") await showMatch();
    if (state.page === "market") await showMarket();
    if (state.page === "engine") await showEngine();
  } catch (err) {
    status(t("error", { msg: err.message }), true);
  }
}

// ---- the matching page

function metric(label, value, cls) {
  return el("div", { class: "metric " + (cls || "") }, el("dt", { text: label }), el("dd", { text: value }));
}

function cardLine(c) {
  const bits = [c.company, c.city, c.salary, c.experience, c.education].filter(Boolean);
  return bits.join(" · ");
}

function whoCard(c, urgency) {
  return el("div", { class: "who" },
    el("p", { class: "who-title" }, el("strong", { text: c.title || c.id }), " ", el("code", { text: c.id })),
    el("p", { class: "who-sub", text: cardLine(c) }),
    c.skills && c.skills.length ? el("p", { class: "skills", text: c.skills.join(" · ") }) : null,
    urgency !== undefined ? el("p", { class: "who-urgency", text: t("m.myUrgency") + " " + pct(urgency) }) : null);
}

// sep and colon punctuate lists of reasons in the page's language.
function sep() { return state.lang === "en" ? "; " : "；"; }
function colon() { return state.lang === "en" ? ": " : "："; }

function reasons(label, dir, cls) {
  if (!dir || !dir.reasons || !dir.reasons.length) return null;
  return el("p", { class: "why " + cls }, el("strong", { text: label + colon() }), dir.reasons.map((r) => r.text).join(sep()));
}

function resultItem(owner, r, i, opts) {
  const x = r.explanation;
  const actions = el("div", { class: "actions", role: "group", "aria-label": r.card.title || r.id });
  for (const a of ACTIONS) {
    actions.append(el("button", { type: "button", class: "act act-" + a, "data-act": a, "data-target": r.id,
      onclick: () => act(owner, r.id, a) }, t("act." + a)));
  }
  if (opts.focus) {
    actions.append(el("button", { type: "button", class: "act act-focus", "data-act": "focus", "aria-pressed": String(state.focus === r.id),
      onclick: () => focusOn(r.id) }, t("act.focus")));
  }
  const concerns = x && x.forward.concerns && x.forward.concerns.length
    ? el("p", { class: "why concerns" }, el("strong", { text: t("why.concerns") + colon() }), x.forward.concerns.map((c) => c.text).join(sep())) : null;
  return el("li", { class: "result" + (opts.highlight === r.id ? " highlight" : "") + (state.focus === r.id && opts.focus ? " focused" : ""), "data-id": r.id },
    el("div", { class: "r-head" },
      el("span", { class: "rank", "aria-hidden": "true", text: String(i + 1) }),
      el("h3", { class: "r-title" }, r.card.title || r.id),
      el("span", { class: "r-sub", text: cardLine(r.card) })),
    el("dl", { class: "metrics" },
      metric(t("m.twoway"), fmt(r.two_way), "main"),
      metric(t("m.forward"), pct(r.forward)),
      metric(t("m.backward"), pct(r.backward)),
      metric(t("m.urgency"), pct(r.urgency)),
      metric(t("m.saturation"), pct(r.saturation)),
      metric(t("m.answer"), pct(r.answer))),
    x ? reasons(t("why.forward"), x.forward, "forward") : null,
    x ? reasons(t("why.backward"), x.backward, "backward") : null,
    concerns,
    actions);
}

function renderBoard(prefix, b, opts) {
  $(prefix + "-card").replaceChildren(whoCard(b.requester, b.urgency));
  const list = $(prefix + "-results");
  list.replaceChildren(...b.results.map((r, i) => resultItem(b.requester.id, r, i, opts)));
  if (!b.results.length) list.append(el("li", { class: "empty", text: t("none") }));
  if (!b.fitted) list.prepend(el("li", { class: "empty", text: t("notFitted") }));
}

async function board(id) {
  return api("/v1/ui/board/" + enc(id) + q({ n: state.n, lang: state.lang }));
}

async function showMatch() {
  if (!state.session) state.session = await api("/v1/ui/session");
  if (!state.id) state.id = state.session.seeker || state.session.recruiter || "";
  if (!state.id) return;
  writeHash(true);
  await refreshBoards();
}

// refreshBoards reloads both boards at once.
async function refreshBoards() {
  const main = board(state.id);
  let other = state.focus ? board(state.focus) : null;
  let pair = state.focus ? api("/v1/ui/pair/" + enc(state.focus) + "/" + enc(state.id) + q({ n: state.n, lang: state.lang })) : null;
  const b = await main;
  if (!other && !state.unfocused && b.results.length) {
    // Start with the first result's side of the story.
    state.focus = b.results[0].id;
    writeHash(true);
    other = board(state.focus);
    pair = api("/v1/ui/pair/" + enc(state.focus) + "/" + enc(state.id) + q({ n: state.n, lang: state.lang }));
  }
  document.querySelector(`#pick input[value="${b.requester.side || "seeker"}"]`).checked = true;
  if (!$("who").value) $("who").value = state.id;
  renderBoard("main", b, { focus: true });
  renderHidden(b);
  if (other) {
    const [ob, p] = await Promise.all([other, pair]);
    $("other-hint").hidden = true;
    renderBoard("other", ob, { highlight: state.id });
    $("other-you").textContent = p.shown
      ? t("you.in", { you: state.id, them: state.focus, rank: p.rank })
      : t("you.notIn", { you: state.id, them: state.focus, n: p.n, why: p.why.map((w) => w.text).join(sep()) || "—" });
  } else {
    $("other-hint").hidden = false;
    $("other-card").replaceChildren();
    $("other-results").replaceChildren();
    $("other-you").textContent = "";
  }
}

function renderHidden(b) {
  $("main-filtered").textContent = t("filtered", b.filtered);
  const list = $("main-hidden-list");
  list.replaceChildren(...b.hidden.map((h) => el("li", { "data-id": h.card.id, "data-reason": h.reason },
    el("strong", { text: h.card.title || h.card.id }), " ", el("code", { text: h.card.id }), " — ", h.text)));
  if (!b.hidden.length) list.append(el("li", { class: "empty", text: t("hidden.none") }));
  if (b.hidden_total > b.hidden.length) list.append(el("li", { text: t("hidden.more", { n: b.hidden_total - b.hidden.length }) }));
}

async function focusOn(id) {
  state.focus = state.focus === id ? "" : id;
  state.unfocused = !state.focus; // the user closed the other side: keep it closed
  writeHash(false);
  await refreshBoards();
  if (state.focus) $("board-other-h").focus();
}

// act records actor's action on target, then reloads both lists in place.
async function act(actor, target, action) {
  try {
    await api("/v1/ui/act", { method: "POST", auth: true, body: { actor, target, action } });
    if (actor === state.id) state.focus = target; // show the other side of what was just done
    writeHash(true);
    await refreshBoards();
    status(t("act.done", { actor, target, action: t("act." + action) }));
  } catch (err) {
    status(t("error", { msg: err.message }), true);
  }
}

async function suggest() {
  const side = document.querySelector("#pick input[name=side]:checked").value;
  const r = await api("/v1/ui/participants" + q({ side, q: $("who").value, n: 30, lang: state.lang }));
  $("who-list").replaceChildren(...r.participants.map((c) => el("option", { value: c.id }, [c.title, c.company, c.city].filter(Boolean).join(" · "))));
}

// ---- the market page

function chartFigure(c) {
  const fig = el("figure", { class: "chart", "data-chart": c.id, id: "chart-" + c.id + "-fig" });
  fig.append(el("figcaption", {}, el("h2", { text: c.title }), c.note ? el("p", { class: "note", text: c.note }) : null));
  if (c.svg) {
    const box = el("div", { class: "svg-box" });
    box.innerHTML = c.svg; // drawn and escaped by the server
    fig.append(box);
    const table = el("table", {},
      el("thead", {}, el("tr", {}, c.columns.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, c.rows.map((row) => el("tr", {}, row.map((v) => el("td", { text: v }))))));
    fig.append(el("details", { class: "data" }, el("summary", { text: t("chart.table") }), el("div", { class: "table-wrap" }, table)));
  } else {
    fig.append(el("p", { class: "empty", text: t("chart.empty", { why: c.empty }) }));
  }
  return fig;
}

function fillSelect(sel, values, chosen, label) {
  sel.replaceChildren(...values.map((v) => el("option", { value: typeof v === "string" ? v : v.id, selected: (typeof v === "string" ? v : v.id) === chosen },
    label ? label(v) : v)));
}

async function showMarket() {
  const m = await api("/v1/ui/market" + q(Object.assign({ lang: state.lang }, state.market)));
  state.market = { city: m.city, title: m.title, seeker: m.seeker.id || "" };
  writeHash(true);
  fillSelect($("m-city"), m.cities, m.city);
  fillSelect($("m-title"), m.titles, m.title);
  fillSelect($("m-seeker"), m.seekers, m.seeker.id, (c) => c.id + " · " + (c.title || "") + " · " + (c.city || ""));
  $("charts").replaceChildren(...m.charts.map(chartFigure));
}

// ---- the engine page

function fact(label, value) { return [el("dt", { text: label }), el("dd", { text: value })]; }

async function showEngine() {
  const e = await api("/v1/ui/engine" + q({ lang: state.lang }));
  const s = e.stats;
  const facts = [
    fact(t("f.profiles"), `${s.seekers} ${t("f.seekers")} · ${s.recruiters} ${t("f.recruiters")}`),
    fact(t("f.events"), String(s.events)),
    fact(t("f.pending"), String(s.pending)),
    fact(t("f.fitted"), s.fitted ? t("yes") : t("no")),
    s.fit_at ? fact(t("f.fitAt"), s.fit_at.replace("T", " ").replace(/\..*|Z$/, "")) : null,
    fact(t("f.fitTook"), s.fit_seconds.toFixed(1) + " s"),
    fact(t("f.ledger"), String(s.ledger)),
    fact(t("f.health"), e.health),
    fact(t("f.realtime"), e.realtime),
    e.counters ? fact(t("f.counters"), e.counters) : null,
    fact(t("f.aggregator"), e.aggregator),
    fact(t("f.language"), e.language),
    e.snapshot ? fact(t("f.snapshot"), e.snapshot) : null,
    e.demo ? fact(t("f.demo"), t(e.demo.real ? "demo.real" : "demo.quick", e.demo)) : null,
  ].filter(Boolean).flat();
  $("engine-facts").replaceChildren(...facts);
  $("engine-charts").replaceChildren(...e.charts.map(chartFigure));
  const table = $("jobs");
  table.tHead.replaceChildren(el("tr", {}, ["job.id", "job.status", "job.started", "job.fit", "job.stages"].map((k) => el("th", { scope: "col", text: t(k) }))));
  if (!e.refits.length) {
    table.tBodies[0].replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "empty", text: t("job.none") })));
    return;
  }
  table.tBodies[0].replaceChildren(...e.refits.map((j) => el("tr", {},
    el("td", { text: j.id }), el("td", { text: j.status }), el("td", { text: j.started.replace("T", " ").replace(/\..*/, "") }),
    el("td", { text: (j.fit_seconds || 0).toFixed(1) }), el("td", { text: j.stages.map((x) => x.stage).join(" → ") }))));
}

async function refit() {
  try {
    const j = await api("/v1/refit", { method: "POST", auth: true });
    $("refit-status").textContent = t("refit.started", { id: j.id });
    let job = j;
    while (job.status === "running") {
      await new Promise((r) => setTimeout(r, 1000));
      job = await api("/v1/refit/" + enc(j.id));
      $("refit-status").textContent = t("refit.status", { id: j.id, status: job.status + (job.stage ? " · " + job.stage : "") });
    }
    const why = job.error || job.snapshot_error;
    if (why) $("refit-status").textContent = t("refit.status", { id: j.id, status: job.status + " · " + why });
    await showEngine();
  } catch (err) {
    $("refit-status").textContent = t("error", { msg: err.message });
  }
}

// ---- start

function start() {
  const saved = localStorage.getItem("twoway.lang");
  if (saved === "zh" || saved === "en") state.lang = saved;
  $("token").value = sessionStorage.getItem("twoway.token") || "";
  $("token").addEventListener("change", () => sessionStorage.setItem("twoway.token", token()));
  for (const b of document.querySelectorAll(".langs button")) {
    b.addEventListener("click", () => {
      state.lang = b.dataset.lang;
      localStorage.setItem("twoway.lang", state.lang);
      writeHash(true);
      route();
    });
  }
  $("pick").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.id = $("who").value.trim();
    state.focus = "";
    state.unfocused = false;
    writeHash(false);
    route();
  });
  let timer = 0;
  $("who").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => suggest().catch(() => {}), 200);
  });
  $("whynot").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = $("whynot-id").value.trim();
    if (!id) return;
    try {
      const p = await api("/v1/ui/pair/" + enc(state.id) + "/" + enc(id) + q({ n: state.n, lang: state.lang }));
      $("whynot-answer").textContent = p.shown ? t("you.in", { you: id, them: state.id, rank: p.rank })
        : p.why.map((w) => w.text).join(sep());
    } catch (err) {
      $("whynot-answer").textContent = t("error", { msg: err.message });
    }
  });
  $("market-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const city = $("m-city").value;
    const cityChanged = city !== state.market.city;
    state.market = { city, title: cityChanged ? "" : $("m-title").value, seeker: cityChanged ? "" : $("m-seeker").value };
    writeHash(false);
    route();
  });
  $("refit").addEventListener("click", refit);
  window.addEventListener("hashchange", route);
  window.twowayBoot = Date.now(); // the browser test checks that actions never reload the page
  route();
}

start();

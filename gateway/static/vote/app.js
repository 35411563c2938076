// The residents' voting client: a small hash router over six pages (login, my proposals,
// proposal detail, confirmation, receipt, objection). Plain ES modules, no build step, no external requests.

import { ApiError, Q, gql, login, session } from "./api.js";
import { esc, formatArea, resultsChart } from "./charts.js";
import { translate } from "./i18n.js";

const LANG = "linli.vote.lang";
const ELDERLY = "linli.vote.elderly";
const TENANT = "linli.vote.tenant";
const POLL_MS = 10000;
// The API takes objections in these statuses, of 1–5000 characters (service.file_objection).
const OBJECTABLE = ["preliminary", "objection"];
// From the close of voting on, objections may have been filed: the detail page shows how many, and the
// caller's own (also on a proposal cancelled during its objection period, when there are any).
const AFTER_VOTE = [...OBJECTABLE, "final", "executed", "defeated", "defeated_no_quorum"];
// Only a passed proposal gets an objection period; one that did not pass (on consent or for low
// turnout) never had one, so nothing may say that it "ended".
const NO_OBJECTION_PERIOD = ["defeated", "defeated_no_quorum"];
const OBJECTION_MAX = 5000;
// What an owner reads when the API refuses an objection, by error code (a CONFLICT by the proposal's status).
const OBJECTION_ERRORS = {
  CONFLICT: (e) => objectionRefusal(e.extensions.status),
  FORBIDDEN: "objectionForbidden",
  BAD_USER_INPUT: "objectionInvalid",
};

const state = {
  lang: localStorage.getItem(LANG) || "zh",
  elderly: localStorage.getItem(ELDERLY) === "1",
  timer: null,
  // Unsent objection texts by proposal id: in memory only (never stored), so that a failed submit,
  // a language switch or logging in again after an expired session loses nothing. Cleared on log
  // out and when someone else logs in on the same page (a shared phone).
  drafts: new Map(),
  draftsOf: null, // "tenant/account" whose drafts these are
};

const t = (key, params) => translate(state.lang, state.elderly, key, params);
const main = () => document.getElementById("main");

// ---- chrome: language, elderly mode, logout -------------------------------------------------

function applyPreferences() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.documentElement.classList.toggle("elderly", state.elderly);
  document.body.classList.toggle("elderly", state.elderly);
  document.title = t("appTitle");
  document.getElementById("app-title").textContent = t("appTitle");
  document.getElementById("skip").textContent = t("skip");
  const langBtn = document.getElementById("lang-toggle");
  langBtn.textContent = t("language");
  langBtn.setAttribute("aria-label", `${t("language")} (${t("languageLabel")})`);
  const eld = document.getElementById("elderly-toggle");
  eld.textContent = state.elderly ? t("elderlyOn") : t("elderly");
  eld.setAttribute("aria-pressed", String(state.elderly));
  const out = document.getElementById("logout");
  out.textContent = t("logout");
  out.hidden = !session.token;
}

function wireChrome() {
  document.getElementById("lang-toggle").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem(LANG, state.lang);
    route();
  });
  document.getElementById("elderly-toggle").addEventListener("click", () => {
    state.elderly = !state.elderly;
    localStorage.setItem(ELDERLY, state.elderly ? "1" : "0");
    route();
  });
  document.getElementById("logout").addEventListener("click", () => {
    session.clear();
    state.drafts.clear();
    location.hash = "#/login";
  });
}

// ---- helpers ---------------------------------------------------------------------------------

function when(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
}

function yuan(fen) {
  return `¥${(fen / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A refused workflow step as a sentence in the page's language: the API's CONFLICT carries the
 * proposal's `status` and the `step` (vote, object...) or a `reason`; null when it carries neither. */
function stateSentence(e) {
  const { status, step, reason } = e.extensions || {};
  if (reason && t(`reason_${reason}`) !== `reason_${reason}`) return t(`reason_${reason}`);
  if (!status || !step) return null;
  const rule = ["vote", "object"].includes(step) ? `rule_${step}` : "rule_other";
  return t("stateError", { state: t(`state_${status}`), rule: t(rule) });
}

/** The owner's wording of an error; `messages` maps API error codes to keys for this page's action
 * (or to a function of the error returning the key). */
function explain(e, messages = {}) {
  if (e instanceof ApiError) {
    if (e.code === "UNAUTHENTICATED") return t("sessionExpired");
    const key = typeof messages[e.code] === "function" ? messages[e.code](e) : messages[e.code];
    if (key) return t(key);
    const sentence = e.code === "CONFLICT" ? stateSentence(e) : null;
    if (sentence) return sentence;
    if (e.code === "FORBIDDEN") return `${t("forbidden")}（${e.message}）`;
    if (e.code === "NETWORK") return t("network");
    if (e.code === "NOT_FOUND") return t("notFound");
    return `${t("error")}: ${e.message}`;
  }
  return e && e.message ? e.message : `${t("error")}: ${e}`; // the client's own messages are already worded for owners
}

function showError(e, where = main(), messages = {}) {
  if (e instanceof ApiError && e.code === "UNAUTHENTICATED") {
    session.clear();
    location.hash = "#/login";
    return;
  }
  let box = where.querySelector(".error");
  if (!box) {
    box = document.createElement("div");
    box.className = "error";
    box.setAttribute("role", "alert");
    where.prepend(box);
  }
  box.textContent = explain(e, messages);
}

function render(html) {
  const m = main();
  m.innerHTML = html;
  const h = m.querySelector("h1");
  if (h) {
    h.tabIndex = -1;
    h.focus({ preventScroll: false });
  }
  return m;
}

function field(label, value, cls = "") {
  return `<div class="field ${cls}"><dt>${esc(label)}</dt><dd>${value}</dd></div>`;
}

const mono = (s) => (s ? `<code class="hash">${esc(s)}</code>` : "—");

// ---- pages ----------------------------------------------------------------------------------

function loginPage() {
  const tenant = new URLSearchParams(location.search).get("tenant") || localStorage.getItem(TENANT) || "";
  const m = render(`
    <h1>${esc(t("loginTitle"))}</h1>
    <p>${esc(t("loginIntro"))}</p>
    <form id="login-form" class="card" novalidate>
      <label for="tenant">${esc(t("tenant"))}</label>
      <input id="tenant" name="tenant" autocomplete="organization" value="${esc(tenant)}" required>
      <label for="username">${esc(t("username"))}</label>
      <input id="username" name="username" autocomplete="username" required>
      <label for="password">${esc(t("password"))}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit" class="primary">${esc(t("login"))}</button>
    </form>`);
  m.querySelector("#login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const button = f.querySelector("button");
    button.disabled = true;
    try {
      await login(f.username.value.trim(), f.password.value, f.tenant.value.trim());
      localStorage.setItem(TENANT, f.tenant.value.trim());
      const who = `${f.tenant.value.trim()}/${f.username.value.trim()}`;
      if (state.draftsOf !== who) state.drafts.clear();
      state.draftsOf = who;
      location.hash = "#/";
    } catch (e) {
      showError(e.code === "UNAUTHENTICATED" || e.code === "BAD_USER_INPUT" ? new Error(t("loginFailed")) : e);
      button.disabled = false;
    }
  });
}

async function listPage() {
  render(`<h1>${esc(t("myProposals"))}</h1><p aria-busy="true">${esc(t("loading"))}</p>`);
  const { myProposals } = await gql(Q.myProposals);
  const items = myProposals.map((p) => `
    <li class="card proposal-item">
      <a href="#/p/${encodeURIComponent(p.id)}" class="item-link">
        <span class="badge status-${esc(p.status)}">${esc(t(`status_${p.status}`))}</span>
        <span class="item-title">${esc(p.title)}</span>
        <span class="item-meta">${esc(t(`matter_${p.matter}`))}</span>
        <span class="item-meta">${esc(t("votingEnds"))}: ${esc(when(p.votingEndsAt))}</span>
        ${OBJECTABLE.includes(p.status) && p.objectionEndsAt ? `<span class="item-meta">${esc(t("objectionEnds"))}: ${esc(when(p.objectionEndsAt))}</span>` : ""}
        <span class="item-meta ${p.myVote ? "voted" : ""}">${esc(p.myVote ? `✓ ${t("voted")}` : t("notVoted"))}</span>
      </a>
    </li>`).join("");
  render(`<h1>${esc(t("myProposals"))}</h1>${items ? `<ul class="list">${items}</ul>` : `<p>${esc(t("noProposals"))}</p>`}`);
}

async function detailPage(id) {
  render(`<h1>${esc(t("loading"))}</h1>`);
  const { proposal: p } = await gql(Q.proposal, { id });
  if (!p) throw new ApiError("not found", "NOT_FOUND");
  const docs = p.documents.length
    ? `<ul class="docs">${p.documents.map((d) => `<li><a href="${esc(d.url)}">${esc(d.name)}</a><br><small>${esc(t("sha256"))}: ${mono(d.sha256)}</small></li>`).join("")}</ul>`
    : `<p>${esc(t("noDocuments"))}</p>`;
  const units = p.myUnits.map((u) => `
    <div class="card unit">
      <dl>
        ${field(t("unit"), esc(`${u.buildingName} ${u.unitNumber}`))}
        ${field(t("area"), `<span class="nowrap">${esc(formatArea(u.area))}</span>`)}
        ${field(t("shareOfScope"), esc(`${(u.shareBp / 100).toFixed(2)}%`))}
        ${field(t("estimatedCost"), u.estimatedCostFen === null ? esc(t("noCost")) : `<b class="nowrap">${esc(yuan(u.estimatedCostFen))}</b>`)}
      </dl>
    </div>`).join("");
  let action = "";
  if (p.myVote) {
    action = `<p class="voted-note">✓ ${esc(t("voted"))}: <b>${esc(t(p.myVote.choice))}</b></p>
      <a class="button primary" href="#/p/${encodeURIComponent(p.id)}/receipt">${esc(t("viewReceipt"))}</a>`;
  } else if (p.status === "voting") {
    action = `<fieldset class="choices"><legend>${esc(t("votePrompt"))}</legend>
      ${["FOR", "AGAINST", "ABSTAIN"].map((c) => `<a class="button choice choice-${c}" href="#/p/${encodeURIComponent(p.id)}/confirm/${c}">${esc(t(c))}</a>`).join("")}
      </fieldset>`;
  }
  const live = p.status === "voting";
  const preliminary = OBJECTABLE.includes(p.status);
  const objectionsAfter = !preliminary
    && ((AFTER_VOTE.includes(p.status) && !NO_OBJECTION_PERIOD.includes(p.status)) || p.objectionCount > 0);
  const results = `<section aria-labelledby="h-results"><h2 id="h-results">${esc(t(live ? "liveResults" : preliminary ? "preliminaryResults" : "finalResults"))}</h2>
      <div id="results" aria-live="polite" aria-atomic="true">${resultsChart(p.tally, p.matter, t, p.status)}</div></section>`;
  const m = render(`
    <p><a href="#/" class="back">← ${esc(t("back"))}</a></p>
    <h1>${esc(p.title)}</h1>
    <dl class="meta">
      ${field(t("status"), `<span class="badge status-${esc(p.status)}">${esc(t(`status_${p.status}`))}</span>`)}
      ${field(t("matter"), esc(t(`matter_${p.matter}`)))}
      ${field(t("votingStarts"), esc(when(p.votingStartsAt)))}
      ${field(t("votingEnds"), esc(when(p.votingEndsAt)))}
      ${p.objectionEndsAt ? field(t("objectionEnds"), esc(when(p.objectionEndsAt))) : ""}
      ${field(t("scope"), esc(p.scopeBuildings.length ? p.scopeBuildings.join("、") : t("allBuildings")))}
    </dl>
    <section aria-labelledby="h-body"><h2 id="h-body">${esc(t("body"))}</h2><div class="body-text">${esc(p.body).replace(/\n/g, "<br>")}</div>
      <p><small>${esc(t("contentHash"))}: ${mono(p.contentHash)}</small></p></section>
    <section aria-labelledby="h-docs"><h2 id="h-docs">${esc(t("documents"))}</h2>${docs}</section>
    <section aria-labelledby="h-units"><h2 id="h-units">${esc(t("myShare"))}</h2>${units}</section>
    <section aria-labelledby="h-action" class="action"><h2 id="h-action" class="visually-hidden">${esc(t("votePrompt"))}</h2>${action}</section>
    ${preliminary ? `${objectionNotice(p)}${results}` : results}
    ${objectionsAfter ? objectionNotice(p) : ""}`);
  showMyObjections(m, p);
  if (live) {
    let last = JSON.stringify(p.tally);
    state.timer = setInterval(async () => {
      try {
        const { proposal } = await gql(Q.tally, { id });
        const now = JSON.stringify(proposal && proposal.tally);
        if (proposal && now !== last) {
          last = now;
          m.querySelector("#results").innerHTML = resultsChart(proposal.tally, p.matter, t, proposal.status);
        }
      } catch { /* a missed poll is retried at the next tick */ }
    }, POLL_MS);
  }
}

async function confirmPage(id, choice) {
  render(`<h1>${esc(t("loading"))}</h1>`);
  const { proposal: p } = await gql(Q.proposal, { id });
  if (!p) throw new ApiError("not found", "NOT_FOUND");
  if (p.myVote) {
    location.replace(`#/p/${encodeURIComponent(id)}/receipt`);
    return;
  }
  const m = render(`
    <h1>${esc(t("confirmTitle"))}</h1>
    <p>${esc(t("confirmText"))}</p>
    <div class="card">
      <p class="confirm-title">${esc(p.title)}</p>
      <p>${esc(t("yourChoice"))}: <b class="big-choice choice-${esc(choice)}">${esc(t(choice))}</b></p>
      <div class="row">
        <button id="confirm" class="primary">${esc(t("confirm"))}</button>
        <a class="button" href="#/p/${encodeURIComponent(id)}">${esc(t("cancel"))}</a>
      </div>
    </div>
    <details class="card self-custody">
      <summary>${esc(t("selfCustody"))}</summary>
      <p>${esc(t("selfCustodyHelp"))}</p>
      <label for="private-key">${esc(t("privateKey"))}</label>
      <input id="private-key" type="password" autocomplete="off" spellcheck="false" inputmode="text">
      <p>${esc(t("keyAddress"))}: <code id="key-address" class="hash">—</code></p>
      <button id="sign" class="primary" disabled>${esc(t("signAndVote"))}</button>
    </details>
    <div id="status" role="status" aria-live="polite"></div>`);
  const status = m.querySelector("#status");
  const confirm = m.querySelector("#confirm");
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    status.textContent = t("submitting");
    try {
      await gql(Q.castVote, { p: id, c: choice });
      location.hash = `#/p/${encodeURIComponent(id)}/receipt`;
    } catch (e) {
      status.textContent = "";
      if (isAlreadyVoted(e)) await showVoteRecorded(m, id, e);
      else showError(e);
    }
  });
  wireSelfCustody(m, id, choice, status);
}

function isAlreadyVoted(e) {
  return e instanceof ApiError && e.code === "CONFLICT" && ["already_voted", "co_owner"].includes(e.extensions.reason);
}

/** A second vote was refused: say which vote is on record, in the page's language — the caller's
 * own (re-read from the API, with a link to its receipt), or the co-owner who voted or is designated. */
async function showVoteRecorded(m, id, e) {
  let mine = null;
  try {
    const { proposal } = await gql(Q.proposal, { id });
    mine = proposal && proposal.myVote;
  } catch { /* worded from the error alone */ }
  const who = (name) => (name === "another co-owner" ? t("anotherCoOwner") : name);
  let text;
  if (mine) {
    text = t("alreadyVotedAs", { choice: t(mine.choice), status: t(mine.status) });
  } else {
    const { voted_by: votedBy = [], designated = [] } = e.extensions;
    const parts = [
      ...votedBy.filter((v) => !v.mine).map((v) => t("coOwnerVoted", { name: who(v.name), units: v.units })),
      ...designated.map((d) => t("coOwnerDesignated", { name: who(d.name), units: d.units })),
    ];
    text = parts.length ? `${parts.join(state.lang === "zh" ? "；" : "; ")}${state.lang === "zh" ? "。" : "."}` : t("reason_already_voted");
  }
  showError(new Error(text), m);
  if (mine) {
    const link = document.createElement("a");
    link.className = "button primary";
    link.href = `#/p/${encodeURIComponent(id)}/receipt`;
    link.textContent = t("viewReceipt");
    m.querySelector(".error").append(" ", link);
  }
}

let ethersModule = null;
async function ethers() {
  // Loaded only on demand: the vendored library is large and most owners vote custodially.
  ethersModule = ethersModule || (await import("./vendor/ethers-6.17.0.min.js"));
  return ethersModule;
}

function wireSelfCustody(m, id, choice, status) {
  const input = m.querySelector("#private-key");
  const addressOut = m.querySelector("#key-address");
  const sign = m.querySelector("#sign");
  let wallet = null;
  input.addEventListener("input", async () => {
    const stale = m.querySelector(".error");
    if (stale) stale.remove();
    const { Wallet } = await ethers();
    try {
      wallet = new Wallet(input.value.trim());
      addressOut.textContent = wallet.address;
      sign.disabled = false;
    } catch {
      wallet = null;
      addressOut.textContent = input.value.trim() ? t("keyInvalid") : "—";
      sign.disabled = true;
    }
  });
  sign.addEventListener("click", async () => {
    if (!wallet) return;
    sign.disabled = true;
    status.textContent = t("submitting");
    try {
      const { ballotTypedData } = await gql(Q.ballotTypedData, { p: id, c: choice });
      const typed = JSON.parse(ballotTypedData);
      const voter = typed.message && typed.message.voter;
      if (voter && voter.toLowerCase() !== wallet.address.toLowerCase()) throw new Error(t("keyMismatch"));
      const types = { ...typed.types };
      delete types.EIP712Domain; // ethers derives the domain type itself
      const signature = await wallet.signTypedData(typed.domain, types, typed.message);
      input.value = "";
      wallet = null;
      await gql(Q.castSignedVote, { p: id, c: choice, a: voter || addressOut.textContent, s: signature });
      location.hash = `#/p/${encodeURIComponent(id)}/receipt`;
    } catch (e) {
      status.textContent = "";
      if (isAlreadyVoted(e)) await showVoteRecorded(m, id, e);
      else showError(e);
      sign.disabled = !wallet;
    }
  });
}

async function receiptPage(id) {
  render(`<h1>${esc(t("loading"))}</h1>`);
  const { proposal: p } = await gql(Q.proposal, { id });
  if (!p || !p.myVote) {
    location.replace(`#/p/${encodeURIComponent(id)}`);
    return;
  }
  const r = p.myVote;
  const support = { AGAINST: 0, FOR: 1, ABSTAIN: 2 }[r.choice];
  const m = render(`
    <p><a href="#/p/${encodeURIComponent(id)}" class="back">← ${esc(t("back"))}</a></p>
    <h1>${esc(t("receiptTitle"))}</h1>
    <p>${esc(t("receiptIntro"))}</p>
    <div class="card receipt">
      <p class="confirm-title">${esc(p.title)}</p>
      <dl>
        ${field(t("yourChoice"), `<b class="big-choice choice-${esc(r.choice)}">${esc(t(r.choice))}</b>`)}
        ${field(t("receiptStatus"), `<span id="receipt-status">${esc(t(r.status))}</span>`)}
        ${field(t("txHash"), `<span id="tx-hash">${mono(r.txHash)}</span>`)}
        ${field(t("block"), `<span id="block-number">${esc(r.blockNumber ?? "—")}</span>`)}
        ${field(t("voter"), mono(r.voterAddress))}
        ${field(t("governanceAddress"), mono(r.governanceAddress))}
        ${field(t("chainId"), esc(r.chainId))}
        ${field(t("chainProposalId"), mono(r.chainProposalId))}
      </dl>
      ${r.status === "pending" ? `<p class="note pending-note">${esc(t("pendingNote"))}</p>` : ""}
      <button id="verify" class="primary">${esc(t("verify"))}</button>
      <div id="verify-result" role="status" aria-live="polite"></div>
    </div>
    <details class="card">
      <summary>${esc(t("howToVerify"))}</summary>
      <p>${esc(t("howToVerifyText", { chainId: r.chainId, address: r.governanceAddress, proposal: r.chainProposalId, voter: r.voterAddress, support }))}</p>
    </details>`);
  if (r.status === "pending") {
    // the relayer sends the ballot in the background: follow it until it is in a block
    state.timer = setInterval(async () => {
      try {
        const { proposal } = await gql(Q.proposal, { id });
        const v = proposal && proposal.myVote;
        if (v && v.status !== "pending") {
          clearInterval(state.timer);
          m.querySelector("#receipt-status").textContent = t(v.status);
          m.querySelector("#tx-hash").innerHTML = mono(v.txHash);
          m.querySelector("#block-number").textContent = v.blockNumber ?? "—";
          const note = m.querySelector(".pending-note");
          if (note) note.remove();
        }
      } catch { /* retried at the next tick */ }
    }, 1500);
  }
  const button = m.querySelector("#verify");
  const out = m.querySelector("#verify-result");
  button.addEventListener("click", async () => {
    button.disabled = true;
    out.className = "";
    out.textContent = t("verifying");
    try {
      const { verifyVoteReceipt: v } = await gql(Q.verify, { p: id });
      const ok = v.onChain && v.matchesChoice;
      out.className = ok ? "verify-ok" : "verify-bad";
      out.textContent = ok ? `✓ ${t("verifyOk")} ${t("block")} ${v.blockNumber ?? ""}` : `✗ ${t("verifyBad")}: ${v.message}`;
      if (ok && v.blockNumber !== null) m.querySelector("#block-number").textContent = v.blockNumber;
    } catch (e) {
      out.textContent = "";
      showError(e);
    } finally {
      button.disabled = false;
    }
  });
}

// ---- objections (异议公示) ---------------------------------------------------------------------

/** True when the caller may object now: the proposal takes objections, the caller owns a unit in its
 * scope, and the deadline (if already set) has not passed. The API decides; this only spares a refusal. */
function objectionOpen(p) {
  const before = !p.objectionEndsAt || new Date(p.objectionEndsAt) > new Date();
  return OBJECTABLE.includes(p.status) && p.myUnits.length > 0 && before;
}

/** Why an objection is refused, by the proposal's status: not yet (voting still runs), none (the
 * proposal did not pass, so there is no objection period), or over. */
function objectionRefusal(status) {
  if (["draft", "published", "voting"].includes(status)) return "objectionNotOpen";
  if (NO_OBJECTION_PERIOD.includes(status)) return "objectionNone";
  return "objectionClosed";
}

/** The objection box on the detail page: while the preliminary result is on notice, the deadline and
 * the way to object; from then on, how many objections were filed and the caller's own (an empty
 * list here, filled by showMyObjections so that no owner's text goes through innerHTML). */
function objectionNotice(p) {
  const href = `#/p/${encodeURIComponent(p.id)}/objection`;
  const onNotice = OBJECTABLE.includes(p.status);
  const total = t(p.objectionCount === 1 ? "objectionTotalOne" : "objectionTotal", { n: p.objectionCount });
  return `<section aria-labelledby="h-objection" class="card objection-notice">
      <h2 id="h-objection">${esc(t("objectionPeriod"))}</h2>
      ${onNotice ? `<p>${esc(t("objectionNotice"))}</p>` : ""}
      ${onNotice || p.objectionEndsAt ? `<dl>${field(t("objectionEnds"), `<b id="objection-deadline">${esc(when(p.objectionEndsAt))}</b>`)}</dl>` : ""}
      <p id="objection-total" class="objection-total">${esc(total)}</p>
      ${p.myObjections.length ? `<h3 id="h-my-objections">${esc(t("myObjections"))}</h3>
      <ol id="my-objections" class="my-objections" aria-labelledby="h-my-objections"></ol>` : ""}
      ${objectionOpen(p)
        ? `<a id="file-objection" class="button primary" href="${href}">${esc(t("fileObjection"))}</a>`
        : `<p class="note">${esc(t(p.myUnits.length ? objectionRefusal(p.status) : "objectionForbidden"))}</p>`}
    </section>`;
}

/** Lists the caller's objections, oldest first, as text nodes: what an owner wrote is never parsed as HTML. */
function showMyObjections(m, p) {
  const list = m.querySelector("#my-objections");
  if (!list) return;
  for (const o of p.myObjections) {
    const filedAt = document.createElement("time");
    filedAt.dateTime = o.filedAt;
    filedAt.textContent = when(o.filedAt);
    const label = document.createElement("p");
    label.className = "filed-at";
    label.append(`${t("filedAt")}: `, filedAt);
    const text = document.createElement("div");
    text.className = "body-text filed-objection";
    text.textContent = o.text;
    const item = document.createElement("li");
    item.append(label, text);
    list.append(item);
  }
}

async function objectionPage(id) {
  render(`<h1>${esc(t("loading"))}</h1>`);
  const { proposal: p } = await gql(Q.proposal, { id });
  if (!p) throw new ApiError("not found", "NOT_FOUND");
  if (objectionOpen(p)) {
    objectionForm(p);
    return;
  }
  const why = objectionRefusal(p.status);
  const draft = state.drafts.get(p.id);
  render(`
    <p><a href="#/p/${encodeURIComponent(p.id)}" class="back">← ${esc(t("back"))}</a></p>
    <h1>${esc(t("fileObjection"))}</h1>
    <p class="note closed-note">${esc(t(p.myUnits.length ? why : "objectionForbidden"))}</p>
    ${draft ? `<div class="card"><p>${esc(t("objectionDraftKept"))}</p><div class="body-text objection-text">${esc(draft).replace(/\n/g, "<br>")}</div></div>` : ""}`);
}

function objectionForm(p) {
  const m = render(`
    <p><a href="#/p/${encodeURIComponent(p.id)}" class="back">← ${esc(t("back"))}</a></p>
    <h1>${esc(t("fileObjection"))}</h1>
    <p>${esc(t("objectionIntro"))}</p>
    <div class="card">
      <p class="confirm-title">${esc(p.title)}</p>
      <dl>${field(t("objectionEnds"), `<b>${esc(when(p.objectionEndsAt))}</b>`)}</dl>
    </div>
    <form id="objection-form" class="card" novalidate>
      <label for="objection-text">${esc(t("objectionText"))}</label>
      <textarea id="objection-text" name="text" rows="7" maxlength="${OBJECTION_MAX}" required aria-describedby="objection-count"></textarea>
      <p id="objection-count" class="note counter"></p>
      <button type="submit" class="primary">${esc(t("objectionSubmit"))}</button>
    </form>`);
  const area = m.querySelector("#objection-text");
  const count = m.querySelector("#objection-count");
  const recount = () => { count.textContent = t("objectionCount", { n: area.value.trim().length, max: OBJECTION_MAX }); };
  area.value = state.drafts.get(p.id) || "";
  recount();
  area.addEventListener("input", () => {
    state.drafts.set(p.id, area.value);
    area.removeAttribute("aria-invalid");
    recount();
  });
  m.querySelector("#objection-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = area.value.trim();
    if (!text || text.length > OBJECTION_MAX) {
      // refused here, before any request: the API would answer BAD_USER_INPUT
      showError(new Error(t(text ? "objectionInvalid" : "objectionEmpty")));
      area.setAttribute("aria-invalid", "true");
      area.focus();
      return;
    }
    objectionConfirm(p, text);
  });
}

function objectionConfirm(p, text) {
  const m = render(`
    <h1>${esc(t("objectionConfirmTitle"))}</h1>
    <p>${esc(t("objectionConfirmText"))}</p>
    <div class="card">
      <p class="confirm-title">${esc(p.title)}</p>
      <p>${esc(t("yourObjection"))}:</p>
      <div class="body-text objection-text">${esc(text).replace(/\n/g, "<br>")}</div>
      <div class="row">
        <button id="confirm" class="primary">${esc(t("objectionConfirm"))}</button>
        <button id="edit" type="button">${esc(t("cancel"))}</button>
      </div>
    </div>
    <div id="status" role="status" aria-live="polite"></div>`);
  const status = m.querySelector("#status");
  const confirm = m.querySelector("#confirm");
  m.querySelector("#edit").addEventListener("click", () => objectionForm(p));
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    status.textContent = t("submitting");
    try {
      await gql(Q.fileObjection, { p: p.id, t: text });
      state.drafts.delete(p.id);
      objectionDone(p, text);
    } catch (e) {
      if (e instanceof ApiError && e.code === "UNAUTHENTICATED") {
        showError(e); // to the login page; the draft waits in memory
        return;
      }
      objectionForm(p); // back to the text, unchanged, with the reason above it
      showError(e, main(), OBJECTION_ERRORS);
    }
  });
}

function objectionDone(p, text) {
  render(`
    <h1>${esc(t("objectionDoneTitle"))}</h1>
    <p class="verify-ok" role="status">✓ ${esc(t("objectionDone"))}</p>
    <div class="card">
      <p class="confirm-title">${esc(p.title)}</p>
      <p>${esc(t("yourObjection"))}:</p>
      <div class="body-text objection-text">${esc(text).replace(/\n/g, "<br>")}</div>
    </div>
    <div class="row">
      <a class="button primary" href="#/p/${encodeURIComponent(p.id)}">${esc(t("backToProposal"))}</a>
      <a class="button" href="#/">${esc(t("myProposals"))}</a>
    </div>`);
}

// ---- router ---------------------------------------------------------------------------------

async function route() {
  clearInterval(state.timer);
  state.timer = null;
  applyPreferences();
  const hash = location.hash.replace(/^#/, "") || "/";
  if (!session.token && hash !== "/login") {
    location.replace("#/login");
    return;
  }
  const parts = hash.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "login") loginPage();
    else if (parts[0] === "p" && parts[2] === "confirm" && ["FOR", "AGAINST", "ABSTAIN"].includes(parts[3])) await confirmPage(parts[1], parts[3]);
    else if (parts[0] === "p" && parts[2] === "receipt") await receiptPage(parts[1]);
    else if (parts[0] === "p" && parts[2] === "objection") await objectionPage(parts[1]);
    else if (parts[0] === "p" && parts[1]) await detailPage(parts[1]);
    else await listPage();
  } catch (e) {
    showError(e);
  }
}

wireChrome();
window.addEventListener("hashchange", route);
route();

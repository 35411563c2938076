// Results as inline SVG bars (no chart library): participation against the total and consent
// against the participants, each by persons and by area, with the Art. 278 thresholds marked.
// The numbers are also written out in text so that screen readers and large type work.

const SPECIAL = new Set(["RAISE_FUND", "REBUILD", "COMMON_PARTS_CHANGE"]); // Art. 278 items 6–8: ≥ 3/4

export function consentThreshold(matter) {
  return SPECIAL.has(matter) ? 0.75 : 0.5;
}

function pct(part, whole) {
  return whole > 0 ? Math.min(100, (100 * part) / whole) : 0;
}

export function formatArea(hundredths) {
  return `${(hundredths / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} m²`;
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** One bar: `segments` = [{value, cls, label}] over `whole`, threshold marker at `mark` (0–1);
 * `verdict` (after voting) is "met", "short" or "void" (not counted: too few took part), as a class
 * that colours the bar and as words after its title. */
function bar(title, segments, whole, mark, fmt, verdict = null, t = null) {
  let x = 0;
  const rects = segments.map((s) => {
    const w = pct(s.value, whole);
    const r = `<rect class="${s.cls}" x="${x.toFixed(2)}" y="0" width="${w.toFixed(2)}" height="12"></rect>`;
    x += w;
    return r;
  }).join("");
  const m = (mark * 100).toFixed(2);
  const summary = segments.map((s) => `${s.label} ${fmt(s.value)} (${pct(s.value, whole).toFixed(1)}%)`).join(", ");
  const said = verdict ? ` <span class="bar-verdict">${esc(t(`bar_${verdict}`))}</span>` : "";
  return `<div class="bar${verdict ? ` ${verdict}` : ""}">
    <div class="bar-title">${esc(title)}${said}</div>
    <svg viewBox="0 0 100 16" preserveAspectRatio="none" role="img" aria-label="${esc(`${title}: ${summary}`)}">
      <rect class="track" x="0" y="0" width="100" height="12"></rect>${rects}
      <line class="mark" x1="${m}" x2="${m}" y1="0" y2="16"></line>
    </svg>
    <div class="bar-legend">${segments.map((s) => `<span class="key ${s.cls}"></span>${esc(s.label)} <b>${esc(fmt(s.value))}</b> / ${esc(fmt(whole))} <span class="pct">${pct(s.value, whole).toFixed(1)}%</span>`).join("<br>")}</div>
  </div>`;
}

/** Whether the thresholds are met, in integers as the contract counts (Art. 278 para. 2). */
const reaches = {
  participation: (part, total) => 3 * part >= 2 * total,
  consent: (matter, yes, part) => (SPECIAL.has(matter) ? 4 * yes >= 3 * part : 2 * yes > part),
};

/** The results section of a proposal: participation always, consent once voting has ended. While
 * voting runs the bars are neutral and a shortfall reads "not yet"; once it has ended every bar says
 * whether it met its threshold, in the colour of the verdict: a short bar is red, and consent bars
 * are grey (not counted) when too few owners took part. */
export function resultsChart(tally, matter, t, status = "voting") {
  if (!tally) return "";
  const choicesOut = tally.forPersons !== null && tally.forPersons !== undefined;
  const ended = choicesOut || !["draft", "published", "voting"].includes(status);
  const persons = (n) => `${n} ${t("persons")}`;
  const partVerdict = (part, total) => (ended ? (reaches.participation(part, total) ? "met" : "short") : null);
  const parts = [];
  parts.push(`<h3>${esc(t("participation"))} <small>(${esc(t("threshold"))} ⅔)</small></h3>`);
  parts.push(bar(t("byPersons"), [{ value: tally.participatingPersons, cls: "s-part", label: t("participation") }], tally.totalPersons, 2 / 3, persons,
    partVerdict(tally.participatingPersons, tally.totalPersons), t));
  parts.push(bar(t("byArea"), [{ value: tally.participatingArea, cls: "s-part", label: t("participation") }], tally.totalArea, 2 / 3, formatArea,
    partVerdict(tally.participatingArea, tally.totalArea), t));
  const participationKey = tally.participationReached
    ? (ended ? "participationReachedEnded" : "participationReached")
    : (ended ? "participationShort" : "participationNotReached");
  parts.push(`<p class="note participation-note">${esc(t(participationKey))}</p>`);
  if (!choicesOut) {
    parts.push(`<p class="note">${esc(t("choicesHidden"))}</p>`);
    return parts.join("");
  }
  const mark = consentThreshold(matter);
  parts.push(`<h3>${esc(t("consent"))} <small>(${esc(t("threshold"))} ${mark === 0.75 ? "¾" : "> ½"})</small></h3>`);
  const seg = (kind) => [
    { value: tally[`for${kind}`], cls: "s-for", label: t("forL") },
    { value: tally[`against${kind}`], cls: "s-against", label: t("againstL") },
    { value: tally[`abstain${kind}`], cls: "s-abstain", label: t("abstainL") },
  ];
  const consentVerdict = (kind) => {
    if (!tally.participationReached) return "void";
    return reaches.consent(matter, tally[`for${kind}`], tally[`participating${kind}`]) ? "met" : "short";
  };
  parts.push(bar(t("byPersons"), seg("Persons"), tally.participatingPersons, mark, persons, consentVerdict("Persons"), t));
  parts.push(bar(t("byArea"), seg("Area"), tally.participatingArea, mark, formatArea, consentVerdict("Area"), t));
  if (!tally.participationReached) parts.push(`<p class="note">${esc(t("consentNotCounted"))}</p>`);
  if (tally.passed !== null && tally.passed !== undefined) {
    const verdict = tally.passed ? "passed" : tally.participationReached ? "notPassedConsent" : "notPassedTurnout";
    parts.push(`<p class="outcome ${tally.passed ? "ok" : "bad"}">${esc(t(verdict))}</p>`);
  }
  return parts.join("");
}

export { esc };

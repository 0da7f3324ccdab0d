// Topic pages for kiosk, phone and volunteers: themes, search in the client's own words, a topic to read,
// hear, print or take to the phone by QR. Texts and dates come from the server in the client's language.
import { api, applyDocumentLanguage, applyTexts, bcp47, boot, dirOf, el, setText, showError, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const errorRegion = $("error");
const params = new URLSearchParams(location.search);
const fromKiosk = params.get("from") === "kiosk";
let listing = null;
let shownTopic = null;

function topicButton(summary) {
  const button = el("button", { type: "button", class: "secondary", lang: bcp47(summary.language), dir: dirOf(summary.language) }, summary.title);
  button.addEventListener("click", () => openTopic(summary.topic, true));
  return el("li", {}, button);
}

function renderThemes() {
  const byTopic = Object.fromEntries(listing.topics.map((summary) => [summary.topic, summary]));
  $("themes").replaceChildren(...Object.entries(listing.themes).map(([theme, topics]) =>
    el("section", { class: "theme" },
      el("h3", {}, t(`theme.${theme}`)),
      el("ul", { class: "topic-list" }, ...topics.filter((topic) => byTopic[topic]).map((topic) => topicButton(byTopic[topic]))))));
}

async function search(event) {
  event.preventDefault();
  errorRegion.textContent = "";
  const question = $("question").value.trim();
  if (!question) return;
  try {
    const found = await api(`/api/v1/content/search?language=${encodeURIComponent(boot.language)}&q=${encodeURIComponent(question)}`);
    $("result-list").replaceChildren(...found.matches.map(topicButton));
    $("no-results").hidden = found.matches.length > 0;
    $("results").hidden = false;
  } catch (error) { showError(errorRegion, error); }
}

function note(key) { const item = el("li", {}); setText(item, key); return item; }

function renderTopic(item) {
  const article = $("topic");
  article.lang = bcp47(item.language);
  article.dir = item.direction;
  $("topic-title").textContent = item.title;
  $("topic-summary").textContent = item.summary;
  const notes = [note(item.reviewed ? "info.note.checked" : "info.note.draft")];
  if (item.machine_translated) notes.push(note("info.note.machine_translated"));
  if (item.outdated) notes.push(note("info.note.outdated"));
  notes.push(el("li", {}, t("info.as_of", { date: item.valid_as_of_text })));
  notes.push(note("info.general"));
  $("topic-notes").replaceChildren(...notes);
  $("topic-body").replaceChildren(...item.body.map((point) => el("li", {}, point)));
  const facts = item.facts.filter((fact) => fact.text);
  $("facts-heading").hidden = facts.length === 0;
  $("topic-facts").replaceChildren(...facts.flatMap((fact) => [
    el("dt", {}, fact.text),
    el("dd", {},
      el("a", { href: fact.source.url, lang: "de", dir: "ltr", rel: "noopener" }, fact.pinpoint),
      fact.status === "announced" ? el("span", { class: "status" }, " · " + t("info.fact.announced")) : ""),
  ]));
  $("topic-sources").replaceChildren(...item.sources.map((source) =>
    el("li", {}, el("a", { href: source.url, lang: "de", dir: "ltr", rel: "noopener" }, source.title))));
  $("topic-qr").src = `/api/v1/content/${encodeURIComponent(item.topic)}/qr.svg?language=${encodeURIComponent(boot.language)}`;
  $("topic-qr").alt = t("info.qr");
  $("speak").hidden = !boot.config.voices.includes(boot.language);
  $("browse").hidden = true;
  article.hidden = false;
  $("topic-title").focus?.();
}

async function openTopic(topic, push) {
  errorRegion.textContent = "";
  stopSpeaking();
  try {
    const item = await api(`/api/v1/content/${encodeURIComponent(topic)}?language=${encodeURIComponent(boot.language)}`);
    shownTopic = topic;
    renderTopic(item);
    if (push) history.pushState({ topic }, "", `/info?${new URLSearchParams({ lang: boot.language, topic, ...(fromKiosk ? { from: "kiosk" } : {}) })}`);
    window.scrollTo(0, 0);
  } catch (error) { showError(errorRegion, error); }
}

function showBrowse(push) {
  stopSpeaking();
  shownTopic = null;
  $("topic").hidden = true;
  $("browse").hidden = false;
  if (push) history.pushState({}, "", `/info?${new URLSearchParams({ lang: boot.language, ...(fromKiosk ? { from: "kiosk" } : {}) })}`);
}

let speaking = null;
async function speak() {
  if (!shownTopic) return;
  stopSpeaking();
  const run = (speaking = { stopped: false, audio: new Audio() });
  const parts = ["summary", ...Array.from($("topic-body").children, (_, index) => `body.${index}`)];
  for (const part of parts) {
    if (run.stopped) return;
    run.audio.src = `/api/v1/content/${encodeURIComponent(shownTopic)}/speech?language=${encodeURIComponent(boot.language)}&part=${part}`;
    try {
      await run.audio.play();
      await new Promise((resolve) => { run.audio.onended = resolve; run.audio.onerror = resolve; });
    } catch { return; }
  }
}
function stopSpeaking() { if (speaking) { speaking.stopped = true; speaking.audio.pause(); speaking = null; } }

// At the kiosk an idle page goes back to the start screen, so the next client never sees this one's search.
let idleTimer = null;
function resetIdle() {
  if (!fromKiosk) return;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => { location.href = `/kiosk?lang=${encodeURIComponent(boot.language)}`; }, boot.config.idle_seconds * 1000);
}

async function start() {
  applyDocumentLanguage();
  applyTexts();
  $("chat-link").href = `/chat?lang=${encodeURIComponent(boot.language)}`;
  if (fromKiosk) { $("to-kiosk").hidden = false; $("to-kiosk").href = `/kiosk?lang=${encodeURIComponent(boot.language)}`; }
  $("search-form").addEventListener("submit", search);
  $("back").addEventListener("click", () => showBrowse(true));
  $("print").addEventListener("click", () => window.print());
  $("speak").addEventListener("click", speak);
  window.addEventListener("popstate", (event) => (event.state?.topic ? openTopic(event.state.topic, false) : showBrowse(false)));
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, resetIdle);
  resetIdle();
  try {
    listing = await api(`/api/v1/content/topics?language=${encodeURIComponent(boot.language)}`);
    renderThemes();
  } catch (error) { showError(errorRegion, error); }
  const topic = params.get("topic");
  if (topic) { history.replaceState({ topic }, "", location.href); await openTopic(topic, false); }
}

start();

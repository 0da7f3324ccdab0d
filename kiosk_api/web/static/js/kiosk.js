// The lobby kiosk: language, check-in (code + PIN or birth date, or QR), quick intake after consent, walk-in, ticket.
import { api, applyDocumentLanguage, applyTexts, bcp47, boot, el, enrolDevice, formatNumber, language, loadTexts, resetTexts, setText, showError, showService, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const screens = ["language", "enrol", "menu", "checkin", "consent", "concern", "ticket"];
const CONCERNS = ["first_registration", "benefits_application", "documents", "appointment", "work_and_training",
  "language_course", "change_of_circumstances", "other"];
const errorRegion = $("error");
// Pictograms beside the words, for clients who do not read well (outline drawings, 24x24).
const PICTOGRAMS = {
  first_registration: ["c9,8,4", "M2 21c0-4 3-7 7-7s7 3 7 7", "M19 8v6M16 11h6"],
  benefits_application: ["c12,12,9", "M15 8.5a4 4 0 1 0 0 7M7 11h6M7 13h6"],
  documents: ["M6 3h8l4 4v14H6z", "M14 3v4h4", "M9 12h6M9 16h6"],
  appointment: ["M5 5h14a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z", "M3 10h18M8 3v4M16 3v4"],
  work_and_training: ["M5 7h14a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2z", "M9 7V5h6v2", "M3 13h18"],
  language_course: ["M4 5h11v8H8l-4 3z", "M10 16h6l4 3v-9h-3"],
  change_of_circumstances: ["M4 8h13l-3-3M20 16H7l3 3"],
  other: ["c12,12,9", "M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.7.3-1 .9-1 1.7M12 17h.01"],
};

function pictogram(concern) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  for (const part of PICTOGRAMS[concern] || []) {
    const node = document.createElementNS(ns, part.startsWith("c") ? "circle" : "path");
    if (part.startsWith("c")) {
      const [cx, cy, r] = part.slice(1).split(",");
      Object.entries({ cx, cy, r }).forEach(([k, v]) => node.setAttribute(k, v));
    } else node.setAttribute("d", part);
    svg.append(node);
  }
  return el("span", { class: "picto", "aria-hidden": "true" }, svg);
}
// An enrolled kiosk's credential (from a site admin's one-time code): it works for that site, and its bookings count
// in the kiosk's own bucket, not the address's. With the site's name, the only thing that outlives the wipe between
// clients.
const DEVICE_KEY = "lotse.kiosk.device";
const SITE_NAME_KEY = "lotse.kiosk.site_name";

function deviceToken() {
  try { return localStorage.getItem(DEVICE_KEY); } catch { return null; }
}

// This page's API calls name the kiosk when it is enrolled; a revoked token is dropped and the call repeated anonymously.
async function kioskApi(path, options = {}) {
  const token = deviceToken();
  if (!token) return api(path, options);
  try {
    return await api(path, { ...options, headers: { ...(options.headers || {}), "X-Lotse-Device": token } });
  } catch (error) {
    if (error.status !== 401 || error.code !== "device_not_recognised") throw error;
    try { localStorage.removeItem(DEVICE_KEY); localStorage.removeItem(SITE_NAME_KEY); } catch { /* storage disabled */ }
    renderEnrolment();
    return api(path, options);
  }
}

function renderEnrolment() {
  const enrolled = Boolean(deviceToken());
  $("enrol-offer").hidden = enrolled;
  $("enrol-done").hidden = !enrolled;
  // The office's own name (German, as on its door), once the kiosk is enrolled for it.
  let name = null;
  try { name = enrolled ? localStorage.getItem(SITE_NAME_KEY) : null; } catch { /* storage disabled */ }
  $("site-name").textContent = name || "";
  $("site-name").hidden = !name;
}

async function onEnrol(event) {
  event.preventDefault();
  const code = $("enrolment-code").value.trim();
  if (!code) return;
  try {
    await enrolDevice(code, { tokenKey: DEVICE_KEY, siteNameKey: SITE_NAME_KEY });
    $("enrol-form").reset();
    renderEnrolment();
    show("language");
  } catch (error) { showError(errorRegion, error); }
}

// Everything about the current client lives here (and nowhere else) until the screen is wiped.
let state = {};
let idleTimer = null;
let scanStream = null;

function show(name) {
  for (const screen of screens) $(`screen-${screen}`).hidden = screen !== name;
  $("restart").hidden = name === "language";
  stopSpeaking();
  $("speak").hidden = !boot.config.voices.includes(language());
  errorRegion.textContent = "";
  state.screen = name;
  const heading = $(`screen-${name}`).querySelector("h1");
  if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: false }); }
}

function renderLanguages() {
  const list = $("languages");
  list.replaceChildren(...boot.languages.map((lang) => el("li", {},
    el("button", { type: "button", lang: bcp47(lang.code), dir: lang.direction, "data-lang": lang.code, onclick: () => chooseLanguage(lang.code) }, lang.native_name))));
}

async function chooseLanguage(code) {
  try {
    await loadTexts(code);
    state.language = code;
    show("menu");
  } catch (error) { showError(errorRegion, error); }
}

function renderConcerns() {
  $("concerns").replaceChildren(...CONCERNS.map((concern) => el("li", {},
    el("button", { type: "button", "data-concern": concern, "aria-pressed": String(state.concern === concern),
      onclick: () => { state.concern = concern; renderConcerns(); $("concerns").querySelector(`[data-concern="${concern}"]`).focus(); } },
    pictogram(concern), el("span", { "data-t": `concern.${concern}` })))));
  applyTexts($("concerns"));
}

function startConcern(mode) {
  state.mode = mode;
  state.concern = state.concern || null;
  $("personal").hidden = mode !== "register";
  renderConcerns();
  show("concern");
}

async function startRegister() {
  try {
    const notice = await kioskApi(`/api/v1/consent/notice?language=${encodeURIComponent(language())}`);
    state.notice = notice;
    const heading = $("h-consent");
    heading.textContent = notice.title;
    const text = $("consent-text");
    text.textContent = notice.text;
    for (const node of [heading, text]) { node.lang = bcp47(notice.language); node.dir = notice.direction; }
    $("consent-version").textContent = t("kiosk.consent.version", { version: notice.version, date: notice.valid_as_of });
    $("consent-scopes").replaceChildren(...notice.scopes.map((scope) => el("label", { class: "check", lang: bcp47(notice.language), dir: notice.direction },
      el("input", { type: "checkbox", name: "scope", value: scope.code }), el("span", {}, scope.title, " — ", scope.text))));
    show("consent");
  } catch (error) { showError(errorRegion, error); }
}

function idempotencyKey() {
  state.idempotencyKey = state.idempotencyKey || crypto.randomUUID();
  return state.idempotencyKey;
}

async function submitCheckin(payload, headers = {}) {
  try {
    const ticket = await kioskApi("/api/v1/checkins", { method: "POST", body: payload, headers: { "Idempotency-Key": idempotencyKey(), ...headers } });
    state.idempotencyKey = null;
    showTicket(ticket);
  } catch (error) {
    if (error.status && error.status < 500) state.idempotencyKey = null;  // a refused payload may be corrected and sent anew
    showError(errorRegion, error);
  }
}

function onCheckin(event) {
  event.preventDefault();
  const code = $("reference-code").value.trim();
  const pin = $("pin").value.trim();
  const birthDate = $("birth-date").value;
  if (!code || (!pin && !birthDate)) { errorRegion.textContent = t("kiosk.checkin.missing"); return; }
  const headers = pin ? { "X-Lotse-Pin": pin } : { "X-Lotse-Birth-Date": birthDate };
  submitCheckin({ reference_code: code }, headers);
}

function onConcern(event) {
  event.preventDefault();
  if (!state.concern) { errorRegion.textContent = t("kiosk.concern.missing"); return; }
  const interpreter = $("interpreter").checked;
  if (state.mode === "walkin") {
    submitCheckin({ walk_in: { language: state.language, concern: state.concern, interpreter_needed: interpreter } });
    return;
  }
  const scopes = {};
  for (const box of $("consent-scopes").querySelectorAll("input[name=scope]")) scopes[box.value] = box.checked;
  const intake = {
    consent: { language: state.language, notice_version: state.notice.version, channel: "kiosk", scopes },
    concern: state.concern, interpreter_needed: interpreter,
  };
  for (const [field, id] of [["given_name", "given-name"], ["family_name", "family-name"], ["concern_text", "concern-text"]]) {
    const value = $(id).value.trim();
    if (value) intake[field] = value;
  }
  submitCheckin({ quick_intake: intake });
}

function showTicket(ticket) {
  state.ticket = ticket;
  $("ticket-number").textContent = ticket.display_number;
  $("ticket-position").textContent = ticket.position === null ? "–" : formatNumber(ticket.position);
  $("ticket-wait").textContent = ticket.estimated_wait_minutes === null ? "–" : t("kiosk.ticket.minutes", { minutes: formatNumber(ticket.estimated_wait_minutes) });
  showService($("ticket-service"), ticket.service_code, ticket.service_name);
  if (ticket.desk) $("ticket-desk").textContent = ticket.desk; else setText($("ticket-desk"), "kiosk.ticket.desk_pending");
  $("ticket-qr").src = `/api/v1/tickets/${encodeURIComponent(ticket.ticket_code)}/qr.svg`;
  $("ticket-qr").alt = t("kiosk.ticket.qr_alt");
  $("receipt").hidden = !ticket.receipt;
  if (ticket.receipt) {
    $("receipt-code").textContent = ticket.receipt.reference_code_display || ticket.receipt.reference_code;
    $("receipt-pin").textContent = ticket.receipt.pin;
  }
  show("ticket");
}

// Read-aloud: the visible screen's texts (headings, choices, labels) in order, spoken offline by the server.
let speaking = null;
async function speak() {
  stopSpeaking();
  const run = (speaking = { stopped: false, audio: new Audio() });
  const screen = $(`screen-${state.screen}`);
  const keys = [...screen.querySelectorAll("[data-t]")].filter((node) => node.offsetParent !== null).map((node) => node.dataset.t);
  for (const key of keys.slice(0, 12)) {
    if (run.stopped) return;
    run.audio.src = `/api/v1/speech?language=${encodeURIComponent(language())}&key=${encodeURIComponent(key)}`;
    try {
      await run.audio.play();
      await new Promise((resolve) => { run.audio.onended = resolve; run.audio.onerror = resolve; run.audio.onpause = resolve; });
    } catch { return; }
  }
}

function stopSpeaking() {
  if (speaking) { speaking.stopped = true; speaking.audio.pause(); speaking = null; }
}

// QR scan with the kiosk camera where the browser offers BarcodeDetector; typing always works.
async function scan() {
  try {
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    scanStream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" } });
    const video = $("scanner");
    video.srcObject = scanStream;
    video.hidden = false;
    await video.play();
    const started = Date.now();
    while (scanStream && Date.now() - started < 30000) {
      const codes = await detector.detect(video);
      if (codes.length) {
        const value = codes[0].rawValue;
        const match = value.match(/[A-Z0-9-]{6,32}$/i);
        $("reference-code").value = match ? match[0] : value;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    errorRegion.textContent = t("kiosk.checkin.scan_failed");
  } finally { stopScan(); }
}

function stopScan() {
  if (scanStream) for (const track of scanStream.getTracks()) track.stop();
  scanStream = null;
  $("scanner").hidden = true;
  $("scanner").srcObject = null;
}

// The next person must never see the last one's data: forms, state, storage and language are reset.
function wipe() {
  stopScan();
  stopSpeaking();
  state = {};
  for (const form of document.querySelectorAll("form")) form.reset();
  $("consent-text").textContent = "";
  $("consent-scopes").replaceChildren();
  $("receipt-code").textContent = "";
  $("receipt-pin").textContent = "";
  $("ticket-number").textContent = "";
  $("ticket-qr").removeAttribute("src");
  try {
    sessionStorage.clear();
    const device = localStorage.getItem(DEVICE_KEY);
    const siteName = localStorage.getItem(SITE_NAME_KEY);
    localStorage.clear();
    if (device) localStorage.setItem(DEVICE_KEY, device);
    if (device && siteName) localStorage.setItem(SITE_NAME_KEY, siteName);
  } catch { /* storage disabled */ }
  renderEnrolment();
  resetTexts();
  show("language");
  document.body.dataset.wiped = String(Date.now());
}

function touch() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => { if (state.screen !== "language" || Object.keys(state).length > 1) wipe(); else touch(); },
    boot.config.idle_seconds * 1000);
}

function init() {
  applyDocumentLanguage();
  applyTexts();
  renderLanguages();
  $("go-checkin").addEventListener("click", () => { show("checkin"); });
  $("go-register").addEventListener("click", startRegister);
  $("go-walkin").addEventListener("click", () => startConcern("walkin"));
  // Information pages in the client's language; they come back here when idle.
  $("go-info").addEventListener("click", () => { location.href = `/info?lang=${encodeURIComponent(language())}&from=kiosk&idle=${boot.config.idle_seconds}`; });
  $("consent-accept").addEventListener("click", () => startConcern("register"));
  $("consent-decline").addEventListener("click", () => startConcern("walkin"));
  $("checkin-form").addEventListener("submit", onCheckin);
  $("go-enrol").addEventListener("click", () => show("enrol"));
  $("enrol-form").addEventListener("submit", onEnrol);
  $("concern-form").addEventListener("submit", onConcern);
  $("print").addEventListener("click", () => window.print());
  $("finish").addEventListener("click", wipe);
  $("restart").addEventListener("click", wipe);
  $("speak").addEventListener("click", speak);
  for (const button of document.querySelectorAll("[data-back]")) button.addEventListener("click", () => show(button.dataset.back));
  if ("BarcodeDetector" in window && navigator.mediaDevices?.getUserMedia) {
    $("scan").hidden = false;
    $("scan").addEventListener("click", scan);
  }
  for (const type of ["pointerdown", "keydown", "input", "wheel"]) document.addEventListener(type, touch, { passive: true, capture: true });
  state = { screen: "language" };
  renderEnrolment();
  for (const screen of screens) $(`screen-${screen}`).hidden = screen !== "language";
  $("speak").hidden = !boot.config.voices.includes(language());
  touch();
}

init();

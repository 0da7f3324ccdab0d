// Reception desk (German): login (and the first password change), the site to work on, live queue over server-sent
// events, record, actions, booking; site admin pages; the deployment admin's sites, staff and counts.
import { api, applyDocumentLanguage, applyTexts, boot, el, setText, showError, stream, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const errorRegion = $("error");
// The bearer token lives in this tab only (sessionStorage), never in localStorage or a cookie.
let token = sessionStorage.getItem("lotse.desk.token");
let me = null;
// The site this desk works on, one of the staff member's own: every desk and admin call names it (X-Lotse-Site).
// Remembered in this tab, like the token.
const SITE_KEY = "lotse.desk.site";
let site = null;
// Bumped on every site switch: reads that were under way for the previous site are dropped.
let siteGeneration = 0;
let queue = [];
// A view that changed this much is read whole; fewer changes are read ticket by ticket.
const MOST_TICKETS_PER_READ = 50;
let changesApplied = Promise.resolve();
let minutesTimer = null;
let selected = null;
let live = null;
let services = [];

// Times in the chosen site's time zone (the browser's until one is chosen).
let timeZone;
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString("de-DE", { timeZone, hour: "2-digit", minute: "2-digit" }) : "–");
const dateTime = (iso) => new Date(iso).toLocaleString("de-DE", { timeZone, weekday: "short", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" });
const siteHeaders = () => (site ? { "X-Lotse-Site": site.code } : {});
const call = (path, options = {}) => api(path, { token, ...options, headers: { ...siteHeaders(), ...(options.headers || {}) } });
// The chosen site's public data (its teams, free slots): without the staff token, which is no service token there.
const siteRead = (path) => api(path, { headers: siteHeaders() });

async function login(event) {
  event.preventDefault();
  try {
    const result = await api("/api/v1/staff/login", { method: "POST", body: { username: $("username").value, password: $("password").value } });
    token = result.access_token;
    sessionStorage.setItem("lotse.desk.token", token);
    $("password").value = "";
    await start();
  } catch (error) { showError(errorRegion, error); }
}

// A password someone else chose (the first admin's, a new account's) is replaced before anything else.
function askForNewPassword() {
  errorRegion.textContent = "";
  $("login").hidden = true;
  $("app").hidden = true;
  $("password-change").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = me.display_name || me.username;
  $("own-username").value = me.username;
  $("own-current-password").focus();
}

async function changePassword(event) {
  event.preventDefault();
  const fields = ["own-current-password", "own-new-password", "own-new-password-repeat"].map($);
  const [current, fresh, repeated] = fields.map((field) => field.value);
  if (fresh !== repeated) { setText(errorRegion, "desk.password.mismatch"); return; }
  try {
    await call("/api/v1/staff/me/password", { method: "POST", body: { current_password: current, new_password: fresh } });
    for (const field of fields) field.value = "";
    $("password-change").hidden = true;
    await start();
  } catch (error) { showError(errorRegion, error); }
}

async function logout() {
  try { await call("/api/v1/staff/logout", { method: "POST" }); } catch { /* already gone */ }
  stop();
}

function stop() {
  live?.stop();
  live = null;
  clearInterval(minutesTimer);
  clearInterval(inboxTimer);
  token = null;
  me = null;
  site = null;
  siteGeneration += 1;
  sessionStorage.removeItem("lotse.desk.token");
  sessionStorage.removeItem(SITE_KEY);
  $("site-chooser").hidden = true;
  $("site-name").hidden = true;
  $("app").hidden = true;
  $("password-change").hidden = true;
  $("login").hidden = false;
  $("logout").hidden = true;
  $("who").textContent = "";
}

async function start() {
  try { me = await call("/api/v1/staff/me"); } catch { stop(); return; }
  if (me.must_change_password) { askForNewPassword(); return; }
  errorRegion.textContent = "";
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = me.display_name || me.username;
  // A deployment admin manages the sites and sees their counts; no site's queue, inbox or records.
  const deployment = me.role === "deployment_admin";
  for (const node of document.querySelectorAll(".admin-only")) node.hidden = me.role !== "admin";
  for (const node of document.querySelectorAll(".site-only")) node.hidden = deployment;
  for (const node of document.querySelectorAll(".deployment-only")) node.hidden = !deployment;
  if (deployment) { showTab("deployment"); return; }
  // The printed sheet is for caseworkers and admins; the API refuses it to the desk role.
  $("act-pdf").hidden = me.role === "desk";
  $("desk-name").value = sessionStorage.getItem("lotse.desk.name") || "1";
  chooseSite();
  await openSite();
}

// The site remembered in this tab if it is still one of the staff member's, else the first; a chooser only for several.
function chooseSite() {
  const sites = me.sites || [];
  const stored = sessionStorage.getItem(SITE_KEY);
  useSite(sites.find((item) => item.code === stored) || sites[0] || null);
  $("site-choice").replaceChildren(...sites.map((item) => el("option", { value: item.code, selected: item.code === site?.code }, item.name)));
  $("site-chooser").hidden = sites.length < 2;
  $("site-name").hidden = sites.length !== 1;
  $("site-name").textContent = sites.length === 1 ? sites[0].name : "";
}

function useSite(chosen) {
  site = chosen;
  timeZone = chosen?.timezone;
  if (chosen) sessionStorage.setItem(SITE_KEY, chosen.code); else sessionStorage.removeItem(SITE_KEY);
}

async function switchSite() {
  const chosen = (me?.sites || []).find((item) => item.code === $("site-choice").value);
  if (!chosen || chosen.code === site?.code) return;
  useSite(chosen);
  await openSite();
}

// Everything shown belongs to the chosen site: teams, queue and its live stream, inbox, admin pages.
async function openSite() {
  siteGeneration += 1;
  live?.stop();
  live = null;
  clearInterval(minutesTimer);
  queue = [];
  selected = null;
  openConversation = null;
  stats = null;
  changesApplied = Promise.resolve();
  $("detail").hidden = true;
  $("conversation").hidden = true;
  $("enrolment-code").hidden = true;
  $("slots-day").value = "";
  errorRegion.textContent = "";
  renderQueue();
  try { services = await siteRead("/api/v1/services"); } catch { services = []; }
  const options = () => services.map((s) => el("option", { value: s.code }, s.name));
  $("handover-service").replaceChildren(...options());
  $("booking-service").replaceChildren(...options());
  await refreshQueue();
  minutesTimer = setInterval(renderQueue, 30000);
  live = stream("/api/v1/staff/queue/stream", {
    token: () => token,
    headers: siteHeaders,
    // One event's reads finish before the next event's begin.
    onEvent: (event, data) => { if (event === "queue") changesApplied = changesApplied.then(() => applyChanges(data)); },
    onState: (state) => {
      if (state === "unauthorized") stop();
      else setText($("live-state"), state === "open" ? "desk.queue.live" : "desk.queue.reconnecting");
    },
  });
  const current = document.querySelector("[data-tab][aria-current=page]")?.dataset.tab;
  showTab(current && current !== "deployment" ? current : "queue");
}

const stamped = (entries) => { const now = performance.now(); for (const entry of entries) entry.readAt = now; return entries; };

async function refreshQueue() {
  const generation = siteGeneration;
  let fresh;
  try { fresh = stamped(await call("/api/v1/staff/queue")); } catch (error) { if (error.status === 401) stop(); else showError(errorRegion, error); return; }
  if (generation !== siteGeneration) return;
  queue = fresh;
  renderQueue();
}

// Only the tickets the stream says changed are read again; one that is not returned has left the queue.
async function refreshTickets(ids) {
  if (!ids.length) return;
  const generation = siteGeneration;
  let fresh;
  try {
    fresh = stamped(await call(`/api/v1/staff/queue?${ids.map((id) => `ids=${encodeURIComponent(id)}`).join("&")}`));
  } catch (error) { if (error.status === 401) stop(); else showError(errorRegion, error); return; }
  if (generation !== siteGeneration) return;
  const byId = new Map(fresh.map((entry) => [entry.id, entry]));
  const asked = new Set(ids.map(Number));
  queue = queue.filter((entry) => !asked.has(entry.id) || byId.has(entry.id)).map((entry) => byId.get(entry.id) || entry);
  for (const entry of fresh) if (!queue.some((item) => item.id === entry.id)) queue.push(entry);
  queue.sort((a, b) => a.number - b.number);
  renderQueue();
}

// The stream names every open ticket with its version: read those whose version differs from the
// entry shown (or that are not shown yet), drop the entries it no longer names.
async function applyChanges(snapshot) {
  const open = snapshot.tickets || {};
  const shown = new Map(queue.map((entry) => [String(entry.id), entry]));
  const changed = Object.keys(open).filter((id) => shown.get(id)?.version !== open[id]);
  const gone = queue.filter((entry) => !(String(entry.id) in open));
  if (gone.length) { queue = queue.filter((entry) => String(entry.id) in open); renderQueue(); }
  if (changed.length > MOST_TICKETS_PER_READ) await refreshQueue();
  else await refreshTickets(changed);
}

// Waiting minutes go on counting between reads, from when the entry was read (no clock shared with the server needed).
const waitingMinutes = (entry) => entry.waiting_minutes + (entry.called_at ? 0 : Math.floor((performance.now() - entry.readAt) / 60000));

function renderQueue() {
  const body = $("queue").querySelector("tbody");
  body.replaceChildren(...queue.map((entry) => {
    const row = el("tr", { tabindex: "0", "data-id": entry.id, "data-number": entry.display_number, "aria-selected": String(entry.id === selected?.id) },
      el("th", { scope: "row" }, entry.display_number),
      el("td", {}, time(entry.arrived_at)),
      el("td", {}, entry.language_name, entry.interpreter_needed ? el("span", { class: "mt" }, t("desk.queue.interpreter")) : null),
      el("td", {}, entry.concern_label),
      el("td", {}, entry.service_name, entry.routing_reason ? el("div", { class: "hint" }, entry.routing_reason) : null),
      el("td", {}, t("desk.queue.minutes", { minutes: waitingMinutes(entry) })),
      el("td", {}, entry.status_label, entry.desk ? ` · ${entry.desk}` : ""));
    row.addEventListener("click", () => select(entry.id));
    row.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(entry.id); } });
    return row;
  }));
  $("queue-empty").hidden = queue.length > 0;
  if (selected) {
    const again = queue.find((entry) => entry.id === selected.id);
    if (again) renderDetail(again); else { selected = null; $("detail").hidden = true; }
  }
}

function select(id) {
  const entry = queue.find((item) => item.id === id);
  if (!entry) return;
  $("record").hidden = true;
  $("booking-result").textContent = "";
  renderDetail(entry);
  for (const row of $("queue").querySelectorAll("tbody tr")) row.setAttribute("aria-selected", String(Number(row.dataset.id) === id));
  loadSlots();
}

function translated(value) {
  if (!value) return "–";
  if (!value.machine_translated && value.source_language !== value.target_language) {
    // No translation to German here (yet): the client's own words, in their script and direction, with the reason.
    return el("span", {}, el("span", { lang: value.source_language.replace("_", "-"), dir: "auto" }, value.original),
      value.notice ? el("div", { class: "hint" }, value.notice) : null);
  }
  if (!value.machine_translated) return value.text;
  return el("span", {}, value.text, el("span", { class: "mt" }, t("desk.machine_translation")),
    el("div", { class: "original", lang: value.source_language.replace("_", "-") }, `${t("desk.original")}: ${value.original}`));
}

function renderDetail(entry) {
  selected = entry;
  $("detail").hidden = false;
  $("h-detail").textContent = t("desk.detail.title", { number: entry.display_number });
  const facts = [
    ["desk.col.language", `${entry.language_name}${entry.interpreter_needed ? ` · ${t("desk.queue.interpreter")}` : ""}`],
    ["desk.col.concern", entry.concern_label],
    ["desk.detail.concern_text", translated(entry.concern_text)],
    ["desk.col.team", entry.service_name],
    entry.handed_to_service_code ? ["desk.detail.handed_to", services.find((s) => s.code === entry.handed_to_service_code)?.name || entry.handed_to_service_code] : null,
    ["desk.detail.reason", entry.routing_reason || "–"],
    ["desk.col.status", `${entry.status_label}${entry.desk ? ` · ${entry.desk}` : ""}`],
    ["desk.detail.name", entry.intake ? [entry.intake.given_name, entry.intake.family_name].filter(Boolean).join(" ") || "–" : t("desk.detail.no_record")],
  ];
  $("detail-body").replaceChildren(el("dl", { class: "record" }, facts.filter(Boolean).map(([key, value]) => [el("dt", {}, t(key)), el("dd", {}, value)])));
  const hasRecord = Boolean(entry.intake);
  $("act-record").disabled = !hasRecord;
  $("act-pdf").disabled = !hasRecord;
}

async function act(action, body) {
  if (!selected) return;
  try {
    const entry = await call(`/api/v1/staff/tickets/${selected.id}/${action}`, { method: "POST", body });
    selected = entry;
    await refreshTickets([entry.id]);
    if (!queue.find((item) => item.id === entry.id)) renderDetail(entry);
  } catch (error) { showError(errorRegion, error); }
}

function deskName() {
  const name = $("desk-name").value.trim() || "1";
  sessionStorage.setItem("lotse.desk.name", name);
  return name;
}

async function callNext() {
  try {
    const entry = await call("/api/v1/staff/queue/call-next", { method: "POST", body: { desk: deskName() } });
    await refreshTickets([entry.id]);
    select(entry.id);
  } catch (error) { showError(errorRegion, error); }
}

async function openRecord() {
  if (!selected?.intake) return;
  try {
    const view = await call(`/api/v1/staff/intakes/${selected.intake.id}`);
    $("record-fields").replaceChildren(...view.fields.flatMap((field) => [
      el("dt", {}, field.label),
      el("dd", {}, field.translation ? translated(field.translation) : field.value ?? "–"),
    ]));
    $("record").hidden = false;
  } catch (error) { showError(errorRegion, error); }
}

async function downloadSheet() {
  if (!selected?.intake) return;
  try {
    const response = await call(`/api/v1/staff/intakes/${selected.intake.id}/sheet.pdf`, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: `anmeldebogen-${selected.intake.reference_code}.pdf` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) { showError(errorRegion, error); }
}

async function loadSlots() {
  const service = $("booking-service").value;
  if (!service) return;
  try {
    const slots = await siteRead(`/api/v1/slots?service=${encodeURIComponent(service)}`);
    $("booking-slot").replaceChildren(...slots.slice(0, 60).map((slot) => el("option", { value: slot.id ?? slot.slot_id }, dateTime(slot.starts_at))));
  } catch (error) { showError(errorRegion, error); }
}

async function book() {
  const slotId = Number($("booking-slot").value);
  if (!slotId) return;
  try {
    const body = { slot_id: slotId, language: selected?.language || "de" };
    if (selected?.intake) body.intake_id = selected.intake.id;
    const booking = await call("/api/v1/staff/bookings", { method: "POST", body });
    $("booking-result").textContent = t("desk.booking.done", { code: booking.booking_code, time: dateTime(booking.slot?.starts_at || booking.starts_at) });
    loadSlots();
  } catch (error) { showError(errorRegion, error); }
}

// --- inbox: chats handed over by the assistant ------------------------------------------------

let inboxTimer = null;
let openConversation = null;

async function loadInbox() {
  if (!token || !site) return;
  const generation = siteGeneration;
  try {
    const conversations = await call("/api/v1/staff/inbox");
    if (generation !== siteGeneration) return;
    $("inbox").querySelector("tbody").replaceChildren(...conversations.map((item) => {
      const row = el("tr", { tabindex: "0", "data-id": item.id, "aria-selected": String(item.id === openConversation) },
        el("th", { scope: "row" }, item.language_name), el("td", {}, time(item.created_at)),
        el("td", {}, String(item.unanswered)), el("td", {}, t(`desk.inbox.status.${item.status}`)));
      row.addEventListener("click", () => showConversation(item.id));
      row.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); showConversation(item.id); } });
      return row;
    }));
    $("inbox-empty").hidden = conversations.length > 0;
    if (openConversation) await showConversation(openConversation, false);
  } catch (error) { if (error.status === 401) stop(); else showError(errorRegion, error); }
}

function renderConversation(item) {
  $("conversation").hidden = false;
  $("h-conversation").textContent = t("desk.inbox.conversation", { language: item.language_name });
  // The messenger's word on the latest message (WhatsApp: sent, delivered, read, failed; held outside its 24-hour window).
  $("delivery").hidden = !item.delivery_status;
  $("delivery").textContent = item.delivery_status
    ? t("desk.inbox.delivery", { status: t(`desk.inbox.delivery_status.${item.delivery_status}`), time: time(item.delivery_status_at) }) : "";
  $("messages").replaceChildren(...(item.messages || []).map((message) => el("li", { class: `message from-${message.sender}` },
    el("div", { class: "hint" }, `${t(`desk.inbox.sender.${message.sender}`)} · ${time(message.created_at)}`),
    el("div", {}, translated(message.german)),
    message.sender !== "client" && message.client_language ? el("div", { class: "original", lang: message.client_language.target_language.replace("_", "-"), dir: "auto" },
      `${t("desk.inbox.sent_as")}: ${message.client_language.text}`) : null)));
  $("close-conversation").disabled = item.status === "closed";
}

async function showConversation(id, focus = true) {
  try {
    openConversation = id;
    renderConversation(await call(`/api/v1/staff/inbox/${id}`));
    for (const row of $("inbox").querySelectorAll("tbody tr")) row.setAttribute("aria-selected", String(Number(row.dataset.id) === id));
    if (focus) $("reply").focus();
  } catch (error) { showError(errorRegion, error); }
}

async function sendReply(event) {
  event.preventDefault();
  const text = $("reply").value.trim();
  if (!text || !openConversation) return;
  try {
    renderConversation(await call(`/api/v1/staff/inbox/${openConversation}/reply`, { method: "POST", body: { text } }));
    $("reply").value = "";
    loadInbox();
  } catch (error) { showError(errorRegion, error); }
}

async function closeConversation() {
  if (!openConversation) return;
  try {
    renderConversation(await call(`/api/v1/staff/inbox/${openConversation}/close`, { method: "POST" }));
    loadInbox();
  } catch (error) { showError(errorRegion, error); }
}

// --- admin ---------------------------------------------------------------------------------------

const COLORS = ["#0b4f8a", "#c8553d", "#2a9d8f", "#8a5a00", "#6a4c93", "#1d6b2f", "#a4161a", "#3d5a80", "#5f0f40", "#386641"];

function chart(stats, by) {
  const weeks = stats.weeks;
  const keys = [...new Set(weeks.flatMap((week) => Object.keys(week[by])))].sort();
  const width = 720, height = 320, left = 48, bottom = 40, top = 16;
  const max = Math.max(1, ...weeks.map((week) => Object.values(week[by]).reduce((a, b) => a + b, 0)));
  const step = (width - left - 8) / Math.max(weeks.length, 1);
  const scale = (value) => ((height - bottom - top) * value) / max;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const add = (parent, tag, attrs, text) => { const node = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v); if (text !== undefined) node.textContent = text; parent.append(node); return node; };
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("direction", "ltr");
  add(svg, "title", {}, t("desk.admin.chart_title", { by: t(`desk.admin.${by}`) }));
  for (let i = 0; i <= 4; i += 1) {
    const value = Math.round((max * i) / 4);
    const y = height - bottom - scale(value);
    add(svg, "line", { x1: left, x2: width, y1: y, y2: y, stroke: "#ccc" });
    add(svg, "text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 12 }, String(value));
  }
  weeks.forEach((week, index) => {
    let y = height - bottom;
    const x = left + index * step + step * 0.15;
    keys.forEach((key, k) => {
      const value = week[by][key] || 0;
      if (!value) return;
      const h = scale(value);
      y -= h;
      add(add(svg, "rect", { x, y, width: step * 0.7, height: h, fill: COLORS[k % COLORS.length] }), "title", {}, `${week.week} ${key}: ${value}`);
    });
    add(svg, "text", { x: x + step * 0.35, y: height - bottom + 16, "text-anchor": "middle", "font-size": 11 }, week.week.replace(/^\d{4}-/, ""));
  });
  const legend = el("ul", { class: "legend" }, keys.map((key, k) => el("li", {}, el("span", { class: "swatch", style: `background:${COLORS[k % COLORS.length]}` }), labelFor(by, key))));
  const table = el("table", { class: "skip" }, el("caption", {}, t("desk.admin.stats")),
    el("tr", {}, el("th", { scope: "col" }, t("desk.admin.week")), keys.map((key) => el("th", { scope: "col" }, labelFor(by, key)))),
    weeks.map((week) => el("tr", {}, el("th", { scope: "row" }, week.week), keys.map((key) => el("td", {}, String(week[by][key] || 0))))));
  return [svg, legend, table];
}

function labelFor(by, key) {
  if (by === "by_concern") return t(`concern.${key}`);
  try { return new Intl.DisplayNames(["de"], { type: "language" }).of(key.replace("_", "-")) || key; } catch { return key; }
}

let stats = null;
function slotDay() {
  if (!$("slots-day").value) $("slots-day").value = new Date().toLocaleDateString("sv-SE", { timeZone });
  return $("slots-day").value;
}

// Each load renders only while it is the latest: an older one (another day chosen since, or one
// change event after another) would replace rows the admin is already editing.
let adminLoads = 0;
async function loadAdmin() {
  const load = ++adminLoads;
  try {
    const [site, serviceList, hours, slots, staff] = await Promise.all([
      call("/api/v1/admin/site"), call("/api/v1/admin/services"), call("/api/v1/admin/opening-hours"),
      call(`/api/v1/admin/slots?day=${slotDay()}`), call("/api/v1/admin/staff")]);
    const weekly = await call("/api/v1/admin/stats/weekly");
    if (load !== adminLoads) return;
    stats = weekly;
    $("chart").replaceChildren(...chart(stats, $("stats-by").value));
    $("retention").value = site.retention_days;
    $("desks").value = site.desks;
    $("services").querySelector("tbody").replaceChildren(...serviceList.map((service) => el("tr", {},
      el("td", {}, service.code), el("td", {}, service.name), el("td", {}, String(service.minutes_per_client)),
      el("td", {}, el("input", { type: "checkbox", checked: service.active, "aria-label": `${service.name}: ${t("desk.admin.active")}`,
        onchange: (event) => saveService(service.code, { active: event.target.checked }) })))));
    $("hours").value = hours.map((w) => `${w.weekday} ${w.opens.slice(0, 5)}-${w.closes.slice(0, 5)}`).join("\n");
    $("slots").querySelector("tbody").replaceChildren(...slots.slice(0, 50).map((slot) => el("tr", {},
      el("td", {}, dateTime(slot.starts_at)), el("td", {}, slot.service_code), el("td", {}, String(slot.booked)),
      el("td", {}, el("input", { type: "number", min: 0, max: 500, value: slot.capacity, style: "max-width: 6rem", "aria-label": `${dateTime(slot.starts_at)}: ${t("desk.admin.capacity")}`,
        onchange: (event) => saveSlot(slot.id, { capacity: Number(event.target.value) }) })),
      el("td", {}, el("select", { "aria-label": `${dateTime(slot.starts_at)}: ${t("desk.admin.interpreter")}`,
        onchange: (event) => saveSlot(slot.id, { interpreter_language: event.target.value || null }) },
        el("option", { value: "" }, "–"),
        boot.languages.map((lang) => el("option", { value: lang.code, selected: lang.code === slot.interpreter_language }, labelFor("by_language", lang.code))))))));
    $("staff").querySelector("tbody").replaceChildren(...staff.map((person) => el("tr", {},
      el("td", {}, person.username), el("td", {}, person.display_name), el("td", {}, t(`desk.role.${person.role}`)),
      el("td", {}, person.active ? t("common.yes") : t("common.no")))));
    await loadDevices();
  } catch (error) { showError(errorRegion, error); }
}

// The site's kiosks and call displays: each enrols once with a code shown here, and then works for this site only.
async function loadDevices() {
  const devices = await call("/api/v1/admin/devices");
  $("devices").querySelector("tbody").replaceChildren(...devices.map((device) => el("tr", { "data-device": device.id },
    el("td", {}, device.name), el("td", {}, t(`desk.device.kind.${device.kind}`)), el("td", {}, t(`desk.device.state.${device.state}`)),
    el("td", {}, device.state === "revoked" ? "" : el("button", { type: "button", class: "secondary", "aria-label": `${device.name}: ${t("desk.admin.revoke")}`,
      onclick: () => revokeDevice(device.id) }, t("desk.admin.revoke"))))));
}

async function createDevice(event) {
  event.preventDefault();
  try {
    const created = await call("/api/v1/admin/devices", { method: "POST", body: { name: $("device-name").value.trim(), kind: $("device-kind").value } });
    event.target.reset();
    $("enrolment-code").textContent = t("desk.admin.enrolment_code", { name: created.device.name, code: created.enrolment_code_display, time: dateTime(created.expires_at) });
    $("enrolment-code").hidden = false;
    await loadDevices();
  } catch (error) { showError(errorRegion, error); }
}

async function revokeDevice(id) {
  await saved(call(`/api/v1/admin/devices/${id}/revoke`, { method: "POST" }));
  try { await loadDevices(); } catch (error) { showError(errorRegion, error); }
}

// --- deployment admin: the sites, who works where, counts per site -------------------------------

let deploymentSites = [];
let editedStaff = null;

const address = (item) => [item.street, [item.postcode, item.city].filter(Boolean).join(" "), item.phone].filter(Boolean).join(", ") || "–";

async function loadDeployment() {
  try {
    const [sites, staff, weekly] = await Promise.all([call("/api/v1/deployment/sites"), call("/api/v1/deployment/staff"),
      call("/api/v1/deployment/stats/weekly?weeks=4")]);
    deploymentSites = sites;
    $("deployment-sites").querySelector("tbody").replaceChildren(...sites.map((item) => el("tr", { "data-site": item.code },
      el("th", { scope: "row", lang: "de" }, item.name), el("td", {}, item.code), el("td", {}, address(item)),
      el("td", {}, el("input", { type: "checkbox", checked: item.active, "aria-label": `${item.name}: ${t("desk.admin.active")}`,
        onchange: (event) => setSiteActive(item.code, event.target.checked) })),
      el("td", {}, String(item.staff)), el("td", {}, String(item.devices)))));
    const names = new Map(sites.map((item) => [item.code, item.name]));
    $("deployment-staff").querySelector("tbody").replaceChildren(...staff.map((person) => el("tr", { "data-staff": person.username },
      el("th", { scope: "row" }, person.username), el("td", {}, person.display_name), el("td", {}, t(`desk.role.${person.role}`)),
      el("td", { class: "sites" }, person.sites.length ? person.sites.map((own) => names.get(own.code) || own.name).join(", ") : t("desk.deployment.no_sites")),
      el("td", {}, person.role === "deployment_admin" ? "" : el("button", { type: "button", class: "secondary",
        "aria-label": `${person.display_name}: ${t("desk.deployment.edit_sites")}`, onclick: () => editStaffSites(person) }, t("desk.deployment.edit_sites"))))));
    $("deployment-stats").querySelector("tbody").replaceChildren(...weekly.flatMap((item) => [...item.weeks].reverse().map((week) =>
      el("tr", { "data-site": item.site }, el("th", { scope: "row", lang: "de" }, item.name), el("td", {}, week.week),
        el("td", {}, String(week.arrivals)), el("td", {}, String(week.bookings)), el("td", {}, String(week.handovers))))));
  } catch (error) { showError(errorRegion, error); }
}

async function setSiteActive(code, active) {
  await saved(call(`/api/v1/deployment/sites/${encodeURIComponent(code)}`, { method: "PATCH", body: { active } }), $("deployment-status"));
  await loadDeployment();
}

function editStaffSites(person) {
  editedStaff = person;
  const own = new Set(person.sites.map((item) => item.code));
  $("staff-sites-legend").textContent = t("desk.deployment.edit_title", { name: person.display_name });
  $("staff-sites-choices").replaceChildren(...deploymentSites.map((item) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "site", value: item.code, checked: own.has(item.code) }), el("span", { lang: "de" }, item.name))));
  $("staff-sites-form").hidden = false;
  $("staff-sites-choices").querySelector("input")?.focus();
}

async function saveStaffSites(event) {
  event.preventDefault();
  if (!editedStaff) return;
  const sites = [...$("staff-sites-choices").querySelectorAll("input:checked")].map((box) => box.value);
  await saved(call(`/api/v1/deployment/staff/${editedStaff.id}/sites`, { method: "PUT", body: { sites } }), $("deployment-status"));
  editedStaff = null;
  $("staff-sites-form").hidden = true;
  await loadDeployment();
}

// Content items awaiting review or machine-translated, and the installed offline translation pairs.
async function loadContentReview() {
  const yesNo = (value) => t(value ? "common.yes" : "common.no");
  const dateOnly = (iso) => new Date(`${iso}T12:00:00Z`).toLocaleDateString("de-DE", { timeZone: "UTC" });
  const nothing = (columns) => el("tr", {}, el("td", { colspan: columns }, t("desk.admin.nothing")));
  try {
    const [review, translation] = await Promise.all([call("/api/v1/admin/content/unreviewed"), call("/api/v1/admin/translation/pairs")]);
    const rows = review.items.map((item) => el("tr", { "data-topic": item.topic, "data-language": item.language },
      el("td", {}, item.topic), el("td", {}, labelFor("by_language", item.language)), el("td", {}, String(item.version)),
      el("td", {}, dateOnly(item.valid_as_of)), el("td", {}, dateOnly(item.review_by)), el("td", {}, yesNo(item.machine_translated)),
      el("td", {}, yesNo(item.reviewed)), el("td", {}, yesNo(item.expired))));
    $("content-review").querySelector("tbody").replaceChildren(...(rows.length ? rows : [nothing(8)]));
    const pairs = translation.pairs.map((pair) => el("tr", {},
      el("td", {}, labelFor("by_language", pair.source_language)), el("td", {}, labelFor("by_language", pair.target_language)), el("td", {}, pair.package_version)));
    $("translation-pairs").querySelector("tbody").replaceChildren(...(pairs.length ? pairs : [nothing(3)]));
  } catch (error) { showError(errorRegion, error); }
}

async function saved(promise, region = $("admin-status")) {
  try { await promise; setText(region, "desk.admin.saved"); } catch (error) { showError(errorRegion, error); }
}
const saveService = (code, body) => saved(call(`/api/v1/admin/services/${encodeURIComponent(code)}`, { method: "PATCH", body }));
const saveSlot = (id, body) => saved(call(`/api/v1/admin/slots/${id}`, { method: "PATCH", body }));

function showTab(name) {
  for (const button of document.querySelectorAll("[data-tab]")) { if (button.dataset.tab === name) button.setAttribute("aria-current", "page"); else button.removeAttribute("aria-current"); }
  $("tab-queue").hidden = name !== "queue";
  $("tab-inbox").hidden = name !== "inbox";
  $("tab-admin").hidden = name !== "admin";
  $("tab-deployment").hidden = name !== "deployment";
  clearInterval(inboxTimer);
  if (name === "admin") { loadAdmin(); loadContentReview(); }
  if (name === "deployment") loadDeployment();
  if (name === "inbox") { loadInbox(); inboxTimer = setInterval(loadInbox, 5000); }
}

applyDocumentLanguage();
applyTexts();
$("login-form").addEventListener("submit", login);
$("password-form").addEventListener("submit", changePassword);
$("logout").addEventListener("click", logout);
$("call-next").addEventListener("click", callNext);
$("act-call").addEventListener("click", () => act("call", { desk: deskName() }));
$("act-noshow").addEventListener("click", () => act("no-show"));
$("act-done").addEventListener("click", () => act("done"));
$("act-handover").addEventListener("click", () => act("handover", { service_code: $("handover-service").value }));
$("act-record").addEventListener("click", openRecord);
$("act-pdf").addEventListener("click", downloadSheet);
$("booking-service").addEventListener("change", loadSlots);
$("reply-form").addEventListener("submit", sendReply);
$("close-conversation").addEventListener("click", closeConversation);
$("act-book").addEventListener("click", book);
$("slots-day").addEventListener("change", loadAdmin);
$("stats-by").addEventListener("change", () => { if (stats) $("chart").replaceChildren(...chart(stats, $("stats-by").value)); });
$("site-form").addEventListener("submit", (event) => { event.preventDefault(); saved(call("/api/v1/admin/site", { method: "PATCH", body: { retention_days: Number($("retention").value), desks: Number($("desks").value) } })); });
$("hours-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const windows = $("hours").value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const match = line.match(/^(\d)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/);
    return match ? { weekday: Number(match[1]), opens: match[2].padStart(5, "0"), closes: match[3].padStart(5, "0") } : null;
  });
  if (windows.includes(null)) { setText(errorRegion, "desk.admin.opening_hours_hint"); return; }
  saved(call("/api/v1/admin/opening-hours", { method: "PUT", body: { windows } }));
});
$("staff-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await saved(call("/api/v1/admin/staff", { method: "POST", body: { username: $("new-username").value, display_name: $("new-name").value, role: $("new-role").value, password: $("new-password").value } }));
  event.target.reset();
  loadAdmin();
});
$("site-choice").addEventListener("change", switchSite);
$("device-form").addEventListener("submit", createDevice);
$("staff-sites-form").addEventListener("submit", saveStaffSites);
$("staff-sites-cancel").addEventListener("click", () => { editedStaff = null; $("staff-sites-form").hidden = true; });
for (const button of document.querySelectorAll("[data-tab]")) button.addEventListener("click", () => showTab(button.dataset.tab));
if (token) start(); else stop();

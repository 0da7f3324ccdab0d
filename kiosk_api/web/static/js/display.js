// The lobby call display: called numbers and desks, live; the call text in the client's language; a chime.
// Enrolled with a one-time code from the site admin, it shows its own site's calls; before, the deployment default's.
import { applyDocumentLanguage, applyTexts, bcp47, chime, el, enrolDevice, showError, stream } from "./common.js";

const $ = (id) => document.getElementById(id);
const DEVICE_KEY = "lotse.display.device";
const SITE_NAME_KEY = "lotse.display.site_name";
let latest = null;
let sound = false;
let live = null;

function stored(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

function forget() {
  try { localStorage.removeItem(DEVICE_KEY); localStorage.removeItem(SITE_NAME_KEY); } catch { /* storage disabled */ }
}

function render(calls) {
  $("empty").hidden = calls.length > 0;
  $("calls").replaceChildren(...calls.map((call) => el("li", { "data-number": call.display_number },
    el("span", { class: "num" }, call.display_number),
    el("span", { class: "text", lang: bcp47(call.language), dir: call.direction }, call.text),
    el("span", { class: "desk", "aria-hidden": "true" }, call.desk ? `→ ${call.desk}` : ""))));
  const newest = calls[0] ? `${calls[0].display_number}@${calls[0].called_at}` : null;
  if (newest && latest !== null && newest !== latest && sound) chime();
  latest = newest ?? "";
}

function renderEnrolment() {
  const enrolled = Boolean(stored(DEVICE_KEY));
  const name = enrolled ? stored(SITE_NAME_KEY) : null;
  $("go-enrol").hidden = enrolled;
  $("site-name").textContent = name || "";
  $("site-name").hidden = !name;
}

// The calls of the display's own site (X-Lotse-Device); a revoked display goes back to the default site's.
function follow() {
  live?.stop();
  latest = null;
  const token = stored(DEVICE_KEY);
  live = stream("/api/v1/display/stream", {
    headers: token ? { "X-Lotse-Device": token } : {},
    onEvent: (event, data) => { if (event === "calls") render(data); },
    onState: (state) => {
      if (state === "unauthorized" && token) { forget(); renderEnrolment(); follow(); }
    },
  });
}

async function enrol(event) {
  event.preventDefault();
  const code = $("enrolment-code").value.trim();
  if (!code) return;
  try {
    await enrolDevice(code, { tokenKey: DEVICE_KEY, siteNameKey: SITE_NAME_KEY });
    $("enrol-form").reset();
    $("enrol").hidden = true;
    $("error").textContent = "";
    renderEnrolment();
    follow();
  } catch (error) { showError($("error"), error); }
}

applyDocumentLanguage();
applyTexts();
// Browsers only play sound after a gesture; a kiosk browser can allow autoplay instead.
$("sound").addEventListener("click", () => { sound = true; chime(); $("sound").hidden = true; });
$("go-enrol").addEventListener("click", () => { $("enrol").hidden = false; $("enrolment-code").focus(); });
$("enrol-cancel").addEventListener("click", () => { $("enrol-form").reset(); $("enrol").hidden = true; $("error").textContent = ""; });
$("enrol-form").addEventListener("submit", enrol);
renderEnrolment();
follow();

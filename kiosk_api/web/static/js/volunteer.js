// Volunteer view: the same pre-registration with the client's and the volunteer's language side by side.
import { api, applyDocumentLanguage, applyTexts, bcp47, boot, el, showError } from "./common.js";

const $ = (id) => document.getElementById(id);
const errorRegion = $("error");
const CONCERNS = ["first_registration", "benefits_application", "documents", "appointment", "work_and_training",
  "language_course", "change_of_circumstances", "other"];
// Questions of the pre-registration: field, input type, options (catalog key prefix) where it is a choice.
const QUESTIONS = [
  ["given_name", "text"], ["family_name", "text"], ["birth_date", "date"], ["phone", "tel"], ["email", "email"],
  ["address", "text"], ["interpreter_needed", "bool"], ["registration_certificate", "bool"],
  ["concern", "choice", CONCERNS.map((c) => [c, `concern.${c}`])], ["concern_text", "textarea"],
];
const texts = {};
let receipt = null;
const side = () => [$("client-lang").value, $("helper-lang").value];

async function strings(code) {
  texts[code] = texts[code] || (await api(`/api/v1/ui-strings?language=${encodeURIComponent(code)}&page=volunteer`));
  return texts[code];
}
const tr = (code, key) => texts[code]?.strings[key] ?? texts[code]?.strings["web.text_unavailable"] ?? "…";
const dirOf = (code) => texts[code]?.direction || "ltr";
// One text in both languages, each with its own lang and dir.
const both = (key, tag = "span") => side().map((code) => el(tag, { lang: bcp47(code), dir: dirOf(code), class: "both" }, tr(code, key)));

async function render() {
  try {
    const [client, helper] = side();
    await Promise.all([strings(client), strings(helper)]);
    const notices = await Promise.all(side().map((code) => api(`/api/v1/consent/notice?language=${encodeURIComponent(code)}`)));
    $("consent").replaceChildren(...notices.map((notice) => el("div", { lang: bcp47(notice.language), dir: notice.direction },
      el("h3", {}, notice.title), el("p", { class: "consent-text", tabindex: "0" }, notice.text))));
    $("consent").dataset.version = notices[0].version;
    renderQuestions();
    await renderPlace();
  } catch (error) { showError(errorRegion, error); }
}

function renderQuestions() {
  const [client] = side();
  const rows = QUESTIONS.map(([field, type, options]) => {
    const id = `q-${field}`;
    let input;
    if (type === "bool" || type === "choice") {
      const choices = type === "bool" ? [["true", "common.yes"], ["false", "common.no"]] : options;
      input = el("select", { id, name: field },
        el("option", { value: "" }, "–"),
        choices.map(([value, key]) => el("option", { value }, `${tr(client, key)} · ${tr(side()[1], key)}`)));
    } else if (type === "textarea") input = el("textarea", { id, name: field, rows: 3, maxlength: 2000 });
    else input = el("input", { id, name: field, type, autocomplete: "off", dir: type === "text" ? "auto" : "ltr" });
    const echo = el("div", { class: "echo", id: `${id}-echo`, "aria-live": "polite" });
    input.addEventListener("input", () => showAnswer(field, input, echo));
    input.addEventListener("change", () => showAnswer(field, input, echo));
    return el("div", { class: "question" },
      el("label", { for: id, class: "bilingual" }, both(`field.${field}`, "span")), input, echo);
  });
  $("questions").replaceChildren(...rows, el("div", { class: "actions" }, el("button", { type: "submit", class: "both-submit" }, both("volunteer.save"))));
}

// The answer in both languages: choices by their catalog text, free text as typed.
function showAnswer(field, input, echo) {
  const spec = QUESTIONS.find(([name]) => name === field);
  if (!input.value) { echo.replaceChildren(); return; }
  if (spec[1] === "bool" || spec[1] === "choice") {
    const choices = spec[1] === "bool" ? [["true", "common.yes"], ["false", "common.no"]] : spec[2];
    const key = choices.find(([value]) => value === input.value)[1];
    echo.replaceChildren(el("div", { class: "bilingual" }, both(key)));
  } else echo.replaceChildren(el("div", { class: "bilingual" }, side().map((code) => el("span", { dir: "auto" }, input.value))));
}

// Where several offices share this deployment, the client's postcode or town finds theirs (the area table);
// the registration then goes to that office.
let office = null;
let offices = 1;

async function renderPlace() {
  offices = (await api("/api/v1/sites")).length;
  const box = $("place");
  box.hidden = offices < 2;
  box.dataset.ready = "yes";
  if (box.hidden) return;
  const button = el("button", { type: "button", id: "place-find" }, both("volunteer.place_find"));
  button.addEventListener("click", findOffice);
  box.replaceChildren(
    el("label", { for: "place-input", class: "bilingual" }, both("volunteer.place")),
    el("input", { id: "place-input", type: "text", maxlength: 100, autocomplete: "off", dir: "auto" }),
    button,
    el("div", { id: "place-office", class: "echo", "aria-live": "polite" }, office ? officeText(office) : ""));
}

function officeText(site) {
  const address = [site.street, [site.postcode, site.city].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  return el("div", { class: "bilingual" }, both("volunteer.office"), el("p", { dir: "ltr", id: "place-office-name" }, [site.name, address].filter(Boolean).join(" – ")));
}

async function findOffice() {
  const place = $("place-input").value.trim();
  errorRegion.textContent = "";
  if (!place) return;
  try {
    office = await api(`/api/v1/sites/lookup?place=${encodeURIComponent(place)}`);
    $("place-office").replaceChildren(officeText(office));
  } catch (error) {
    office = null;
    $("place-office").replaceChildren();
    showError(errorRegion, error);
  }
}

async function accept() {
  if (offices > 1 && !office) {
    errorRegion.textContent = side().map((code) => tr(code, "volunteer.place_needed")).join(" · ");
    return;
  }
  try {
    const [client] = side();
    receipt = await api("/api/v1/consents", {
      method: "POST",
      body: { language: client, notice_version: $("consent").dataset.version, channel: "volunteer" },
      headers: office ? { "X-Lotse-Site": office.code } : {},
    });
    $("step-consent").hidden = true;
    $("step-questions").hidden = false;
    $("client-lang").disabled = true;
  } catch (error) { showError(errorRegion, error); }
}

async function save(event) {
  event.preventDefault();
  const body = { assisted: true, preferred_language: side()[0] };
  for (const [field, type] of QUESTIONS) {
    const value = $(`q-${field}`).value.trim();
    if (!value) continue;
    body[field] = type === "bool" ? value === "true" : value;
  }
  try {
    await api(`/api/v1/intakes/${encodeURIComponent(receipt.reference_code)}`, { method: "PATCH", body, headers: { "X-Lotse-Pin": receipt.pin } });
    $("step-questions").hidden = true;
    $("step-done").hidden = false;
    $("done").replaceChildren(...side().map((code) => el("div", { lang: bcp47(code), dir: dirOf(code) },
      el("p", {}, tr(code, "volunteer.done_hint")),
      el("p", {}, `${tr(code, "kiosk.ticket.reference_code")}: `, el("span", { class: "code" }, receipt.reference_code_display || receipt.reference_code)),
      el("p", {}, `${tr(code, "kiosk.ticket.pin")}: `, el("span", { class: "code" }, receipt.pin)))));
  } catch (error) { showError(errorRegion, error); }
}

function restart() {
  receipt = null;
  office = null;
  $("client-lang").disabled = false;
  $("step-done").hidden = true;
  $("step-consent").hidden = false;
  render();
}

applyDocumentLanguage();
applyTexts();
const options = () => boot.languages.map((lang) => el("option", { value: lang.code, lang: bcp47(lang.code) }, lang.native_name));
$("client-lang").replaceChildren(...options());
$("helper-lang").replaceChildren(...options());
$("client-lang").value = new URLSearchParams(location.search).get("client") || "ar";
$("helper-lang").value = boot.language;
$("client-lang").addEventListener("change", render);
$("helper-lang").addEventListener("change", render);
$("consent-accept").addEventListener("click", accept);
$("questions").addEventListener("submit", save);
$("restart").addEventListener("click", restart);
render();

// The client's own checklist: reference code + PIN, then documents and steps with the German term beside.
import { api, applyDocumentLanguage, applyTexts, boot, dirOf, el, bcp47, setText, showError, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const errorRegion = $("error");
let shown = null;

// What people type (spaces, dashes, lower case) as the compact code the API and the QR route take.
const compact = (code) => code.toUpperCase().replace(/[^0-9A-Z]/g, "");

// Only the PIN opens the checklist: the date of birth serves check-in alone.
function proof() {
  const pin = $("pin").value.trim();
  return pin ? { "X-Lotse-Pin": pin } : null;
}

function item(entry) {
  return el("li", {},
    el("span", { class: "text", lang: bcp47(entry.text_language), dir: dirOf(entry.text_language) }, entry.text),
    el("span", { class: "german", lang: "de", dir: "ltr" }, el("span", { class: "german-label" }, t("checklist.page.in_german")), entry.german));
}

function render(checklist) {
  $("title").textContent = checklist.title;
  $("intro").textContent = checklist.intro;
  $("reference").textContent = checklist.reference_code;
  $("qr").src = `/api/v1/qr.svg?data=${encodeURIComponent(compact(checklist.reference_code))}`;
  $("qr").alt = t("checklist.page.qr");
  $("documents-heading").textContent = checklist.documents_heading;
  $("steps-heading").textContent = checklist.steps_heading;
  $("documents").replaceChildren(...checklist.documents.map(item));
  $("steps").replaceChildren(...checklist.steps.map(item));
  $("result").hidden = false;
}

async function show(event) {
  event.preventDefault();
  errorRegion.textContent = "";
  const code = compact($("code").value);
  const headers = proof();
  if (!code || !headers) { setText(errorRegion, "checklist.page.pin_missing"); return; }
  try {
    const checklist = await api(`/api/v1/intakes/${encodeURIComponent(code)}/checklist?language=${encodeURIComponent(boot.language)}`, { headers });
    shown = { code, headers };
    render(checklist);
  } catch (error) {
    shown = null;
    $("result").hidden = true;
    showError(errorRegion, error);
  }
}

async function downloadPdf() {
  if (!shown) return;
  errorRegion.textContent = "";
  try {
    const response = await api(`/api/v1/intakes/${encodeURIComponent(shown.code)}/checklist.pdf?language=${encodeURIComponent(boot.language)}`,
      { headers: shown.headers, raw: true });
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: `checklist-${shown.code}.pdf`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) { showError(errorRegion, error); }
}

applyDocumentLanguage();
applyTexts();
$("proof-form").addEventListener("submit", show);
$("print").addEventListener("click", () => window.print());
$("pdf").addEventListener("click", downloadPdf);
const fromUrl = new URLSearchParams(location.search).get("code");
if (fromUrl) $("code").value = fromUrl;

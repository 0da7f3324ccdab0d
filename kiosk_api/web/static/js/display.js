// The lobby call display: called numbers and desks, live; the call text in the client's language; a chime.
import { applyDocumentLanguage, applyTexts, bcp47, chime, el, setText, stream } from "./common.js";

const $ = (id) => document.getElementById(id);
let latest = null;
let sound = false;

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

applyDocumentLanguage();
applyTexts();
// Browsers only play sound after a gesture; a kiosk browser can allow autoplay instead.
$("sound").addEventListener("click", () => { sound = true; chime(); $("sound").hidden = true; });
stream("/api/v1/display/stream", { onEvent: (event, data) => { if (event === "calls") render(data); } });

// Web chat: the vendored rasa-webchat widget on Rasa's socket.io channel; language buttons switch the bot and the page.
import { applyDocumentLanguage, applyTexts, bcp47, boot, el, language, loadTexts, setText, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const chooseIntent = (code) => `/choose_language{"language":"${code}"}`;

function renderLanguages() {
  $("languages").replaceChildren(...boot.languages.map((lang) => el("li", {},
    el("button", { type: "button", class: "secondary", lang: bcp47(lang.code), dir: lang.direction, "data-lang": lang.code,
      "aria-pressed": String(lang.code === language()), onclick: () => choose(lang.code) }, lang.native_name))));
}

async function choose(code) {
  await loadTexts(code);
  renderLanguages();
  const url = new URL(window.location.href);
  url.searchParams.set("lang", code);
  history.replaceState(null, "", url);
  if (window.WebChat?.send) window.WebChat.send(chooseIntent(code));
  else startWidget();
}

let started = false;
function startWidget() {
  if (started) return;
  if (!boot.config.socket_url) { setText($("error"), "chat.unavailable"); return; }
  if (!window.WebChat) { setText($("error"), "chat.widget_missing"); return; }
  started = true;
  window.WebChat.default({
    selector: "#chat-root",
    embedded: true,
    showFullScreenButton: false,
    socketUrl: boot.config.socket_url,
    socketPath: "/socket.io/",
    initPayload: chooseIntent(language()),
    customData: { language: language() },
    title: t("chat.title"),
    subtitle: t("chat.assistant_notice"),
    inputTextFieldHint: t("chat.input_hint"),
    params: { storage: "session" },
  }, null);
}

applyDocumentLanguage();
applyTexts();
renderLanguages();
window.addEventListener("load", () => { if (boot.config.preselected) startWidget(); else setText($("error"), "chat.choose_first"); });

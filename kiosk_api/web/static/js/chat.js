// Web chat: the vendored rasa-webchat widget on Rasa's socket.io channel; language buttons switch the bot and the page.
import { applyDocumentLanguage, applyTexts, bcp47, boot, el, language, loadTexts, setText, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const chooseIntent = (code) => `/choose_language{"language":"${code}"}`;

function renderLanguages() {
  $("languages").replaceChildren(...boot.languages.map((lang) => el("li", {},
    el("button", { type: "button", class: "secondary", lang: bcp47(lang.code), dir: lang.direction, "data-lang": lang.code,
      "aria-pressed": String(lang.code === language()), onclick: () => choose(lang.code) }, lang.native_name))));
}

// The widget's send button holds only an icon: it gets its name from our catalog, also after re-renders.
function labelSendButton() {
  for (const button of $("chat-root").querySelectorAll("button.rw-send")) {
    if (button.getAttribute("aria-label") !== t("chat.send")) button.setAttribute("aria-label", t("chat.send"));
  }
}

async function choose(code) {
  await loadTexts(code);
  renderLanguages();
  labelSendButton();
  const url = new URL(window.location.href);
  url.searchParams.set("lang", code);
  history.replaceState(null, "", url);
  if (widget) {
    mountWidget();  // the same widget re-rendered: its texts in the new language, the conversation kept
    widget.sendMessage(chooseIntent(code));
  } else startWidget();
}

let started = false;
// The widget's handle (sendMessage), handed over through innerRef once it has mounted.
let widget = null;
function startWidget() {
  if (started) return;
  if (!boot.config.socket_url) { setText($("error"), "chat.unavailable"); return; }
  if (!window.WebChat) { setText($("error"), "chat.widget_missing"); return; }
  started = true;
  new MutationObserver(labelSendButton).observe($("chat-root"), { childList: true, subtree: true });
  mountWidget();
}

// The UMD build's default export is selfMount(props, element): without the element it mounts into a new
// div at the end of <body>, outside #chat-root and our styles. Rules (page-visit tracking in localStorage) stay off.
// Called again, React updates the mounted widget's props.
function mountWidget() {
  window.WebChat.default({
    embedded: true,
    withRules: false,
    innerRef: (handle) => { if (handle) widget = handle; },
    showFullScreenButton: false,
    socketUrl: boot.config.socket_url,
    socketPath: "/socket.io/",
    initPayload: chooseIntent(language()),
    customData: { language: language() },
    title: t("chat.title"),
    subtitle: t("chat.assistant_notice"),
    inputTextFieldHint: t("chat.input_hint"),
    connectingText: t("chat.connecting"),
    params: { storage: "session" },
  }, $("chat-root"));
}

applyDocumentLanguage();
applyTexts();
renderLanguages();
window.addEventListener("load", () => { if (boot.config.preselected) startWidget(); else setText($("error"), "chat.choose_first"); });

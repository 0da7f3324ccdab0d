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

// Past the chat's capacity the cluster's proxy refuses a new connection at once with 503 (scripts/cluster_proxy.sh)
// instead of letting it wait: the page says so in the client's language, and the widget's socket.io client tries
// again on its own (its first request is a long-polling one, whose status reaches connect_error as `description`).
// The text follows a language switch (applyTexts reads data-t) and goes once the connection is made.
function showBusy(error) {
  if (error?.description !== 503) return;
  $("error").dataset.t = "chat.busy";
  setText($("error"), "chat.busy");
}
function clearBusy() {
  if ($("error").dataset.t !== "chat.busy") return;
  delete $("error").dataset.t;
  $("error").textContent = "";
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
    onSocketEvent: { connect_error: showBusy, connect: clearBusy },
  }, $("chat-root"));
}

applyDocumentLanguage();
applyTexts();
renderLanguages();
window.addEventListener("load", () => { if (boot.config.preselected) startWidget(); else setText($("error"), "chat.choose_first"); });

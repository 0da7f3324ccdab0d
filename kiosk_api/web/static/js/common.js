// Shared helpers of the Lotse pages: catalog texts from the server, JSON API calls, live event streams.

export const boot = JSON.parse(document.getElementById("boot").textContent);
let texts = { language: boot.language, direction: boot.direction, strings: boot.strings, fallback: boot.fallback };

export function language() { return texts.language; }
export function direction() { return texts.direction; }
export function bcp47(code) { return String(code).replace("_", "-"); }

// The text of a catalog key with {placeholders} filled; a missing key shows the catalog's "unavailable" text, never the key.
export function t(key, params = {}) {
  const text = texts.strings[key] ?? texts.strings["web.text_unavailable"] ?? "…";
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

const RTL = new Set(["ar", "fa", "fa_AF", "ps", "ckb"]);
export function dirOf(code) { return RTL.has(code) || RTL.has(String(code).split(/[-_]/)[0]) ? "rtl" : "ltr"; }

// Marks a text that fell back to another language with that language's lang and dir.
export function setText(element, key, params) {
  element.textContent = t(key, params);
  const from = texts.fallback[key];
  if (from) { element.lang = bcp47(from); element.dir = dirOf(from); }
  else { element.removeAttribute("lang"); element.removeAttribute("dir"); }
}

export function applyTexts(root = document) {
  for (const element of root.querySelectorAll("[data-t]")) setText(element, element.dataset.t);
  for (const element of root.querySelectorAll("[data-t-label]")) element.setAttribute("aria-label", t(element.dataset.tLabel));
  for (const element of root.querySelectorAll("[data-t-placeholder]")) element.placeholder = t(element.dataset.tPlaceholder);
  const title = texts.strings[`${boot.page}.page_title`];
  if (title) document.title = title;
}

export function applyDocumentLanguage() {
  document.documentElement.lang = bcp47(texts.language);
  document.documentElement.dir = texts.direction;
}

export async function loadTexts(code, page = boot.page) {
  const data = await api(`/api/v1/ui-strings?language=${encodeURIComponent(code)}&page=${page}`);
  texts = data;
  applyDocumentLanguage();
  applyTexts();
  return data;
}

export function resetTexts() {
  texts = { language: boot.language, direction: boot.direction, strings: boot.strings, fallback: boot.fallback };
  applyDocumentLanguage();
  applyTexts();
}

export function formatNumber(value) {
  return new Intl.NumberFormat(bcp47(texts.language)).format(value);
}

// A kiosk or display trades its one-time enrolment code for its token and remembers it with its site's name.
export async function enrolDevice(code, { tokenKey, siteNameKey }) {
  const device = await api("/api/v1/devices/enrol", { method: "POST", body: { enrolment_code: code } });
  localStorage.setItem(tokenKey, device.token);
  localStorage.setItem(siteNameKey, device.site_name);
  return device;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code || "http_error";
    this.details = body?.error?.details || {};
  }
}

// A JSON call to the kiosk API; errors come back in the page's language (Accept-Language).
export async function api(path, { method = "GET", body, headers = {}, token, raw = false } = {}) {
  const init = { method, headers: { "Accept-Language": bcp47(texts.language), ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  const response = await fetch(path, init);
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, data);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

// Server-sent events read with fetch, so a bearer token and other headers (the site, the device) can go along;
// reconnects after a break. `token` and `headers` may be functions, read again at each reconnect.
export function stream(path, { token, headers: extra = {}, onEvent, onState = () => {} }) {
  let stopped = false;
  let controller = null;
  async function run() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const headers = { ...(typeof extra === "function" ? extra() : extra), Accept: "text/event-stream" };
        if (token) headers.Authorization = `Bearer ${typeof token === "function" ? token() : token}`;
        const response = await fetch(path, { headers, signal: controller.signal, cache: "no-store" });
        if (response.status === 401 || response.status === 403) { onState("unauthorized"); return; }
        if (response.status === 404) { onState("gone"); return; }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        onState("open");
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = "message";
            const data = [];
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) event = line.slice(6).trim();
              else if (line.startsWith("data:")) data.push(line.slice(5).trim());
            }
            if (event === "unauthorized" || event === "gone") { onState(event); stopped = true; return; }
            if (data.length) onEvent(event, JSON.parse(data.join("\n")));
          }
        }
      } catch (error) {
        if (stopped) return;
        onState("error");
      }
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  run();
  return { stop() { stopped = true; controller?.abort(); } };
}

// A short two-tone chime (WebAudio), no sound file needed.
let audio = null;
export function chime() {
  try {
    audio = audio || new AudioContext();
    const now = audio.currentTime;
    for (const [offset, freq] of [[0, 660], [0.35, 880]]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.3, now + offset + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.6);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + offset);
      osc.stop(now + offset + 0.65);
    }
  } catch { /* no audio device: the screen still shows the call */ }
}

// A team's name in the client's language, with the German name from the door signs beside it.
export function showService(element, code, germanName) {
  const own = texts.strings[`service.${code}`];
  if (!own || own === germanName || texts.language === "de") {
    element.replaceChildren(germanName);
    element.lang = "de";
    return;
  }
  element.removeAttribute("lang");
  element.replaceChildren(own, " ", el("span", { lang: "de", dir: "ltr" }, `(${germanName})`));
}

export function el(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function showError(region, error) {
  region.textContent = error instanceof ApiError ? error.message : t("web.error.network");
}

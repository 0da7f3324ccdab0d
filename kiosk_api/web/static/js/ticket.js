// The ticket page on the client's phone: live position, and an alert (sound, vibration) when the turn is near.
import { applyDocumentLanguage, applyTexts, boot, chime, formatNumber, setText, showService, stream, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const NEAR = 2;
let alerted = "";

function render(ticket) {
  $("number").textContent = ticket.display_number;
  setText($("status"), `ticket_status.${ticket.status}`);
  $("position").textContent = ticket.position === null ? "–" : formatNumber(ticket.position);
  $("wait").textContent = ticket.estimated_wait_minutes === null ? "–" : t("ticket.minutes", { minutes: formatNumber(ticket.estimated_wait_minutes) });
  showService($("service"), ticket.service_code, ticket.service_name);
  if (ticket.desk) $("desk").textContent = ticket.desk; else setText($("desk"), "ticket.desk_pending");
  let level = "";
  if (ticket.status === "called" || ticket.status === "handed_over") level = "called";
  else if (ticket.status === "waiting" && ticket.position !== null && ticket.position <= NEAR) level = "near";
  const alert = $("alert");
  alert.hidden = !level;
  if (level === "called") setText(alert, "ticket.alert_called", { desk: ticket.desk || "" });
  else if (level === "near") setText(alert, "ticket.alert_near");
  if (level && level !== alerted) {
    chime();
    navigator.vibrate?.([300, 150, 300]);
  }
  alerted = level;
}

applyDocumentLanguage();
applyTexts();
$("chat-link").href = `/chat?lang=${encodeURIComponent(boot.language)}`;
$("checklist-link").href = `/checklist?lang=${encodeURIComponent(boot.language)}`;
$("info-link").href = `/info?lang=${encodeURIComponent(boot.language)}`;
stream(`/api/v1/tickets/${encodeURIComponent(boot.config.ticket_code)}/stream`, {
  onEvent: (event, data) => { if (event === "ticket") { render(data); setText($("live"), "ticket.live"); } },
  onState: (state) => { if (state === "error") setText($("live"), "ticket.reconnecting"); },
});

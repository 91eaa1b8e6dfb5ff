import DOMPurify from "dompurify";

function escapeHtml(s) {
  return String(s)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

export function attach(session, log) {
  session.onMessage((event) => {
    const { Content, DisplayName } = event.data;
    log.innerHTML += DOMPurify.sanitize(Content);
    log.insertAdjacentHTML("beforeend", `<b>${escapeHtml(DisplayName)}</b>`);
    const a = document.createElement("a");
    a.href = "/attachments/" + encodeURIComponent(Content);
    a.textContent = DisplayName;
    log.appendChild(a);
  });
}

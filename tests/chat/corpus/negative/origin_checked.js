const TRUSTED = "https://www.example.com";

window.addEventListener("message", (event) => {
  if (event.origin !== TRUSTED) {
    return;
  }
  document.getElementById("status").textContent = event.data.status;
});

function onWidgetMessage(e) {
  if (!["https://a.example.com", "https://b.example.com"].includes(e.origin)) return;
  startChat(e.data);
}
window.addEventListener("message", onWidgetMessage);

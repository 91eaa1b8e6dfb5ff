// Modelled on amazon-connect-chat-interface ChatInterface: a message listener that starts a chat from
// whatever any window posts, without looking at event.origin.
export function listen(initiateChat) {
  window.addEventListener("message", function (event) { // expect: message-origin-unchecked
    const data = event.data;
    if (data && data.initChat) {
      initiateChat(data);
    }
  });
}

export function renderBanner() {
  window.addEventListener("message", (e) => { // expect: message-origin-unchecked
    document.getElementById("banner").innerHTML = e.data.banner; // expect: tainted-html-sink
  });
}

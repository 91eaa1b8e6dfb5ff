// Flows the scanner is known to lose (kept in the corpus so the figures stay honest).
const session = connect.ChatSession.create({ chatDetails, type: "CUSTOMER" });

// 1. A method of an object literal: calls through obj.method() are not resolved.
const ui = {
  show(message) {
    document.getElementById("last").innerHTML = message; // expect: tainted-html-sink
  },
};
session.onMessage((e) => ui.show(e.data.Content));

// 2. A custom event bus between the chat session and the renderer.
const bus = new EventTarget();
session.onTyping((e) => bus.dispatchEvent(new CustomEvent("typing", { detail: e.data.DisplayName })));
bus.addEventListener("typing", (ev) => {
  document.getElementById("typing").innerHTML = ev.detail + " is typing"; // expect: tainted-html-sink
});

// 3. Taint written into an argument object by Object.assign.
const state = {};
session.onMessage((e) => {
  Object.assign(state, e.data);
});
function paint() {
  document.getElementById("state").innerHTML = state.Content; // expect: tainted-html-sink
}

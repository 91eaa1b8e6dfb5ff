// A custom client that talks to the participant WebSocket directly instead of through chatjs.
const socket = new WebSocket(connectionUrl);
const transcript = document.querySelector("#transcript");

socket.onmessage = (event) => {
  const envelope = JSON.parse(event.data);
  const message = JSON.parse(envelope.content);
  transcript.insertAdjacentHTML("beforeend", `<li class="msg">${message.Content}</li>`); // expect: tainted-html-sink
  if (message.Type === "EVENT") {
    handleEvent(message);
  }
};

function handleEvent(evt) {
  const status = document.getElementById("status");
  status.outerHTML = "<span>" + evt.DisplayName + " joined</span>"; // expect: tainted-html-sink
}

socket.addEventListener("message", ({ data }) => {
  const parsed = JSON.parse(data);
  if (parsed.topic === "aws/ping") return;
  setTimeout("updateTyping('" + parsed.content + "')", 10); // expect: tainted-code-sink
});

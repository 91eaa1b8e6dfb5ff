// Modelled on aws-connect-chat-widget public/integration.js: a fallback built from literal strings.
(function () {
  const fallback = document.createElement("div");
  fallback.innerHTML = [
    '<div class="chat-fallback">',
    "<p>Chat is unavailable right now.</p>",
    '<a href="/contact">Contact us</a>',
    "</div>",
  ].join("");
  document.body.appendChild(fallback);
  const TEMPLATE = `<button class="open-chat">Chat with us</button>`;
  document.getElementById("launcher").innerHTML = TEMPLATE;
  document.getElementById("badge").innerHTML = "<span>1</span>";
})();

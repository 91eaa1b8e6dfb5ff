// jQuery chat log fed by chatjs.
const session = connect.ChatSession.create({ chatDetails, type: "CUSTOMER", options: { region } });

session.onMessage(function (message) {
  const d = message.data;
  const line = "<div><b>" + d.DisplayName + "</b> " + d.Content + "</div>";
  $("#chat-log")
    .append(line); // expect: tainted-html-sink
  $("#last-message").html(d.Content); // expect: tainted-html-sink
});

session.onTyping(function (typingEvent) {
  $(".typing").html(typingEvent.data.DisplayName + " is typing"); // expect: tainted-html-sink
});

function showNotice(notice) {
  $("#notice").html(notice); // expect: unsafe-html-sink
}

// Timers with functions and DOM (not jQuery) insertion of text are safe by construction.
const session = connect.ChatSession.create({ chatDetails, type: "CUSTOMER" });
const log = document.getElementById("log");

session.onMessage((event) => {
  const p = document.createElement("p");
  p.append(event.data.Content);
  log.append(p);
  log.after(event.data.DisplayName);
  setTimeout(() => p.classList.add("seen"), 1000);
  setTimeout(markRead, 500, event.data.Id);
});

function markRead(id) {
  console.log("read", id);
}

const count = log.children.length;
document.getElementById("count").innerHTML = count.toFixed(0);

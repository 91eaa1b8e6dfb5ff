// Safe code the scanner is known to flag (flow-insensitive analysis; guards by early return).
const session = connect.ChatSession.create({ chatDetails, type: "CUSTOMER" });

session.onMessage((e) => {
  // 1. Sanitized by re-assignment before the sink: the analysis does not track order.
  let html = e.data.Content;
  html = DOMPurify.sanitize(html);
  document.getElementById("last").innerHTML = html;
});

session.onMessage((e) => {
  // 2. Scheme checked by an early return.
  const url = JSON.parse(e.data.Content).url;
  if (!/^https:\/\//.test(url)) return;
  const a = document.createElement("a");
  a.href = url;
});

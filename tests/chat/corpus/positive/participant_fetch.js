// Calling the Participant Service REST API directly with fetch.
const endpoint = `https://participant.connect.${region}.amazonaws.com/participant/transcript`;

function loadTranscript(token) {
  return fetch(endpoint, { method: "POST", headers: { "X-Amz-Bearer": token }, body: "{}" })
    .then((r) => r.json())
    .then((body) => {
      for (const item of body.Transcript) {
        render(item);
      }
    });
}

function render(item) {
  const row = document.createElement("div");
  row.innerHTML = item.Content; // expect: tainted-html-sink
  const frame = document.createElement("iframe");
  frame.srcdoc = item.Attachments[0].AttachmentName; // expect: tainted-html-sink
  const link = document.createElement("a");
  link.setAttribute("href", item.Content); // expect: tainted-url-sink
  document.body.setHTMLUnsafe(item.Content); // expect: tainted-html-sink
  const doc = new DOMParser().parseFromString(item.Content, "text/html"); // expect: tainted-html-sink
  document.body.append(doc.body.firstChild);
}

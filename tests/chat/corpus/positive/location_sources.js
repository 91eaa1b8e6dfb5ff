// Chat entry page that reads parameters from the address bar (firing-range style source x sink cases).
const params = new URLSearchParams(window.location.search);
const customerName = params.get("name");

document.write("<h1>Welcome " + customerName + "</h1>"); // expect: tainted-html-sink
document.getElementById("topic").innerHTML = decodeURIComponent(location.hash.slice(1)); // expect: tainted-html-sink

const next = params.get("next");
if (next) {
  window.location.href = next; // expect: tainted-url-sink
}

const cb = location.hash.substring(1);
new Function("return " + cb)(); // expect: tainted-code-sink
eval(document.referrer); // expect: tainted-code-sink

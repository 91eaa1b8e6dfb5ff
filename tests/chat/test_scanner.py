"""The DOM-XSS scanner on small programs: sources x sinks, propagation, sanitizers, positions, files."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectguard.chat.scanner import scan_paths, scan_source
from connectguard.conventions import Severity


def rules(findings) -> set[tuple[int, str]]:
    return {(f.line, f.rule) for f in findings}


SOURCES = {
    "chatjs onMessage": ("session.onMessage((ev) => {{ const v = ev.data.Content; {sink} }});", "chatjs onMessage"),
    "chatjs onTyping": ("session.onTyping(function (ev) {{ var v = ev.data.DisplayName; {sink} }});", "onTyping"),
    "chatjs transcript then": ("session.getTranscript({{}}).then((r) => {{ const v = r.data.Transcript[0].Content; "
                               "{sink} }});", "getTranscript"),
    "chatjs transcript await": ("async function f() {{ const r = await session.getTranscript({{}}); "
                                "const v = r.data; {sink} }}", "getTranscript"),
    "websocket onmessage": ("ws.onmessage = (e) => {{ const v = JSON.parse(e.data).content; {sink} }};", "WebSocket"),
    "websocket listener": ("sock.addEventListener('message', (e) => {{ const v = e.data; {sink} }});", "WebSocket"),
    "postMessage": ("window.addEventListener('message', (e) => {{ const v = e.data; {sink} }});", "postMessage"),
    "participant fetch": ("fetch('https://participant.connect.us-east-1.amazonaws.com/x').then((r) => r.json())"
                          ".then((d) => {{ const v = d.Transcript; {sink} }});", "Participant Service"),
    "location.hash": ("const v = location.hash.slice(1); {sink}", "location.hash"),
}
SINKS = {
    "innerHTML": ("el.innerHTML = v;", "tainted-html-sink"),
    "outerHTML +=": ("el.outerHTML += `<i>${v}</i>`;", "tainted-html-sink"),
    "insertAdjacentHTML": ("el.insertAdjacentHTML('beforeend', '<b>' + v + '</b>');", "tainted-html-sink"),
    "document.write": ("document.write(v);", "tainted-html-sink"),
    "document.writeln": ("document.writeln(v);", "tainted-html-sink"),
    "createContextualFragment": ("range.createContextualFragment(v);", "tainted-html-sink"),
    "jQuery html": ("$('#x').html(v);", "tainted-html-sink"),
    "jQuery prepend": ("$list.prepend(v);", "tainted-html-sink"),
    "jQuery replaceWith": ("jQuery('.a').replaceWith(v);", "tainted-html-sink"),
    "eval": ("eval(v);", "tainted-code-sink"),
    "new Function": ("new Function(v)();", "tainted-code-sink"),
    "setTimeout string": ("setTimeout(v, 10);", "tainted-code-sink"),
    "location assign": ("location.assign(v);", "tainted-url-sink"),
    "window.open": ("window.open(v);", "tainted-url-sink"),
    "a.href": ("link.href = v;", "tainted-url-sink"),
    "img src": ("img.src = v;", "tainted-url-sink"),
    "setAttribute href": ("a.setAttribute('href', v);", "tainted-url-sink"),
    "setAttribute onclick": ("a.setAttribute('onclick', v);", "tainted-code-sink"),
    "dynamic import": ("import(v);", "tainted-code-sink"),
    "innerHTML by subscript": ("el['innerHTML'] = v;", "tainted-html-sink"),
}


@pytest.mark.parametrize("source", list(SOURCES))
@pytest.mark.parametrize("sink", list(SINKS))
def test_every_source_reaches_every_sink(scan, source, sink):
    template, source_word = SOURCES[source]
    sink_code, rule = SINKS[sink]
    findings = scan(template.format(sink=sink_code))
    tainted = [f for f in findings if f.rule == rule]
    assert tainted, f"{source} -> {sink}: {findings}"
    assert source_word in tainted[0].source
    expected = Severity.MEDIUM if rule == "tainted-url-sink" else Severity.HIGH
    assert tainted[0].severity is expected


@pytest.mark.parametrize("code", [
    "session.onMessage((e) => { el.textContent = e.data.Content; });",
    "session.onMessage((e) => { el.innerText = `${e.data.DisplayName}: ${e.data.Content}`; });",
    "session.onMessage((e) => { el.innerHTML = DOMPurify.sanitize(e.data.Content); });",
    "session.onMessage((e) => { el.innerHTML = escapeHtml(e.data.Content); });",
    "session.onMessage((e) => { const n = document.createElement('p'); n.append(e.data.Content); el.append(n); });",
    "session.onMessage((e) => { setTimeout(() => show(e.data), 10); });",
    "session.onMessage((e) => { el.innerHTML = e.data.Content.length; });",
    "session.onMessage((e) => { if (e.data.Content.includes('<')) { el.innerHTML = '<b>!</b>'; } });",
    "window.addEventListener('message', (e) => { if (e.origin !== ORIGIN) return; el.textContent = e.data; });",
    "el.innerHTML = '<b>static</b>' + `<i>${'x'}</i>`;",
    "const T = '<p>hi</p>'; el.innerHTML = T;",
    "el.innerHTML = ['<a>', '</a>'].join('');",
    "head.insertAdjacentHTML('beforeend', 'a.woff2,b.woff2'.split(',').map((f) => `<link href='${f}'>`).join(''));",
    "a.href = '/agents/' + id;",
    "a.href = `https://example.com/${id}`;",
    "window.open(`/chat?id=${encodeURIComponent(id)}`);",
    "document.body.append(x);",  # DOM append inserts text
    "import(`./locale/${lang}.js`);",
    "location.replace('macro.is_feature_detected.html' + location.search + location.hash);",
    "window.location.href = nextButton.href;",
    "class Cmd { constructor(t) { this.action = t.action; } }",
])
def test_safe_code_has_no_findings(scan, code):
    assert scan(code) == []


def test_url_sinks_guarded_by_a_scheme_check_are_safe(scan):
    code = """
    session.onMessage((e) => {
      const u = JSON.parse(e.data.Content).url;
      if (/^https:\\/\\//.test(u)) {
        link.href = u;
      }
      other.href = u;
    });"""
    assert rules(scan(code)) == {(7, "tainted-url-sink")}


def test_a_prefix_of_scheme_characters_does_not_fix_the_scheme(scan):
    code = "session.onMessage((e) => { link.href = 'java' + e.data.Content; });"
    assert rules(scan(code)) == {(1, "tainted-url-sink")}


def test_script_element_text_is_a_code_sink(scan):
    code = "ws.onmessage = (e) => { const script = document.createElement('script'); script.text = e.data; };"
    assert rules(scan(code)) == {(1, "tainted-code-sink")}


def test_react_text_children_and_plain_attributes_are_safe(scan):
    code = """
    export function M({ session }) {
      const [items, setItems] = useState([]);
      useEffect(() => session.onMessage((e) => setItems((p) => [...p, e.data])), []);
      return items.map((m) => <p key={m.Id} title={m.DisplayName} className={m.Type} data-x={m.Content}>
        {m.DisplayName}: {m.Content}</p>);
    }"""
    assert scan(code, "m.jsx") == []


def test_react_flows_through_use_state_to_dangerously_set_inner_html(scan):
    code = """
    export function M({ session }) {
      const [items, setItems] = useState([]);
      useEffect(() => session.onMessage((e) => setItems((p) => [...p, e.data])), []);
      return items.map((m) => <p dangerouslySetInnerHTML={{ __html: m.Content }} />);
    }"""
    assert rules(scan(code, "m.jsx")) == {(5, "tainted-html-sink")}


def test_react_create_element_props_are_a_sink(scan):
    code = "session.onMessage((e) => React.createElement('div', { dangerouslySetInnerHTML: { __html: e.data.Content } }));"
    assert rules(scan(code)) == {(1, "tainted-html-sink")}


def test_taint_through_local_functions_and_returns(scan):
    code = """
    function wrap(x) { return '<p>' + x + '</p>'; }
    function put(html) {
      target.innerHTML = html;
    }
    session.onMessage((e) => put(wrap(e.data.Content)));
    """
    assert (4, "tainted-html-sink") in rules(scan(code))


def test_taint_through_class_fields_and_methods(scan):
    code = """
    class Chat {
      start() { this.session.onMessage((e) => this.onMsg(e)); }
      onMsg(e) { this.last = e.data.Content; this.render(); }
      render() {
        this.el.innerHTML = this.last;
      }
    }"""
    assert rules(scan(code)) == {(6, "tainted-html-sink")}


def test_names_are_scoped_per_function(scan):
    code = """
    session.onMessage((data) => { log(data); });
    function render(data) {
      el.innerHTML = data;
    }
    """
    # render's `data` is another variable: only the non-literal sink rule applies.
    assert rules(scan(code)) == {(4, "unsafe-html-sink")}


def test_non_literal_html_sink_is_low(scan):
    findings = scan("function f(html) { box.innerHTML = html; }")
    assert [(f.rule, f.severity) for f in findings] == [("unsafe-html-sink", Severity.LOW)]
    assert rules(scan("el.innerHTML = ['a', x].map((v) => v).join('');")) == {(1, "unsafe-html-sink")}
    assert rules(scan("el.innerHTML = 'a'.split('').map((v) => v + y).join('');")) == {(1, "unsafe-html-sink")}


def test_dangerously_set_inner_html_from_configuration_is_reported(scan):
    code = """
    const createMarkup = (c) => ({ __html: c });
    export const Footer = ({ footerConfig }) => <div dangerouslySetInnerHTML={createMarkup(footerConfig.render())} />;
    """
    assert rules(scan(code, "f.jsx")) == {(3, "unsafe-html-sink")}


def test_message_listener_without_origin_check(scan):
    code = "window.addEventListener('message', function (event) {\n  start(event.data);\n});"
    findings = scan(code)
    assert rules(findings) == {(1, "message-origin-unchecked")}
    assert findings[0].severity is Severity.LOW
    # A comment that mentions origin is not a check.
    code2 = "window.addEventListener('message', (e) => { /* origin? */ start(e.data); });"
    assert rules(scan(code2)) == {(1, "message-origin-unchecked")}
    # The global addEventListener is the window's.
    code3 = "addEventListener('message', (e) => {\n  el.innerHTML = e.data;\n});"
    assert rules(scan(code3)) == {(1, "message-origin-unchecked"), (2, "tainted-html-sink")}
    # A WebSocket's message event has no origin to check.
    assert scan("ws.addEventListener('message', (e) => start(e.data));") == []


def test_custom_sanitizer_is_recognised():
    code = b"session.onMessage((e) => { el.innerHTML = utils.clean(e.data.Content); });"
    assert scan_source(code, "a.js").findings[0].rule == "tainted-html-sink"
    assert scan_source(code, "a.js", sanitizers=["utils.clean"]).findings == []


def test_html_inline_script_lines_are_lines_of_the_file():
    page = b"""<!doctype html>
<html><body>
<div id="x"></div>
<script type="text/template"><b>{{ not js }}</b></script>
<script src="ext.js"></script>
<script>
  const s = connect.ChatSession.create({});
  s.onMessage((e) => {
    document.getElementById("x").innerHTML = e.data.Content;
  });
</script>
</body></html>
"""
    findings = scan_source(page, "page.html").findings
    assert [(f.line, f.column, f.rule) for f in findings] == [(9, 5, "tainted-html-sink")]


def test_scripts_of_one_page_share_their_globals():
    page = b"""<html><body>
<script>
  function show(html) {
    document.getElementById("log").innerHTML = html
  }
</script>
<p>caf\xc3\xa9</p><script>(function () {
  session.onMessage((e) => show(e.data.Content))
})()</script>
<script>let broken = ;</script>
</body></html>
"""
    result = scan_source(page, "page.html")
    assert [(f.line, f.column, f.rule) for f in result.findings] == [(4, 5, "tainted-html-sink")]
    assert [(e.line, e.file) for e in result.errors] == [(10, "page.html")]


def test_vue_sfc_template_and_typescript_script():
    sfc = b"""<template>
  <div>
    <p v-html="note"></p>
    <p>{{ text }}</p>
  </div>
</template>
<script setup lang="ts">
const props = defineProps<{ session: any }>();
let note: string = "";
props.session.onMessage((e: any) => { note = e.data.Content; });
</script>
"""
    findings = scan_source(sfc, "c.vue").findings
    assert [(f.line, f.rule, f.sink) for f in findings] == [(3, "tainted-html-sink", "v-html")]


def test_svelte_html_tag_position():
    src = b"<script>\n  export let html;\n</script>\n\n<p>\n  {@html html}\n</p>\n"
    findings = scan_source(src, "c.svelte").findings
    assert [(f.line, f.column, f.rule) for f in findings] == [(6, 3, "unsafe-html-sink")]


def test_parse_error_is_reported_and_the_rest_is_scanned(tmp_path: Path):
    (tmp_path / "broken.js").write_text("function (\nel.innerHTML = x;\n")
    (tmp_path / "good.js").write_text("session.onMessage((e) => { el.innerHTML = e.data; });\n")
    result = scan_paths([tmp_path])
    assert result.files_scanned == 2
    assert [e.file for e in result.errors] == [str(tmp_path / "broken.js")]
    assert result.errors[0].line == 1
    assert any(f.file.endswith("good.js") and f.rule == "tainted-html-sink" for f in result.findings)


def test_directory_walk_skips_dependencies_and_build_output(tmp_path: Path):
    bad = "el.innerHTML = x;\n"
    for rel in ("src/app.js", "node_modules/lib/index.js", "dist/bundle.js", "src/vendor.min.js", "src/notes.txt"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(bad)
    result = scan_paths([tmp_path])
    assert sorted(Path(f.file).relative_to(tmp_path).as_posix() for f in result.findings) == ["src/app.js"]
    everything = scan_paths([tmp_path], default_excludes=False)
    assert len(everything.findings) == 4
    # A file named explicitly is scanned wherever it lives.
    assert len(scan_paths([tmp_path / "node_modules/lib/index.js"]).findings) == 1
    assert scan_paths([tmp_path], exclude=["src"]).findings == []


def test_missing_path_is_an_error_entry(tmp_path: Path):
    result = scan_paths([tmp_path / "nope"])
    assert result.errors and "no such file" in result.errors[0].message


def test_typescript_syntax_is_understood(scan):
    code = """
    type M = { Content: string };
    export function show(session: any, el: HTMLElement): void {
      session.onMessage((e: { data: M }) => {
        const m = e.data as M;
        el.innerHTML = m!.Content satisfies string;
      });
    }"""
    assert rules(scan(code, "a.ts")) == {(6, "tainted-html-sink")}


def test_analysis_is_linear_enough_for_a_large_file(scan):
    # 3,000 handlers in one file: each pass is linear; this must not blow up (no timing assertion).
    body = "\n".join(f"session.onMessage((e{i}) => {{ el{i}.innerHTML = e{i}.data; }});" for i in range(3000))
    findings = scan(body)
    assert len(findings) == 3000
    assert {f.rule for f in findings} == {"tainted-html-sink"}

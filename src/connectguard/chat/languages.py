"""Which grammar reads which file, and how scripts are cut out of HTML, Vue and Svelte files.

tree-sitter grammars come from PyPI (the ``chat`` extra): JavaScript (JSX included),
TypeScript and TSX, and HTML. There is no maintained Vue, Svelte or Angular grammar
on PyPI, so those files are read with the HTML grammar: their ``<script>`` blocks are
re-parsed with the JS/TS grammar, and the few template constructs that render raw
HTML (``v-html``, Angular ``[innerHTML]``, Svelte ``{@html}``) are picked out of the
HTML tree. Every position is reported in the file as given, never within a block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import tree_sitter
import tree_sitter_html
import tree_sitter_javascript
import tree_sitter_typescript

SCRIPT_EXTENSIONS = {".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
                     ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}
MARKUP_EXTENSIONS = {".html": "html", ".htm": "html", ".vue": "vue", ".svelte": "svelte"}
SUPPORTED_EXTENSIONS = frozenset(SCRIPT_EXTENSIONS) | frozenset(MARKUP_EXTENSIONS)

# <script type=...> values that hold something other than JavaScript (templates, JSON, import maps).
_JS_SCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module", "text/babel", "text/jsx",
                    "application/x-javascript", "text/ecmascript", "application/ecmascript"}


@lru_cache(maxsize=None)
def language(name: str) -> tree_sitter.Language:
    if name == "javascript":
        return tree_sitter.Language(tree_sitter_javascript.language())
    if name == "typescript":
        return tree_sitter.Language(tree_sitter_typescript.language_typescript())
    if name == "tsx":
        return tree_sitter.Language(tree_sitter_typescript.language_tsx())
    if name == "html":
        return tree_sitter.Language(tree_sitter_html.language())
    raise ValueError(f"no grammar for {name}")


def parse(source: bytes, grammar: str) -> tree_sitter.Tree:
    return tree_sitter.Parser(language(grammar)).parse(source)


@dataclass(frozen=True)
class ScriptBlock:
    """A piece of script to analyse, with where it starts in the file (0-based row and column)."""

    source: bytes
    grammar: str
    row: int = 0
    column: int = 0


@dataclass(frozen=True)
class TemplateSink:
    """A template construct that renders an expression as raw HTML (v-html, [innerHTML], {@html})."""

    sink: str
    expression: str
    line: int  # 1-based, in the file
    column: int  # 1-based


def first_error(tree: tree_sitter.Tree) -> tuple[int, int] | None:
    """(row, column) of the first syntax error or missing token, 0-based; None when the tree is clean."""
    if not tree.root_node.has_error:
        return None
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node.start_point.row, node.start_point.column
        if node.has_error:
            stack.extend(reversed(node.children))
    return tree.root_node.start_point.row, tree.root_node.start_point.column


def _attributes(start_tag: tree_sitter.Node) -> dict[str, tuple[str, tree_sitter.Node]]:
    out: dict[str, tuple[str, tree_sitter.Node]] = {}
    for attr in start_tag.named_children:
        if attr.type != "attribute":
            continue
        name_node = next((c for c in attr.named_children if c.type == "attribute_name"), None)
        if name_node is None:
            continue
        value_node = next((c for c in attr.named_children if c.type in ("quoted_attribute_value",
                                                                          "attribute_value")), None)
        value = ""
        anchor = attr
        if value_node is not None:
            inner = next((c for c in value_node.named_children if c.type == "attribute_value"), value_node)
            value = inner.text.decode("utf-8", "replace")
            anchor = inner
        out[name_node.text.decode("utf-8", "replace").lower()] = (value, anchor)
    return out


_SVELTE_HTML = re.compile(r"\{@html\s+([^}]*)\}")
_TEMPLATE_HTML_ATTRS = {"v-html": "v-html", "[innerhtml]": "[innerHTML]", "[outerhtml]": "[outerHTML]",
                        "v-bind:innerhtml": "v-bind:innerHTML", ":innerhtml": ":innerHTML",
                        "[srcdoc]": "[srcdoc]"}


def split_markup(source: bytes, kind: str) -> tuple[list[ScriptBlock], list[TemplateSink], tree_sitter.Tree]:
    """Cut a markup file into its inline scripts and its raw-HTML template sinks."""
    tree = parse(source, "html")
    scripts: list[ScriptBlock] = []
    sinks: list[TemplateSink] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "script_element":
            start = next((c for c in node.named_children if c.type == "start_tag"), None)
            raw = next((c for c in node.named_children if c.type == "raw_text"), None)
            attrs = _attributes(start) if start is not None else {}
            if raw is None or "src" in attrs:
                continue
            script_type = attrs.get("type", ("", None))[0].strip().lower()
            if script_type not in _JS_SCRIPT_TYPES:
                continue
            lang = attrs.get("lang", ("", None))[0].strip().lower()
            grammar = {"ts": "typescript", "typescript": "typescript", "tsx": "tsx"}.get(lang, "javascript")
            scripts.append(ScriptBlock(raw.text, grammar, raw.start_point.row, raw.start_point.column))
            continue
        if node.type in ("start_tag", "self_closing_tag"):
            for name, (value, anchor) in _attributes(node).items():
                # v-html is reported in plain .html pages too: a page that mounts Vue renders it.
                sink = _TEMPLATE_HTML_ATTRS.get(name)
                if sink is None:
                    continue
                sinks.append(TemplateSink(sink, value.strip(), anchor.start_point.row + 1,
                                          anchor.start_point.column + 1))
        if kind == "svelte" and node.type == "text":
            text = node.text.decode("utf-8", "replace")
            for m in _SVELTE_HTML.finditer(text):
                before = text[: m.start()]
                row = node.start_point.row + before.count("\n")
                col = (len(before) - before.rfind("\n") - 1) if "\n" in before else node.start_point.column + len(before)
                sinks.append(TemplateSink("{@html}", m.group(1).strip(), row + 1, col + 1))
        stack.extend(reversed(node.children))
    return scripts, sinks, tree


def grammar_for(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return SCRIPT_EXTENSIONS.get(suffix) or MARKUP_EXTENSIONS.get(suffix)

"""Intra-file taint analysis of one JavaScript/TypeScript syntax tree.

Sources are what a chat page receives from the other side or from the address bar:
amazon-connect-chatjs session callbacks and transcripts, WebSocket and postMessage
event data, Participant Service ``fetch`` responses, ``location.*``. Taint follows
assignments, destructuring, template literals, concatenation, object properties
(coarsely: writing tainted data into ``o.x`` taints ``o``), callbacks and promise
chains (``then``, ``await``), React ``useState`` setters and ``setState``, and calls
to functions defined in the same file (arguments bind to parameters; a function
whose return depends on tainted data returns tainted data). Sinks are checked once
the taint has reached a fixed point.

Names are resolved to the innermost enclosing function that declares them, so two
functions' ``data`` parameters are different variables. The analysis is
flow-insensitive within a function (an assignment anywhere taints the variable
everywhere), which errs towards reporting. Each fixed-point pass is linear in the
number of interesting nodes; passes stop when nothing new is tainted (at most
``MAX_PASSES``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import tree_sitter

from connectguard.chat.model import ChatFinding
from connectguard.conventions import Severity

MAX_PASSES = 12
MAX_DEPTH = 80

FUNCTION_TYPES = frozenset({
    "function_declaration", "function_expression", "function", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function",
})

# amazon-connect-chatjs ChatSession event subscriptions; the callback's argument carries what the
# other participant (agent, bot, or whoever holds a participant token) sent.
CHATJS_EVENTS = frozenset({
    "onMessage", "onTyping", "onReadReceipt", "onDeliveredReceipt", "onConnectionEstablished",
    "onConnectionBroken", "onConnectionLost", "onEnded", "onParticipantIdle", "onParticipantReturned",
    "onParticipantInvited", "onAutoDisconnection", "onChatRehydrated", "onParticipantDisplayNameUpdated",
    "onDeepHeartbeatSuccess", "onDeepHeartbeatFailure", "onAuthenticationInitiated",
})
CHATJS_DECORATORS = frozenset({"incomingItemDecorator", "outgoingItemDecorator", "onIncomingMessage"})
# Calls whose result carries what other participants sent. (getAttachmentURL returns a pre-signed S3
# URL minted by the service, and describeView an admin-configured view: not participant data.)
CHATJS_SOURCE_CALLS = frozenset({"getTranscript"})

# Property reads that are data sources wherever they appear (normalised text of the member expression).
_LOCATION_SOURCE = re.compile(
    r"^(?:(?:window|self|globalThis|top|parent|document)\.)?location"
    r"(?:\.(?:hash|search|href|pathname|toString\(\)))?$|^document\.(?:URL|documentURI|referrer|baseURI)$"
    r"|^(?:window\.)?name$"
)
_WINDOWISH = re.compile(r"^(?:window|self|globalThis|top|parent|this\.window|frames\[[^]]*\])$")

# Calls whose result carries no taint (numbers, booleans, encoders).
_CLEAN_CALLS = frozenset({
    "Number", "parseInt", "parseFloat", "Boolean", "Math.round", "Math.floor", "Math.max", "Math.min",
    "encodeURIComponent", "encodeURI", "isNaN", "Array.isArray", "Object.keys", "Date.now", "uuid", "uuidv4",
})
_CLEAN_METHODS = frozenset({
    "test", "includes", "startsWith", "endsWith", "indexOf", "lastIndexOf", "has", "some", "every",
    "findIndex", "localeCompare", "getTime", "toFixed", "addEventListener", "removeEventListener",
    "querySelector", "querySelectorAll", "getElementById", "createElement", "appendChild",
    "preventDefault", "stopPropagation", "focus", "scrollIntoView", "setAttribute", "removeAttribute",
})
_CLEAN_PROPERTIES = frozenset({"length", "origin", "size", "readyState", "status", "ok", "type", "timeStamp"})

DEFAULT_SANITIZERS = (
    "DOMPurify.sanitize", "dompurify.sanitize", "purify.sanitize", "sanitizeHtml", "sanitizeHTML", "sanitize",
    "escapeHtml", "escapeHTML", "htmlEscape", "encodeHTML", "encodeHtml", "escape", "he.encode", "he.escape",
    "_.escape", "lodash.escape", "filterXSS", "xss", "validator.escape", "Sanitizer.escapeHTML",
)
# URL contexts: a function that checks or forces the scheme.
_URL_SANITIZER = re.compile(r"(?i)(valid|saniti[sz]e|safe|allow|check|ensure|updateURLValue|normali[sz]e).*"
                            r"(url|uri|link|href)|^(isSafeUrl|safeUrl|sanitizeUrl)$")
_SCHEME_GUARD = re.compile(r"https\??:|\^https|startsWith\(\s*['\"`]https?:|protocol\s*[!=]==?\s*['\"`]https")

# Methods that, called on a constant with constant arguments, return a constant.
_CONSTANT_PRESERVING = frozenset({"join", "toString", "trim", "toLowerCase", "toUpperCase", "split", "map",
                                  "filter", "slice", "concat", "replace", "replaceAll", "padStart", "padEnd",
                                  "repeat", "reverse", "flat"})
HTML_PROPERTIES = frozenset({"innerHTML", "outerHTML", "srcdoc"})
URL_PROPERTIES = frozenset({"href", "action", "formAction"})
TAINT_ONLY_URL_PROPERTIES = frozenset({"src", "data"})  # javascript: in src is dead in most elements
SAFE_PROPERTIES = frozenset({"textContent", "innerText", "value", "nodeValue", "className", "title", "alt",
                             "placeholder", "id", "scrollTop", "hidden", "disabled", "checked"})
JQUERY_HTML_METHODS = frozenset({"html", "append", "prepend", "after", "before", "replaceWith", "wrap",
                                 "wrapAll", "wrapInner", "add", "has", "prependTo", "appendTo",
                                 "insertAfter", "insertBefore", "replaceAll"})
_JQUERY_ALL_ARGS = frozenset({"append", "prepend", "after", "before"})
_ANGULAR_BYPASS = {"bypassSecurityTrustHtml": "html", "bypassSecurityTrustScript": "code",
                   "bypassSecurityTrustUrl": "url", "bypassSecurityTrustResourceUrl": "url",
                   "bypassSecurityTrustStyle": "html"}


@dataclass(frozen=True)
class Taint:
    """Where tainted data came from: a description and the line (1-based, in the file) of the source."""

    what: str
    line: int

    def describe(self) -> str:
        return f"{self.what} (line {self.line})"


def text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _norm(node: tree_sitter.Node) -> str:
    """Member-expression text without whitespace and optional chaining, for pattern matching."""
    return re.sub(r"\s+", "", text(node)).replace("?.", ".").replace("!.", ".")


_STRIP = frozenset({"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression",
                    "type_assertion"})


def unwrap(node: tree_sitter.Node | None) -> tree_sitter.Node | None:
    while node is not None and node.type in _STRIP:
        node = node.named_children[0] if node.named_children else None
    return node


class FileAnalysis:
    """Taint analysis of one script (a file, or one <script> block of an HTML/Vue file)."""

    def __init__(self, tree: tree_sitter.Tree, file: str, *, row_offset: int = 0, column_offset: int = 0,
                 sanitizers: Iterable[str] = DEFAULT_SANITIZERS):
        self.root = tree.root_node
        self.file = file
        self.row_offset = row_offset
        self.column_offset = column_offset
        self.sanitizers = frozenset(sanitizers)
        self.sanitizer_names = frozenset(s.rsplit(".", 1)[-1] for s in self.sanitizers if "." not in s)
        self.tainted: dict[tuple, Taint] = {}
        self.version = 0
        self.declared: dict[int, set[str]] = {self.root.id: set()}
        self.chains: dict[int, tuple[int, ...]] = {}
        self.functions: dict[tuple[int, str], tree_sitter.Node] = {}
        self.methods: dict[str, tree_sitter.Node] = {}
        self.object_methods: dict[tuple[int, str], dict[str, tree_sitter.Node]] = {}
        self.returns: dict[int, list[tree_sitter.Node]] = {}
        self.assigned: set[tuple[int, str]] = set()
        self.constant_inits: dict[tuple[int, str], tree_sitter.Node] = {}
        self.state_setters: dict[tuple[int, str], tuple] = {}
        self.nodes: dict[str, list[tree_sitter.Node]] = {}
        self._return_memo: dict[int, tuple[int, Taint | None]] = {}
        self._in_progress: set[int] = set()
        self._constant_params: set[tuple[int, str]] = set()
        self._index()

    # ----- positions -------------------------------------------------------------------------------
    def line(self, node: tree_sitter.Node) -> int:
        return node.start_point.row + self.row_offset + 1

    def column(self, node: tree_sitter.Node) -> int:
        col = node.start_point.column
        return (col + self.column_offset if node.start_point.row == 0 else col) + 1

    # ----- indexing --------------------------------------------------------------------------------
    def _scope_of(self, node: tree_sitter.Node) -> int:
        """Id of the innermost function (or the program) enclosing ``node`` (a function's own params included)."""
        chain = self.chains.get(node.id)
        if chain is not None:
            return chain[-1]
        cur = node.parent
        while cur is not None:
            if cur.type in FUNCTION_TYPES or cur.type == "program":
                return cur.id
            cur = cur.parent
        return self.root.id

    def _declare_pattern(self, pattern: tree_sitter.Node | None, scope: int) -> list[str]:
        names = list(pattern_names(pattern))
        self.declared.setdefault(scope, set()).update(names)
        return names

    def _index(self) -> None:
        """One walk: scopes and declarations, functions, returns, and the nodes the passes revisit.

        Every node's chain of enclosing scopes is recorded here, because tree-sitter's Node.parent
        walks down from the root on each call: resolving names through it would be quadratic.
        """
        interesting = {"variable_declarator", "assignment_expression", "augmented_assignment_expression",
                       "call_expression", "new_expression", "for_in_statement", "jsx_attribute", "pair"}
        assigned_identifiers: list[tree_sitter.Node] = []
        stack: list[tuple[tree_sitter.Node, tuple[int, ...]]] = [(self.root, ())]
        while stack:
            node, outer = stack.pop()
            t = node.type
            is_scope = t in FUNCTION_TYPES or t == "program"
            inner = (*outer, node.id) if is_scope else outer
            # A scope node itself belongs to the outer scope (its name is declared there); its children to it.
            self.chains[node.id] = outer or inner
            if t in interesting:
                self.nodes.setdefault(t, []).append(node)
            if t in FUNCTION_TYPES:
                self.declared.setdefault(node.id, set())
                for p in function_params(node):
                    self._declare_pattern(p, node.id)
                name = node.child_by_field_name("name")
                if t == "method_definition" and name is not None:
                    self.methods[text(name)] = node
                elif name is not None and t in ("function_declaration", "generator_function_declaration"):
                    scope = self.chains[node.id][-1]
                    self.declared.setdefault(scope, set()).add(text(name))
                    self.functions[(scope, text(name))] = node
                body = node.child_by_field_name("body")
                if t == "arrow_function" and body is not None and body.type != "statement_block":
                    self.returns.setdefault(node.id, []).append(body)
            elif t == "variable_declarator":
                scope = inner[-1]
                name = node.child_by_field_name("name")
                value = unwrap(node.child_by_field_name("value"))
                self._declare_pattern(name, scope)
                if name is not None and name.type == "identifier" and value is not None:
                    key = (scope, text(name))
                    if value.type in FUNCTION_TYPES:
                        self.functions[key] = value
                    else:
                        self.constant_inits[key] = value
                    if value.type == "object":
                        self.object_methods[key] = _object_functions(value)
                if (name is not None and name.type == "array_pattern" and value is not None
                        and value.type == "call_expression"
                        and _norm(value.child_by_field_name("function")) in ("useState", "React.useState")):
                    parts = [c for c in name.named_children if c.type == "identifier"]
                    if len(parts) == 2:
                        self.state_setters[(scope, text(parts[1]))] = (scope, text(parts[0]))
            elif t in ("field_definition", "public_field_definition"):
                prop = node.child_by_field_name("property") or node.child_by_field_name("name")
                value = unwrap(node.child_by_field_name("value"))
                if prop is not None and value is not None and value.type in FUNCTION_TYPES:
                    self.methods[text(prop)] = value
            elif t == "catch_clause":
                self._declare_pattern(node.child_by_field_name("parameter"), inner[-1])
            elif t == "for_in_statement":
                left = node.child_by_field_name("left")
                if left is not None and node.child_by_field_name("kind") is not None:
                    self._declare_pattern(left, inner[-1])
            elif t in ("import_specifier", "import_clause", "namespace_import"):
                for c in node.named_children:
                    if c.type == "identifier":
                        self.declared[self.root.id].add(text(c))
            elif t == "return_statement":
                expr = node.named_children[0] if node.named_children else None
                if expr is not None:
                    self.returns.setdefault(inner[-1], []).append(expr)
            if t in ("assignment_expression", "augmented_assignment_expression"):
                left = unwrap(node.child_by_field_name("left"))
                if left is not None and left.type == "identifier":
                    assigned_identifiers.append(left)
            stack.extend((c, inner) for c in reversed(node.named_children))
        # Resolved after the walk, when every declaration (hoisted var/function included) is known.
        self.assigned = {self.resolve(text(left), left) for left in assigned_identifiers}

    def resolve(self, name: str, at: tree_sitter.Node) -> tuple[int, str]:
        chain = self.chains.get(at.id)
        if chain is None:
            return (self._scope_of_uncached(name, at), name)
        for scope in reversed(chain):
            if name in self.declared.get(scope, ()):
                return (scope, name)
        return (self.root.id, name)

    def _scope_of_uncached(self, name: str, at: tree_sitter.Node) -> int:
        cur = at
        while cur is not None:
            if (cur.type in FUNCTION_TYPES or cur.type == "program") and name in self.declared.get(cur.id, ()):
                return cur.id
            cur = cur.parent
        return self.root.id

    def function_named(self, name: str, at: tree_sitter.Node) -> tree_sitter.Node | None:
        return self.functions.get(self.resolve(name, at))

    def callee_function(self, call: tree_sitter.Node) -> tree_sitter.Node | None:
        fn = unwrap(call.child_by_field_name("function"))
        if fn is None:
            return None
        if fn.type == "identifier":
            return self.function_named(text(fn), call)
        if fn.type == "member_expression":
            obj = fn.child_by_field_name("object")
            prop = fn.child_by_field_name("property")
            if obj is not None and obj.type == "this" and prop is not None:
                return self.methods.get(text(prop))
            if obj is not None and obj.type == "identifier" and prop is not None:
                return self.object_methods.get(self.resolve(text(obj), obj), {}).get(text(prop))
        return None

    def function_value(self, node: tree_sitter.Node | None) -> tree_sitter.Node | None:
        """A function literal, or a reference to a function defined in this file."""
        node = unwrap(node)
        if node is None:
            return None
        if node.type in FUNCTION_TYPES:
            return node
        if node.type == "identifier":
            return self.function_named(text(node), node)
        if node.type == "member_expression":
            obj = node.child_by_field_name("object")
            prop = node.child_by_field_name("property")
            if obj is not None and obj.type == "this" and prop is not None:
                return self.methods.get(text(prop))
        if node.type == "call_expression":  # handler.bind(this)
            fn = node.child_by_field_name("function")
            if fn is not None and fn.type == "member_expression" and text(fn.child_by_field_name("property")) == "bind":
                return self.function_value(fn.child_by_field_name("object"))
        return None

    # ----- taint state -----------------------------------------------------------------------------
    def _set(self, key: tuple, taint: Taint) -> bool:
        if key in self.tainted:
            return False
        self.tainted[key] = taint
        self.version += 1
        return True

    def taint_pattern(self, pattern: tree_sitter.Node | None, taint: Taint, at: tree_sitter.Node) -> bool:
        changed = False
        for name in pattern_names(pattern):
            changed |= self._set(self.resolve(name, pattern or at), taint)
        return changed

    def taint_params(self, fn: tree_sitter.Node, taint: Taint, positions: Iterable[int] | None = None) -> bool:
        changed = False
        params = function_params(fn)
        for i, p in enumerate(params):
            if positions is None or i in positions or (p.type == "rest_pattern" and any(j >= i for j in positions)):
                for name in pattern_names(p):
                    changed |= self._set((fn.id, name), taint)
        return changed

    # ----- expression taint ------------------------------------------------------------------------
    def taint_of(self, node: tree_sitter.Node | None, depth: int = 0) -> Taint | None:
        node = unwrap(node)
        if node is None or depth > MAX_DEPTH:
            return None
        t = node.type
        d = depth + 1
        if t == "identifier":
            return self.tainted.get(self.resolve(text(node), node))
        if t == "shorthand_property_identifier":
            return self.tainted.get(self.resolve(text(node), node))
        if t in ("member_expression", "subscript_expression"):
            norm = _norm(node)
            if _LOCATION_SOURCE.match(norm):
                return Taint(norm, self.line(node))
            obj = node.child_by_field_name("object")
            prop = node.child_by_field_name("property") if t == "member_expression" else None
            prop_name = text(prop) if prop is not None else ""
            if prop_name in _CLEAN_PROPERTIES:
                return None
            if obj is not None and obj.type == "this" and prop_name:
                return self.tainted.get(("this", prop_name))
            if obj is not None and _norm(obj) == "this.state" and prop_name:
                return self.tainted.get(("state", prop_name))
            return self.taint_of(obj, d)
        if t == "call_expression":
            return self._call_taint(node, d)
        if t == "new_expression":
            args = node.child_by_field_name("arguments")
            return self._first(args.named_children if args is not None else (), d)
        if t == "await_expression":
            return self.taint_of(node.named_children[0] if node.named_children else None, d)
        if t == "template_string":
            return self._first((c.named_children[0] for c in node.named_children
                                if c.type == "template_substitution" and c.named_children), d)
        if t == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and text(op) in ("+", "||", "&&", "??"):
                return self._first((node.child_by_field_name("left"), node.child_by_field_name("right")), d)
            return None
        if t == "ternary_expression":
            return self._first((node.child_by_field_name("consequence"), node.child_by_field_name("alternative")), d)
        if t in ("assignment_expression", "augmented_assignment_expression"):
            return self.taint_of(node.child_by_field_name("right"), d)
        if t == "sequence_expression":
            return self.taint_of(node.named_children[-1] if node.named_children else None, d)
        if t in ("array", "spread_element"):
            return self._first(node.named_children, d)
        if t == "object":
            vals = []
            for c in node.named_children:
                if c.type == "pair":
                    vals.append(c.child_by_field_name("value"))
                elif c.type in ("shorthand_property_identifier", "spread_element"):
                    vals.append(c)
            return self._first(vals, d)
        if t == "yield_expression":
            return self._first(node.named_children, d)
        return None

    def _first(self, nodes: Iterable[tree_sitter.Node | None], depth: int) -> Taint | None:
        for n in nodes:
            found = self.taint_of(n, depth)
            if found is not None:
                return found
        return None

    def is_sanitizer(self, callee: str) -> bool:
        if callee in self.sanitizers:
            return True
        last = callee.rsplit(".", 1)[-1]
        return last in self.sanitizer_names and callee == last

    def _call_taint(self, node: tree_sitter.Node, depth: int) -> Taint | None:
        fn = unwrap(node.child_by_field_name("function"))
        args_node = node.child_by_field_name("arguments")
        args = [a for a in (args_node.named_children if args_node is not None else ()) if a.type != "comment"]
        if fn is None:
            return None
        callee = _norm(fn)
        if self.is_sanitizer(callee) or callee in _CLEAN_CALLS:
            return None
        if fn.type == "member_expression":
            prop = text(fn.child_by_field_name("property"))
            obj = fn.child_by_field_name("object")
            if prop in CHATJS_SOURCE_CALLS:
                return Taint(f"chatjs {prop}() result", self.line(node))
            if prop in _CLEAN_METHODS:
                return None
            method = self.callee_function(node)
            if method is not None:
                return self.return_taint(method, depth)
            if obj is not None and _norm(obj) in ("localStorage", "sessionStorage", "window.localStorage",
                                                   "window.sessionStorage") and prop == "getItem":
                return None
            receiver = self.taint_of(obj, depth)
            if receiver is not None:
                return receiver
            # Library helpers (JSON.parse, marked.parse, md.render, utils.format ...) pass their input through.
            return self._first(args, depth)
        if fn.type == "identifier":
            if callee == "fetch" and args and self._is_participant_url(args[0]):
                return Taint("Participant Service fetch() response", self.line(node))
            local = self.function_named(callee, node)
            if local is not None:
                return self.return_taint(local, depth)
            # Unknown helpers (marked, linkify, String, decodeURIComponent ...) pass their input through.
            return self._first(args, depth)
        return None

    def _is_participant_url(self, node: tree_sitter.Node) -> bool:
        """A fetch() URL naming the Participant Service (literally, or through a constant)."""
        node = unwrap(node)
        if node is not None and node.type == "identifier":
            init = self.constant_inits.get(self.resolve(text(node), node))
            node = init if init is not None else node
        return node is not None and re.search(r"participant", text(node), re.IGNORECASE) is not None

    def return_taint(self, fn: tree_sitter.Node, depth: int) -> Taint | None:
        memo = self._return_memo.get(fn.id)
        if memo is not None and memo[0] == self.version:
            return memo[1]
        if fn.id in self._in_progress:
            return None
        self._in_progress.add(fn.id)
        try:
            found = self._first(self.returns.get(fn.id, ()), depth)
        finally:
            self._in_progress.discard(fn.id)
        self._return_memo[fn.id] = (self.version, found)
        return found

    # ----- propagation -----------------------------------------------------------------------------
    def propagate(self) -> None:
        for _ in range(MAX_PASSES):
            before = self.version
            for node in self.nodes.get("variable_declarator", ()):
                value = node.child_by_field_name("value")
                taint = self.taint_of(value)
                if taint is not None:
                    self.taint_pattern(node.child_by_field_name("name"), taint, node)
            for node in self.nodes.get("assignment_expression", []) + self.nodes.get(
                    "augmented_assignment_expression", []):
                self._propagate_assignment(node)
            for node in self.nodes.get("call_expression", ()):
                self._propagate_call(node)
            for node in self.nodes.get("for_in_statement", ()):
                taint = self.taint_of(node.child_by_field_name("right"))
                if taint is not None:
                    self.taint_pattern(node.child_by_field_name("left"), taint, node)
            if self.version == before:
                return

    def _propagate_assignment(self, node: tree_sitter.Node) -> None:
        left = unwrap(node.child_by_field_name("left"))
        right = node.child_by_field_name("right")
        if left is None:
            return
        if left.type == "member_expression":
            prop = text(left.child_by_field_name("property"))
            obj = left.child_by_field_name("object")
            # Event-handler properties register sources.
            if prop in CHATJS_DECORATORS:
                fn = self.function_value(right)
                if fn is not None:
                    self.taint_params(fn, Taint(f"chatjs {prop} item", self.line(node)), [0])
                return
            if prop == "onmessage":
                fn = self.function_value(right)
                if fn is not None:
                    self._message_handler(fn, obj, node)
                return
        taint = self.taint_of(right)
        if taint is None:
            return
        if left.type in ("identifier", "object_pattern", "array_pattern"):
            self.taint_pattern(left, taint, node)
        elif left.type in ("member_expression", "subscript_expression"):
            prop_node = left.child_by_field_name("property")
            prop = text(prop_node) if prop_node is not None else ""
            if prop in HTML_PROPERTIES or prop in SAFE_PROPERTIES or prop in URL_PROPERTIES:
                return
            obj = left.child_by_field_name("object")
            if obj is not None and obj.type == "this" and prop:
                self._set(("this", prop), taint)
                return
            root = root_identifier(left)
            if root is not None:
                self._set(self.resolve(text(root), root), taint)

    def _message_handler(self, fn: tree_sitter.Node, receiver: tree_sitter.Node | None,
                         at: tree_sitter.Node) -> None:
        if is_window_receiver(receiver):
            if not checks_origin(fn):
                self.taint_params(fn, Taint("postMessage event data (origin not checked)", self.line(at)), [0])
        else:
            self.taint_params(fn, Taint("WebSocket message data", self.line(at)), [0])

    def _propagate_call(self, node: tree_sitter.Node) -> None:
        fn = unwrap(node.child_by_field_name("function"))
        args_node = node.child_by_field_name("arguments")
        if fn is None or args_node is None:
            return
        args = [a for a in args_node.named_children if a.type != "comment"]
        callee = _norm(fn)
        if fn.type == "member_expression":
            prop = text(fn.child_by_field_name("property"))
            obj = fn.child_by_field_name("object")
            if prop in CHATJS_EVENTS:
                for a in args:
                    handler = self.function_value(a)
                    if handler is not None:
                        self.taint_params(handler, Taint(f"chatjs {prop} event", self.line(node)))
                return
            if prop == "addEventListener" and len(args) >= 2 and _string_value(args[0]) == "message":
                handler = self.function_value(args[1])
                if handler is not None:
                    self._message_handler(handler, obj, node)
                return
            if prop == "setState" and obj is not None and obj.type == "this" and args:
                arg = unwrap(args[0])
                if arg is not None and arg.type in FUNCTION_TYPES:
                    arg = self._returned_object(arg)
                if arg is not None and arg.type == "object":
                    for pair in arg.named_children:
                        if pair.type == "pair":
                            taint = self.taint_of(pair.child_by_field_name("value"))
                            if taint is not None:
                                self._set(("state", _key_name(pair.child_by_field_name("key"))), taint)
                        elif pair.type == "shorthand_property_identifier":
                            taint = self.taint_of(pair)
                            if taint is not None:
                                self._set(("state", text(pair)), taint)
                return
            receiver = self.taint_of(obj)
            if receiver is not None:
                # Callbacks of a tainted receiver see its data: then, map, forEach, filter, reduce ...
                for a in args:
                    handler = self.function_value(a)
                    if handler is not None:
                        self.taint_params(handler, receiver)
            if prop in ("push", "unshift", "splice", "set", "add", "concat") and obj is not None:
                taint = self._first(args, 0)
                if taint is not None:
                    root = root_identifier(obj)
                    if root is not None and root.type == "identifier":
                        self._set(self.resolve(text(root), root), taint)
                    elif obj.type == "member_expression" and _norm(obj).startswith("this."):
                        self._set(("this", _norm(obj).split(".")[1]), taint)
            method = self.callee_function(node)
            if method is not None:
                self._bind_arguments(method, args, node)
            return
        if fn.type == "identifier":
            if callee == "addEventListener" and len(args) >= 2 and _string_value(args[0]) == "message":
                handler = self.function_value(args[1])
                if handler is not None:
                    self._message_handler(handler, None, node)  # the global object's listener
                return
            setter = self.state_setters.get(self.resolve(callee, node))
            if setter is not None and args:
                arg = unwrap(args[0])
                taint = (self.return_taint(arg, 0) if arg is not None and arg.type in FUNCTION_TYPES
                         else self.taint_of(arg))
                if taint is not None:
                    self._set(setter, taint)
                return
            local = self.function_named(callee, node)
            if local is not None:
                self._bind_arguments(local, args, node)

    def _returned_object(self, fn: tree_sitter.Node) -> tree_sitter.Node | None:
        for r in self.returns.get(fn.id, ()):
            r = unwrap(r)
            if r is not None and r.type == "object":
                return r
        return None

    def _bind_arguments(self, fn: tree_sitter.Node, args: list[tree_sitter.Node], at: tree_sitter.Node) -> None:
        for i, a in enumerate(args):
            taint = self.taint_of(a)
            if taint is not None:
                self.taint_params(fn, taint, [i])

    # ----- constants -------------------------------------------------------------------------------
    def is_constant(self, node: tree_sitter.Node | None, depth: int = 0, *, sanitized_ok: bool = True) -> bool:
        """A literal, or built only from literals, constants and sanitizer calls (eslint's 'allowed')."""
        node = unwrap(node)
        if node is None:
            return True
        if depth > MAX_DEPTH:
            return False
        t = node.type
        d = depth + 1
        if t in ("string", "number", "true", "false", "null", "undefined", "regex", "template_literal_type"):
            return True
        if t == "template_string":
            return all(self.is_constant(c.named_children[0] if c.named_children else None, d)
                       for c in node.named_children if c.type == "template_substitution")
        if t == "binary_expression":
            return all(self.is_constant(c, d) for c in (node.child_by_field_name("left"),
                                                        node.child_by_field_name("right")))
        if t == "ternary_expression":
            return all(self.is_constant(c, d) for c in (node.child_by_field_name("consequence"),
                                                        node.child_by_field_name("alternative")))
        if t == "array":
            return all(self.is_constant(c, d) for c in node.named_children)
        if t == "object":
            return all(self.is_constant(c.child_by_field_name("value"), d) for c in node.named_children
                       if c.type == "pair")
        if t == "identifier":
            key = self.resolve(text(node), node)
            if key in self._constant_params:
                return True
            init = self.constant_inits.get(key)
            return init is not None and key not in self.assigned and self.is_constant(init, d)
        if t == "member_expression" and text(node.child_by_field_name("property")) == "length":
            return True  # a number cannot carry markup
        if t == "call_expression":
            fn = unwrap(node.child_by_field_name("function"))
            callee = _norm(fn) if fn is not None else ""
            if fn is not None and fn.type == "member_expression" and text(
                    fn.child_by_field_name("property")) in ("toFixed", "toPrecision"):
                return True
            if sanitized_ok and (self.is_sanitizer(callee) or callee in _CLEAN_CALLS):
                return True
            if fn is not None and fn.type == "member_expression" and text(
                    fn.child_by_field_name("property")) in _CONSTANT_PRESERVING:
                if not self.is_constant(fn.child_by_field_name("object"), d):
                    return False
                # "a,b".split(",").map((f) => `<link href=${f}>`).join(""): a callback over constant
                # elements returns constants when its body only combines them with literals.
                args_node = node.child_by_field_name("arguments")
                for arg in (args_node.named_children if args_node is not None else ()):
                    arg = unwrap(arg)
                    if arg is not None and arg.type in FUNCTION_TYPES:
                        params = {(arg.id, n) for p in function_params(arg) for n in pattern_names(p)}
                        self._constant_params |= params
                        try:
                            if not all(self.is_constant(r, d) for r in self.returns.get(arg.id, [None])):
                                return False
                        finally:
                            self._constant_params -= params
                    elif arg is not None and arg.type != "comment" and not self.is_constant(arg, d):
                        return False
                return True
            return False
        return False

    def has_safe_url_prefix(self, node: tree_sitter.Node | None) -> bool:
        """A URL whose scheme is fixed by a literal prefix (`/chat/${id}`, 'https://' + host) or a checker."""
        node = unwrap(node)
        if node is None:
            return False
        if node.type == "template_string":
            first = node.children[1] if len(node.children) > 1 else None
            return first is not None and first.type == "string_fragment" and _fixed_scheme(text(first))
        if node.type == "binary_expression":
            left = unwrap(node.child_by_field_name("left"))
            if left is not None and left.type == "string":
                return _fixed_scheme(_string_value(left) or "")
            return self.has_safe_url_prefix(left)
        if node.type == "call_expression":
            fn = unwrap(node.child_by_field_name("function"))
            name = _norm(fn).rsplit(".", 1)[-1] if fn is not None else ""
            return bool(_URL_SANITIZER.search(name)) or name in ("encodeURIComponent", "encodeURI")
        if node.type == "ternary_expression":
            cond = node.child_by_field_name("condition")
            if cond is not None and (_SCHEME_GUARD.search(text(cond)) or any(
                    _URL_SANITIZER.search(_norm(c.child_by_field_name("function")).rsplit(".", 1)[-1])
                    for c in _descendants(cond, "call_expression") if c.child_by_field_name("function"))):
                return True  # cond ? url : fallback, where cond checks the URL
            return all((self.is_constant(c) or self.has_safe_url_prefix(c)) for c in (
                node.child_by_field_name("consequence"), node.child_by_field_name("alternative")))
        return False


def _object_functions(obj: tree_sitter.Node) -> dict[str, tree_sitter.Node]:
    """{name: function} for the methods and function-valued properties of an object literal."""
    out: dict[str, tree_sitter.Node] = {}
    for member in obj.named_children:
        if member.type == "method_definition":
            name = member.child_by_field_name("name")
            if name is not None:
                out[text(name)] = member
        elif member.type == "pair":
            value = unwrap(member.child_by_field_name("value"))
            if value is not None and value.type in FUNCTION_TYPES:
                out[_key_name(member.child_by_field_name("key"))] = value
    return out


def _descendants(node: tree_sitter.Node, node_type: str) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == node_type:
            yield n
        stack.extend(n.named_children)


def _fixed_scheme(prefix: str) -> bool:
    """Whether a literal URL prefix already decides the scheme, so appended data cannot make it javascript:.

    A scheme is letters, digits, '+', '-', '.' up to the first ':'. A prefix with an explicit safe scheme
    (https:, mailto: ...) or with any other character before a ':' ('/', '?', '#', '_' ...) fixes it; a
    prefix of scheme characters only ("java" + "script:...") does not.
    """
    p = prefix.strip().lower()
    if not p:
        return False
    m = re.match(r"^([a-z][a-z0-9+.-]*):", p)
    if m:
        scheme = m.group(1)
        return scheme not in ("javascript", "vbscript", "data") or p.startswith("data:image/")
    return re.match(r"^[a-z0-9+.-]*$", p) is None


def _key_name(node: tree_sitter.Node | None) -> str:
    if node is None:
        return ""
    value = _string_value(node)
    return value if value is not None else text(node)


def _string_value(node: tree_sitter.Node | None) -> str | None:
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "string":
        return "".join(text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return "".join(text(c) for c in node.named_children)
    return None




def pattern_names(pattern: tree_sitter.Node | None) -> Iterator[str]:
    """The identifiers a binding pattern declares: a, {a, b: c}, [a, ...b], a = 1, typed parameters."""
    if pattern is None:
        return
    stack = [pattern]
    while stack:
        p = stack.pop()
        t = p.type
        if t in ("identifier", "shorthand_property_identifier_pattern"):
            yield text(p)
        elif t in ("required_parameter", "optional_parameter"):
            inner = p.child_by_field_name("pattern")
            if inner is not None:
                stack.append(inner)
        elif t == "pair_pattern":
            value = p.child_by_field_name("value")
            if value is not None:
                stack.append(value)
        elif t in ("assignment_pattern", "object_assignment_pattern"):
            left = p.child_by_field_name("left")
            if left is not None:
                stack.append(left)
        elif t in ("object_pattern", "array_pattern", "rest_pattern"):
            stack.extend(p.named_children)


def function_params(fn: tree_sitter.Node) -> list[tree_sitter.Node]:
    single = fn.child_by_field_name("parameter")
    if single is not None:
        return [single]
    params = fn.child_by_field_name("parameters")
    if params is None:
        return []
    return [p for p in params.named_children if p.type not in ("comment", "this")]


def root_identifier(node: tree_sitter.Node) -> tree_sitter.Node | None:
    cur = unwrap(node)
    while cur is not None and cur.type in ("member_expression", "subscript_expression"):
        cur = unwrap(cur.child_by_field_name("object"))
    return cur if cur is not None and cur.type in ("identifier", "this") else None


def is_window_receiver(receiver: tree_sitter.Node | None) -> bool:
    return receiver is None or bool(_WINDOWISH.match(_norm(receiver)))


def checks_origin(fn: tree_sitter.Node) -> bool:
    """Whether the handler reads an ``origin`` (event.origin, {origin} = e): comments do not count."""
    body = fn.child_by_field_name("body")
    stack = [body, *function_params(fn)] if body is not None else list(function_params(fn))
    while stack:
        node = stack.pop()
        if node.type in ("property_identifier", "identifier", "shorthand_property_identifier_pattern",
                         "shorthand_property_identifier") and text(node) == "origin":
            return True
        stack.extend(node.named_children)
    return False


# ----- sinks ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SinkHit:
    kind: str  # html | code | url | url-taint-only
    sink: str
    node: tree_sitter.Node  # where the finding is reported (the sink)
    value: tree_sitter.Node | None  # the expression that reaches the sink


def _jquery_receiver(obj: tree_sitter.Node | None) -> bool:
    cur = unwrap(obj)
    while cur is not None:
        if cur.type == "identifier":
            return text(cur).startswith("$") or text(cur) == "jQuery"
        if cur.type == "call_expression":
            fn = unwrap(cur.child_by_field_name("function"))
            if fn is not None and fn.type == "identifier":
                return text(fn) in ("$", "jQuery")
            cur = fn
            continue
        if cur.type == "member_expression":
            prop = cur.child_by_field_name("property")
            if prop is not None and text(prop).startswith("$"):
                return True
            cur = unwrap(cur.child_by_field_name("object"))
            continue
        return False
    return False


def find_sinks(a: FileAnalysis) -> Iterator[SinkHit]:
    for node in a.nodes.get("assignment_expression", []) + a.nodes.get("augmented_assignment_expression", []):
        left = unwrap(node.child_by_field_name("left"))
        right = node.child_by_field_name("right")
        if left is None:
            continue
        if left.type == "identifier" and text(left) == "location":
            yield SinkHit("url", "location", node, right)
            continue
        if left.type == "subscript_expression":  # el["innerHTML"] = ...
            index = _string_value(left.child_by_field_name("index"))
            if index in HTML_PROPERTIES:
                yield SinkHit("html", index, node, right)
            continue
        if left.type != "member_expression":
            continue
        prop = text(left.child_by_field_name("property"))
        obj_text = _norm(left.child_by_field_name("object"))
        if prop in HTML_PROPERTIES:
            yield SinkHit("html", prop, node, right)
        elif prop == "location" or (prop == "href" and obj_text.endswith("location")):
            yield SinkHit("url", f"{obj_text}.{prop}", node, right)
        elif prop in URL_PROPERTIES:
            yield SinkHit("url", prop, node, right)
        elif prop in TAINT_ONLY_URL_PROPERTIES:
            yield SinkHit("url-taint-only", prop, node, right)
        elif prop in ("text", "textContent", "innerText") and _looks_like_script(obj_text):
            yield SinkHit("code", f"{obj_text}.{prop}", node, right)
    for node in a.nodes.get("call_expression", []):
        yield from _call_sinks(a, node)
    for node in a.nodes.get("new_expression", []):
        ctor = node.child_by_field_name("constructor")
        if ctor is not None and _norm(ctor) in ("Function", "window.Function"):
            args = node.child_by_field_name("arguments")
            for arg in (args.named_children if args is not None else ()):
                yield SinkHit("code", "new Function", node, arg)
    for node in a.nodes.get("jsx_attribute", []):
        name = node.named_children[0] if node.named_children else None
        value = node.named_children[1] if len(node.named_children) > 1 else None
        if name is None or value is None or value.type != "jsx_expression":
            continue
        attr = text(name)
        expr = value.named_children[0] if value.named_children else None
        if attr == "dangerouslySetInnerHTML":
            yield SinkHit("html", "dangerouslySetInnerHTML", node, _inner_html_value(expr))
        elif attr in ("href", "xlinkHref", "action", "formAction"):
            yield SinkHit("url", f"JSX {attr}", node, expr)
        elif attr in ("src",):
            yield SinkHit("url-taint-only", f"JSX {attr}", node, expr)
        elif attr == "srcDoc":
            yield SinkHit("html", "JSX srcDoc", node, expr)
    for node in a.nodes.get("pair", []):
        key = node.child_by_field_name("key")
        if key is not None and _key_name(key) == "dangerouslySetInnerHTML":
            yield SinkHit("html", "dangerouslySetInnerHTML", node, _inner_html_value(node.child_by_field_name("value")))


def _looks_like_script(obj_text: str) -> bool:
    return bool(re.search(r"(?i)script$", obj_text))


def _inner_html_value(expr: tree_sitter.Node | None) -> tree_sitter.Node | None:
    """For {__html: x} the value is x; otherwise the whole expression (e.g. createMarkup(c))."""
    e = unwrap(expr)
    if e is not None and e.type == "object":
        for pair in e.named_children:
            if pair.type == "pair" and _key_name(pair.child_by_field_name("key")) == "__html":
                return pair.child_by_field_name("value")
    return expr


def _call_sinks(a: FileAnalysis, node: tree_sitter.Node) -> Iterator[SinkHit]:
    fn = unwrap(node.child_by_field_name("function"))
    args_node = node.child_by_field_name("arguments")
    if fn is None or args_node is None:
        return
    args = [x for x in args_node.named_children if x.type != "comment"]
    callee = _norm(fn)
    if fn.type == "import" and args:  # import(url) loads and runs a module
        yield SinkHit("code-taint-or-string", "import()", node, args[0])
        return
    if fn.type == "identifier" or callee in ("window.eval", "window.setTimeout", "window.setInterval",
                                              "window.open", "window.Function", "globalThis.eval"):
        name = callee.rsplit(".", 1)[-1]
        if name == "eval" and args:
            yield SinkHit("code", "eval", node, args[0])
        elif name == "Function":
            for arg in args:
                yield SinkHit("code", "Function", node, arg)
        elif name in ("setTimeout", "setInterval", "setImmediate", "execScript") and args:
            if a.function_value(args[0]) is None and unwrap(args[0]) is not None and \
                    unwrap(args[0]).type not in FUNCTION_TYPES:
                yield SinkHit("code-taint-or-string", name, node, args[0])
        elif name == "open" and args and (fn.type != "identifier" or a.resolve("open", node)[0] == a.root.id):
            yield SinkHit("url", "window.open", node, args[0])
        elif name in ("$", "jQuery") and args:
            yield SinkHit("html-taint-only", f"{name}()", node, args[0])
        return
    if fn.type != "member_expression":
        return
    prop_node = fn.child_by_field_name("property")
    prop = text(prop_node)
    obj = fn.child_by_field_name("object")
    obj_text = _norm(obj) if obj is not None else ""
    # Report a method call at its method name: in a multi-line chain that is the sink's line.
    node = prop_node if prop_node is not None else node
    if prop == "insertAdjacentHTML" and len(args) >= 2:
        yield SinkHit("html", "insertAdjacentHTML", node, args[1])
    elif prop in ("createContextualFragment", "setHTMLUnsafe", "parseHTMLUnsafe") and args:
        yield SinkHit("html", prop, node, args[0])
    elif prop == "parseFromString" and args:
        yield SinkHit("html", "DOMParser.parseFromString", node, args[0])
    elif prop in ("write", "writeln") and re.search(r"(?i)document", obj_text):
        for arg in args:
            yield SinkHit("html", f"document.{prop}", node, arg)
    elif prop in ("assign", "replace") and obj_text.endswith("location") and args:
        yield SinkHit("url", f"location.{prop}", node, args[0])
    elif prop == "setAttribute" and len(args) >= 2:
        attr = (_string_value(args[0]) or "").lower()
        if attr in ("href", "xlink:href", "action", "formaction"):
            yield SinkHit("url", f"setAttribute('{attr}')", node, args[1])
        elif attr == "src":
            yield SinkHit("url-taint-only", "setAttribute('src')", node, args[1])
        elif attr == "srcdoc":
            yield SinkHit("html", "setAttribute('srcdoc')", node, args[1])
        elif attr.startswith("on"):
            yield SinkHit("code", f"setAttribute('{attr}')", node, args[1])
    elif prop in _ANGULAR_BYPASS and args:
        yield SinkHit(_ANGULAR_BYPASS[prop], prop, node, args[0])
    elif prop in JQUERY_HTML_METHODS and args and _jquery_receiver(obj):
        targets = args if prop in _JQUERY_ALL_ARGS else args[:1]
        for arg in targets:
            if a.function_value(arg) is None:
                yield SinkHit("html", f"jQuery.{prop}()", node, arg)


_SEVERITY = {"html": Severity.HIGH, "code": Severity.HIGH, "url": Severity.MEDIUM}


def analyse(a: FileAnalysis) -> list[ChatFinding]:
    a.propagate()
    findings: dict[tuple, ChatFinding] = {}

    def add(rule: str, severity: Severity, hit: SinkHit, source: str | None, message: str) -> None:
        f = ChatFinding(rule, severity, a.file, a.line(hit.node), a.column(hit.node), hit.sink, source, message)
        findings.setdefault((rule, f.line, f.column, f.sink), f)

    for hit in find_sinks(a):
        kind = hit.kind.split("-")[0]
        taint = a.taint_of(hit.value)
        if taint is not None and kind == "url" and (a.has_safe_url_prefix(hit.value) or _scheme_guarded(hit.node)):
            taint = None
        if taint is not None:
            add(f"tainted-{kind}-sink", _SEVERITY[kind], hit, taint.describe(),
                f"{taint.describe()} reaches {hit.sink} without sanitising")
            continue
        if hit.kind in ("url-taint-only", "html-taint-only"):
            continue
        if hit.kind == "code-taint-or-string":
            if hit.sink == "import()" and a.has_safe_url_prefix(hit.value):
                continue  # import(`./locale/${lang}.js`) stays on this origin
            if not a.is_constant(hit.value) and _stringish(hit.value):
                add("unsafe-code-sink", Severity.LOW, hit, None, f"string built at run time is executed by {hit.sink}")
            continue
        if a.is_constant(hit.value):
            continue
        if kind == "url":
            if a.has_safe_url_prefix(hit.value) or _scheme_guarded(hit.node) or _copies_a_url(hit):
                continue
            add("unsafe-url-sink", Severity.LOW, hit, None,
                f"non-literal URL reaches {hit.sink}: a javascript: URL would run script")
        else:
            add(f"unsafe-{kind}-sink", Severity.LOW, hit, None,
                f"non-literal value reaches {hit.sink}: check that it can never carry markup from users, "
                "agents or bots")
    for node in a.nodes.get("call_expression", []):
        fn = unwrap(node.child_by_field_name("function"))
        if fn is None:
            continue
        if fn.type == "member_expression":
            if text(fn.child_by_field_name("property")) != "addEventListener" or not is_window_receiver(
                    fn.child_by_field_name("object")):
                continue
        elif fn.type != "identifier" or text(fn) != "addEventListener":
            continue
        args_node = node.child_by_field_name("arguments")
        args = [x for x in (args_node.named_children if args_node is not None else []) if x.type != "comment"]
        if len(args) < 2 or _string_value(args[0]) != "message":
            continue
        handler = a.function_value(args[1])
        if handler is not None and not checks_origin(handler):
            hit = SinkHit("message", "addEventListener('message')", node, None)
            add("message-origin-unchecked", Severity.LOW, hit, None,
                "message listener reads event data without checking event.origin: any page can post to it")
    for node in a.nodes.get("assignment_expression", []):
        left = unwrap(node.child_by_field_name("left"))
        if left is None or left.type != "member_expression" or text(left.child_by_field_name("property")) != "onmessage":
            continue
        if not is_window_receiver(left.child_by_field_name("object")):
            continue
        handler = a.function_value(node.child_by_field_name("right"))
        if handler is not None and not checks_origin(handler):
            add("message-origin-unchecked", Severity.LOW, SinkHit("message", "onmessage", node, None), None,
                "message handler reads event data without checking event.origin: any page can post to it")
    return list(findings.values())


def _copies_a_url(hit: SinkHit) -> bool:
    """`a.href = b.href`: a URL the page already holds, not a new one; `this.action = ...` is not a form."""
    value = unwrap(hit.value)
    if value is not None and value.type == "member_expression" and text(
            value.child_by_field_name("property")) in ("href", "action", "src"):
        return True
    if hit.sink == "action" and hit.node.type in ("assignment_expression", "augmented_assignment_expression"):
        left = unwrap(hit.node.child_by_field_name("left"))
        obj = left.child_by_field_name("object") if left is not None else None
        return obj is not None and obj.type == "this"
    return False


def _stringish(node: tree_sitter.Node | None) -> bool:
    node = unwrap(node)
    return node is not None and node.type in ("string", "template_string", "binary_expression")


def _scheme_guarded(node: tree_sitter.Node) -> bool:
    """True when an enclosing if/ternary/&& condition checks for an http(s) scheme."""
    cur = node.parent
    while cur is not None and cur.type not in FUNCTION_TYPES:
        if cur.type in ("if_statement", "ternary_expression", "binary_expression", "jsx_expression"):
            cond = cur.child_by_field_name("condition") or cur.child_by_field_name("left") or cur
            if _SCHEME_GUARD.search(text(cond)):
                return True
        cur = cur.parent
    return False

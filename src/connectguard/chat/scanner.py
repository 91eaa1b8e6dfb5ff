"""`connectguard chat scan`: find files, parse them, run the taint analysis, collect findings.

I/O (walking directories, reading files) happens here; :func:`scan_source` is pure and
is what the tests and the corpus report call.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from connectguard.chat import languages
from connectguard.chat.model import ChatFinding, ScanError, ScanResult
from connectguard.chat.taint import DEFAULT_SANITIZERS, FileAnalysis, analyse
from connectguard.conventions import Severity

# Dependencies and build output: not the project's code, and often huge bundles.
DEFAULT_EXCLUDED_DIRS = frozenset({
    "node_modules", "bower_components", "jspm_packages", ".git", ".hg", ".svn", "dist", "build", "out",
    ".next", ".nuxt", ".output", ".svelte-kit", ".angular", "coverage", ".cache", ".parcel-cache", ".turbo",
    "storybook-static", "__pycache__", ".venv", "venv",
})
DEFAULT_EXCLUDED_FILES = ("*.min.js", "*.bundle.js", "*.chunk.js", "*.map", "*.d.ts")
MAX_FILE_BYTES = 5 * 1024 * 1024


def scan_source(source: bytes, file: str, *, kind: str | None = None,
                sanitizers: Iterable[str] = DEFAULT_SANITIZERS) -> ScanResult:
    """Scan one file's bytes. ``kind`` is a grammar name or html/vue/svelte (default: from the name)."""
    kind = kind or languages.grammar_for(Path(file))
    result = ScanResult(files_scanned=1, bytes_scanned=len(source))
    if kind is None:
        result.errors.append(ScanError(file, "unsupported file type"))
        return result
    sanitizers = tuple(sanitizers)
    if kind in languages.MARKUP_EXTENSIONS.values():
        blocks, template_sinks, tree = languages.split_markup(source, kind)
        error = languages.first_error(tree)
        if error is not None:
            result.errors.append(ScanError(file, "markup could not be parsed completely; the rest was scanned",
                                           error[0] + 1))
        analyses = []
        for grammar in sorted({b.grammar for b in blocks}):
            # The page's scripts share one global scope: analyse them together, each at its place.
            masked = _mask_outside(source, [b for b in blocks if b.grammar == grammar])
            analysis = _analyse_block(languages.ScriptBlock(masked, grammar), file, sanitizers, result)
            if analysis is not None:
                analyses.append(analysis)
        result.findings.extend(_template_findings(template_sinks, analyses, file))
    else:
        _analyse_block(languages.ScriptBlock(source, kind), file, sanitizers, result)
    result.sort()
    return result


def _analyse_block(block: languages.ScriptBlock, file: str, sanitizers: tuple[str, ...],
                   result: ScanResult) -> FileAnalysis | None:
    tree = languages.parse(block.source, block.grammar)
    error = languages.first_error(tree)
    if error is not None:
        line = error[0] + block.row + 1
        result.errors.append(ScanError(file, f"{block.grammar} syntax error; the rest of the file was scanned", line))
    analysis = FileAnalysis(tree, file, row_offset=block.row, column_offset=block.column, sanitizers=sanitizers)
    result.findings.extend(analyse(analysis))
    return analysis


def _mask_outside(source: bytes, blocks: list[languages.ScriptBlock]) -> bytes:
    """The file with everything but the given script blocks blanked out (newlines kept).

    Parsing this keeps every position equal to the position in the file. A ';' closes each
    block, so two blocks never run together into one statement.
    """
    lines = source.split(b"\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    out = bytearray(b if b == 0x0A else 0x20 for b in source)
    for block in blocks:
        begin = starts[block.row] + block.column if block.row < len(starts) else len(source)
        end = begin + len(block.source)
        out[begin:end] = block.source
        if end < len(out) and out[end] != 0x0A:
            out[end] = ord(";")
    return bytes(out)


_IDENT = re.compile(r"^\s*(?:this\.)?([A-Za-z_$][\w$]*)")


def _template_findings(sinks: list[languages.TemplateSink], analyses: list[FileAnalysis],
                       file: str) -> Iterator[ChatFinding]:
    """v-html / [innerHTML] / {@html}: tainted when the bound name holds tainted component state."""
    for sink in sinks:
        expr = sink.expression
        if re.fullmatch(r"\s*(['\"`])[^'\"`]*\1\s*", expr):
            continue  # a literal string
        taint = None
        m = _IDENT.match(expr)
        if m:
            name = m.group(1)
            for a in analyses:
                taint = (a.tainted.get(("this", name)) or a.tainted.get((a.root.id, name))
                         or a.tainted.get(("state", name)))
                if taint is None:
                    # Vue options API: data() { return { messages: [] } } then this.messages.push(...)
                    taint = next((t for (scope, n), t in a.tainted.items() if n == name and scope != "state"), None)
                if taint is not None:
                    break
        if taint is not None:
            yield ChatFinding("tainted-html-sink", Severity.HIGH, file, sink.line, sink.column, sink.sink,
                              taint.describe(), f"{taint.describe()} reaches {sink.sink} without sanitising")
        else:
            yield ChatFinding("unsafe-html-sink", Severity.LOW, file, sink.line, sink.column, sink.sink, None,
                              f"non-literal value reaches {sink.sink}: check that it can never carry markup from "
                              "users, agents or bots")


def iter_files(paths: Iterable[Path], *, default_excludes: bool = True,
               exclude: Iterable[str] = ()) -> Iterator[Path]:
    """Files to scan under ``paths``, in a stable order. Files named explicitly are always scanned."""
    patterns = list(exclude) + (list(DEFAULT_EXCLUDED_FILES) if default_excludes else [])
    for path in paths:
        if path.is_file():
            yield path
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if not (
                default_excludes and d in DEFAULT_EXCLUDED_DIRS
                or any(fnmatch.fnmatch(d, p) for p in exclude)))
            for name in sorted(filenames):
                candidate = Path(dirpath) / name
                if candidate.suffix.lower() not in languages.SUPPORTED_EXTENSIONS:
                    continue
                rel = str(candidate)
                if any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(rel, p) for p in patterns):
                    continue
                yield candidate


def scan_paths(paths: Iterable[str | Path], *, sanitizers: Iterable[str] = DEFAULT_SANITIZERS,
               default_excludes: bool = True, exclude: Iterable[str] = ()) -> ScanResult:
    """Scan files and directories. A missing path or unreadable file is an error entry, not an exception."""
    result = ScanResult()
    sanitizers = tuple(sanitizers)
    existing: list[Path] = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            result.errors.append(ScanError(str(path), "no such file or directory"))
        else:
            existing.append(path)
    for file in iter_files(existing, default_excludes=default_excludes, exclude=exclude):
        name = str(file)
        if languages.grammar_for(file) is None:
            result.errors.append(ScanError(name, "unsupported file type (expected .js .mjs .cjs .jsx .ts .tsx "
                                                 ".html .vue .svelte)"))
            continue
        try:
            size = file.stat().st_size
            if size > MAX_FILE_BYTES:
                result.errors.append(ScanError(name, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
                                                     "not scanned"))
                continue
            data = file.read_bytes()
        except OSError as exc:
            result.errors.append(ScanError(name, f"cannot read: {exc.strerror or exc}"))
            continue
        result.extend(scan_source(data, name, sanitizers=sanitizers))
    result.sort()
    return result

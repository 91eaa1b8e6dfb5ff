"""Benchmark `connectguard chat scan` against eslint-plugin-no-unsanitized / semgrep where installed.

Run by hand (not part of the test suite):

    python bench/bench_chat.py                      # a synthetic 400-file chat front end
    python bench/bench_chat.py --files 2000 --extra /path/to/amazon-connect-chat.js
    python bench/bench_chat.py PATH [PATH ...]      # your own code base
    python bench/bench_chat.py --eslint-dir DIR     # DIR/node_modules holds eslint + eslint-plugin-no-unsanitized

The synthetic code base copies the labelled corpus (tests/chat/corpus) into a tree of
feature folders, renaming nothing but the files, until it holds --files files: the size of a
real custom chat widget (amazon-connect-chat-interface has ~150 source files) several times
over. One run reports, for each tool: files, total wall time, files/s and findings. Baselines
run only when installed: eslint (with eslint-plugin-no-unsanitized, recommended config; it
lints .js/.jsx/.mjs/.cjs only - no TypeScript parser, no HTML/Vue) and semgrep (with the
registry config given by --semgrep-config, which needs network, or a local rules file).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "chat" / "corpus"
ESLINT_EXTENSIONS = {".js", ".jsx", ".mjs", ".cjs"}

ESLINT_CONFIG = """
import nounsanitized from "eslint-plugin-no-unsanitized";
export default [
  {
    files: ["**/*.js", "**/*.jsx", "**/*.mjs", "**/*.cjs"],
    plugins: { "no-unsanitized": nounsanitized },
    languageOptions: { ecmaVersion: "latest", sourceType: "module",
                       parserOptions: { ecmaFeatures: { jsx: true } } },
    rules: { "no-unsanitized/method": "error", "no-unsanitized/property": "error" },
  },
];
"""


def build_synthetic(root: Path, count: int, extra: list[Path]) -> list[Path]:
    sources = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md")
    files: list[Path] = []
    i = 0
    while len(files) < count:
        src = sources[i % len(sources)]
        folder = root / "src" / f"feature{i // 40:03d}" / ("components" if i % 2 else "services")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{src.stem}_{i:05d}{src.suffix}"
        shutil.copyfile(src, target)
        files.append(target)
        i += 1
    for e in extra:
        target = root / "src" / "vendor_copy" / e.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(e, target)
        files.append(target)
    return files


def count_files(paths: list[Path], extensions: set[str] | None = None) -> int:
    from connectguard.chat.scanner import iter_files

    return sum(1 for f in iter_files(paths) if extensions is None or f.suffix.lower() in extensions)


def run_connectguard(paths: list[Path]) -> dict:
    from connectguard.chat.scanner import scan_paths

    start = time.perf_counter()
    result = scan_paths(paths)
    elapsed = time.perf_counter() - start
    return {"tool": "connectguard chat scan", "files": result.files_scanned, "seconds": elapsed,
            "bytes": result.bytes_scanned, "findings": len(result.findings), "errors": len(result.errors)}


def run_eslint(paths: list[Path], eslint_dir: Path) -> dict | None:
    binary = eslint_dir / "node_modules" / ".bin" / "eslint"
    if not binary.exists() or not (eslint_dir / "node_modules" / "eslint-plugin-no-unsanitized").exists():
        return None
    config = eslint_dir / "eslint.config.mjs"
    config.write_text(ESLINT_CONFIG)
    targets = [str(p.resolve()) for p in paths]
    # With -c, ESLint's base path is the working directory: files outside it are ignored.
    cwd = os.path.commonpath([p if Path(p).is_dir() else str(Path(p).parent) for p in targets])
    start = time.perf_counter()
    proc = subprocess.run([str(binary), "--no-config-lookup", "-c", str(config), "-f", "json",
                           "--no-warn-ignored", *targets], capture_output=True, text=True, cwd=cwd)
    elapsed = time.perf_counter() - start
    try:
        report = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return {"tool": "eslint + no-unsanitized", "error": (proc.stderr or proc.stdout)[:300]}
    messages = [m for f in report for m in f["messages"]]
    return {"tool": "eslint + no-unsanitized", "files": len(report), "seconds": elapsed,
            "findings": sum(1 for m in messages if (m.get("ruleId") or "").startswith("no-unsanitized")),
            "errors": sum(1 for m in messages if m.get("fatal"))}


def run_semgrep(paths: list[Path], config: str) -> dict | None:
    binary = shutil.which("semgrep")
    if binary is None:
        return None
    start = time.perf_counter()
    proc = subprocess.run([binary, "--config", config, "--json", "--metrics=off", *map(str, paths)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"tool": "semgrep", "error": (proc.stderr or proc.stdout)[:300]}
    return {"tool": f"semgrep ({config})", "files": len(report.get("paths", {}).get("scanned", [])),
            "seconds": elapsed, "findings": len(report.get("results", [])), "errors": len(report.get("errors", []))}


def eslint_on_corpus(eslint_dir: Path) -> str | None:
    """Labelled sink lines of the corpus that eslint-plugin-no-unsanitized reports (any of its rules)."""
    binary = eslint_dir / "node_modules" / ".bin" / "eslint"
    if not binary.exists():
        return None
    from connectguard.chat.corpus_report import expectations, score

    config = eslint_dir / "eslint.config.mjs"
    config.write_text(ESLINT_CONFIG)
    proc = subprocess.run([str(binary), "--no-config-lookup", "-c", str(config), "-f", "json", "--no-warn-ignored",
                           str(CORPUS)], capture_output=True, text=True, cwd=CORPUS)
    report = json.loads(proc.stdout or "[]")
    hits = {(f["filePath"], m["line"]) for f in report for m in f["messages"]
            if (m.get("ruleId") or "").startswith("no-unsanitized")}
    labelled = {(str(Path(f).resolve()), n) for f, n, _ in expectations(CORPUS)}
    ours = score(CORPUS)
    ours_lines = {(str(Path(f).resolve()), n) for f, n, _ in ours.true_positives}
    return (f"labelled sink lines: {len(labelled)}; eslint + no-unsanitized reports {len(hits & labelled)} of them "
            f"(+{len(hits - labelled)} unlabelled lines; it reads only .js/.jsx here); connectguard reports "
            f"{len(ours_lines & labelled)} with the labelled rule")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--files", type=int, default=400, help="synthetic code base size (without PATHs)")
    parser.add_argument("--extra", action="append", type=Path, default=[],
                        help="add this file (e.g. a real bundle) to the synthetic code base")
    parser.add_argument("--eslint-dir", type=Path, default=Path(os.environ.get("ESLINT_DIR", "/tmp/bench_eslint")))
    parser.add_argument("--semgrep-config", default="p/javascript")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="cg-chat-bench-") as tmp:
        if args.paths:
            paths = args.paths
            label = ", ".join(map(str, paths))
        else:
            build_synthetic(Path(tmp), args.files, args.extra)
            paths = [Path(tmp) / "src"]
            label = f"synthetic chat front end ({args.files} files from tests/chat/corpus"
            label += f" + {', '.join(e.name for e in args.extra)})" if args.extra else ")"
        total = count_files(paths)
        js_only = count_files(paths, ESLINT_EXTENSIONS)
        size = sum(f.stat().st_size for f in Path(paths[0]).rglob("*") if f.is_file()) if paths[0].is_dir() else 0
        print(f"code base: {label}: {total} scannable files ({js_only} .js/.jsx/.mjs/.cjs), {size / 1e6:.2f} MB")
        rows = [run_connectguard(paths)]
        eslint = run_eslint(paths, args.eslint_dir)
        rows.append(eslint or {"tool": "eslint + no-unsanitized", "skipped": f"not installed in {args.eslint_dir}"})
        semgrep = run_semgrep(paths, args.semgrep_config)
        rows.append(semgrep or {"tool": "semgrep", "skipped": "not installed"})
    corpus_line = eslint_on_corpus(args.eslint_dir)
    if corpus_line:
        print(f"corpus comparison: {corpus_line}")
    for r in rows:
        if "skipped" in r or "error" in r:
            print(f"  {r['tool']:28} {r.get('skipped') or 'failed: ' + r['error']}")
            continue
        rate = r["files"] / r["seconds"] if r["seconds"] else float("inf")
        print(f"  {r['tool']:28} {r['files']:6} files  {r['seconds']:8.2f} s  {rate:8.1f} files/s  "
              f"{r['findings']:6} findings  {r['errors']} errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Precision and recall of `chat scan` on a labelled corpus (tests/chat/corpus).

A line that carries ``expect: RULE[, RULE]`` is a labelled positive for those rules; any
other finding is a false positive. Usage::

    python -m connectguard.chat.corpus_report tests/chat/corpus [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from connectguard.chat.scanner import iter_files, scan_paths

_EXPECT = re.compile(r"expect:\s*([\w-]+(?:\s*,\s*[\w-]+)*)")


@dataclass
class CorpusScore:
    true_positives: list[tuple[str, int, str]] = field(default_factory=list)
    false_positives: list[tuple[str, int, str]] = field(default_factory=list)
    false_negatives: list[tuple[str, int, str]] = field(default_factory=list)
    files: int = 0
    parse_errors: int = 0

    @property
    def precision(self) -> float:
        found = len(self.true_positives) + len(self.false_positives)
        return len(self.true_positives) / found if found else 1.0

    @property
    def line_recall(self) -> float:
        """Labelled sink lines on which some finding was reported (possibly by a weaker rule)."""
        wanted = {(f, n) for f, n, _ in self.true_positives + self.false_negatives}
        hit = {(f, n) for f, n, _ in self.true_positives + self.false_positives}
        return len(wanted & hit) / len(wanted) if wanted else 1.0

    @property
    def recall(self) -> float:
        wanted = len(self.true_positives) + len(self.false_negatives)
        return len(self.true_positives) / wanted if wanted else 1.0

    def by_rule(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for name, rows in (("tp", self.true_positives), ("fp", self.false_positives), ("fn", self.false_negatives)):
            for _, _, rule in rows:
                out.setdefault(rule, {"tp": 0, "fp": 0, "fn": 0})[name] += 1
        return dict(sorted(out.items()))


def expectations(root: Path) -> set[tuple[str, int, str]]:
    expected: set[tuple[str, int, str]] = set()
    for file in iter_files([root]):
        for number, line in enumerate(file.read_text("utf-8").splitlines(), start=1):
            m = _EXPECT.search(line)
            if m:
                for rule in m.group(1).split(","):
                    expected.add((str(file), number, rule.strip()))
    return expected


def score(root: str | Path) -> CorpusScore:
    root = Path(root)
    expected = expectations(root)
    result = scan_paths([root])
    found = {(f.file, f.line, f.rule) for f in result.findings}
    s = CorpusScore(files=result.files_scanned, parse_errors=len(result.errors))
    s.true_positives = sorted(found & expected)
    s.false_positives = sorted(found - expected)
    s.false_negatives = sorted(expected - found)
    return s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default="tests/chat/corpus")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    s = score(args.corpus)
    if args.json:
        print(json.dumps({"files": s.files, "true_positives": len(s.true_positives),
                          "false_positives": len(s.false_positives), "false_negatives": len(s.false_negatives),
                          "precision": round(s.precision, 4), "recall": round(s.recall, 4),
                          "line_recall": round(s.line_recall, 4),
                          "by_rule": s.by_rule()}, indent=2))
        return 0
    print(f"corpus: {args.corpus} ({s.files} files, {s.parse_errors} parse errors)")
    print(f"labelled positives: {len(s.true_positives) + len(s.false_negatives)}; findings: "
          f"{len(s.true_positives) + len(s.false_positives)}")
    print(f"TP {len(s.true_positives)}  FP {len(s.false_positives)}  FN {len(s.false_negatives)}")
    print(f"precision {s.precision:.3f}  recall {s.recall:.3f}  (labelled sink lines with any finding: "
          f"{s.line_recall:.3f})")
    for rule, c in s.by_rule().items():
        print(f"  {rule:26} tp {c['tp']:3}  fp {c['fp']:3}  fn {c['fn']:3}")
    for label, rows in (("false positive", s.false_positives), ("missed", s.false_negatives)):
        for file, line, rule in rows:
            print(f"{label}: {file}:{line} {rule}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

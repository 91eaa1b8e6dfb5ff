"""Precision and recall on the labelled corpus, and the three patterns both baseline tools miss."""

from __future__ import annotations

from pathlib import Path

from connectguard.chat.corpus_report import score
from connectguard.chat.scanner import scan_paths

CORPUS = Path(__file__).parent / "corpus"


def test_precision_and_recall(capsys):
    s = score(CORPUS)
    with capsys.disabled():
        print(f"\nchat corpus: {s.files} files, TP {len(s.true_positives)} FP {len(s.false_positives)} "
              f"FN {len(s.false_negatives)}; precision {s.precision:.3f} recall {s.recall:.3f}")
    assert s.parse_errors == 0
    assert len(s.true_positives) + len(s.false_negatives) >= 35
    # Floors, not the measured figures: a regression must fail this test.
    assert s.precision >= 0.85
    assert s.recall >= 0.90


def test_every_negative_modelled_on_a_real_ui_is_clean():
    result = scan_paths(sorted((CORPUS / "negative").glob("*_like.*")))
    assert result.files_scanned >= 5
    assert result.findings == []


def test_patterns_that_eslint_no_unsanitized_and_semgrep_miss():
    """dangerouslySetInnerHTML fed from configuration, an href from a bot message, window.open of a chat link."""
    result = scan_paths([CORPUS / "positive"])
    found = {(Path(f.file).name, f.line, f.rule) for f in result.findings}
    assert ("chat_action_bar_like.jsx", 21, "unsafe-html-sink") in found
    assert ("interactive_message_like.jsx", 34, "tainted-url-sink") in found
    assert ("authentication_message_like.jsx", 16, "tainted-url-sink") in found

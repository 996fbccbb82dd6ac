"""Hostile review of issue 18: a crisis plan's « what changed » must not hang on long or
repetitive text (difflib is quadratic or worse there, and every reader of the plans pays it)."""

from __future__ import annotations

import time

from cpts.crises.changes import word_diff


def test_a_long_repetitive_axis_is_compared_in_a_moment_and_escaped() -> None:
    """5,000 words of seven tokens against 5,000 of five took minutes (2,000 words: 37 s)."""
    old = " ".join(f"w{i % 7}" for i in range(5000)) + " <script>alert(1)</script>"
    new = " ".join(f"w{i % 5}" for i in range(5000))
    began = time.monotonic()
    diff = word_diff(old, new)
    assert time.monotonic() - began < 5
    assert "<script>" not in diff
    assert "&lt;script&gt;" in diff
    assert "<del>" in diff
    assert "<ins>" in diff


def test_a_long_axis_rewritten_in_one_paragraph_is_marked_by_paragraph() -> None:
    kept = " ".join(f"mot{i}" for i in range(1500))
    diff = word_diff(kept + "\nancien paragraphe", kept + "\nnouveau paragraphe")
    assert "ancien paragraphe</del>" in diff
    assert "nouveau paragraphe</ins>" in diff
    assert diff.count("<del>") == 1

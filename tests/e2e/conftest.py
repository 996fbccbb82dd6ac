"""What the browser tests share: Debian's chromium driven by Playwright, and axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

#: axe-core, installed by `make services` (scripts/ensure-services.sh) at the version pinned there.
AXE = Path(__file__).resolve().parents[2] / "var/axe/node_modules/axe-core/axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make services` (it installs axe-core with npm)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any, source: str) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is, with its WCAG 2.x A and AA rules and best practices.

    The page keeps its Content-Security-Policy: axe is evaluated through the DevTools protocol
    (``page.evaluate``), which no page policy blocks, instead of a <script> tag the policy would
    refuse."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source + "\n;undefined")
    return list(
        page.evaluate(
            """async () => {
              const result = await axe.run(document, {resultTypes: ["violations"]});
              return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ")),
              }));
            }"""
        )
    )

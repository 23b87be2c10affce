"""Headless Chromium for the browser tests: Debian's chromium driven by Playwright.

Playwright's own browser download is never used (it needs the network); the tests drive
``/usr/bin/chromium``, which ``.ci/run`` installs. Every test page is checked for console
errors, page errors and requests that leave the machine (file:// and 127.0.0.1 only).

``CASELOAD_SCREENSHOTS=DIR`` makes the tests also save their screenshots in ``DIR``, as
JPEG (``make screenshots`` uses it for ``docs/teaching.md``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NAVIGATION_TIMEOUT_MS = 180_000  # a hang guard only (see watched_page)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on PATH or at /usr/bin/chromium; install Debian's chromium (apt-get install chromium) "
    "to run the browser tests — .ci/run does",
)


@dataclass
class Watched:
    """A page and what went wrong on it."""

    page: Any
    problems: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def clean(self) -> list[str]:
        return self.problems + [f"request left the machine: {url}" for url in self.outside]


def browser_session() -> Iterator[Any]:
    """Debian's chromium under Playwright, for a whole test session (the ``browser`` fixture, conftest.py)."""
    if CHROMIUM is None:
        pytest.skip("no chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


def watched_page(browser: Any, width: int = 1400, height: int = 1000) -> Watched:
    """A new page that records console errors, page errors and any request not to file:// or 127.0.0.1."""
    # bypass_csp: the app's policy forbids eval, which Playwright's string predicates need
    page = browser.new_page(viewport={"width": width, "height": height}, bypass_csp=True)
    # Playwright's 30 s default is a hang guard, not a measure: a many-scenario report (several MB of
    # charts) took longer than that to load on a loaded CI machine. Nothing here is timed.
    page.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    page.set_default_timeout(NAVIGATION_TIMEOUT_MS)
    w = Watched(page)
    page.on(
        "console", lambda m: w.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: w.problems.append(f"page error: {e}"))

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file://", "http://127.0.0.1", "data:", "blob:", "about:")):
            r.continue_()
        else:
            w.outside.append(url)
            r.abort()

    page.route("**/*", route)
    return w


def screenshot(page: Any, tmp_path: Path, name: str, **options: Any) -> Path:
    """Save a screenshot in ``tmp_path`` (and in ``$CASELOAD_SCREENSHOTS`` when set); return its path."""
    target = tmp_path / name
    page.screenshot(path=str(target), **options)
    where = os.environ.get("CASELOAD_SCREENSHOTS")
    if where:  # for the docs: the same view as a JPEG, a fifth of the PNG's size, text still sharp
        Path(where).mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(Path(where) / Path(name).with_suffix(".jpg")), type="jpeg", quality=85, **options
        )
    return target


def not_blank(path: Path) -> bool:
    """A screenshot with real content: a blank page of this size compresses to a few kB, a drawn one does not."""
    return path.stat().st_size > 30_000

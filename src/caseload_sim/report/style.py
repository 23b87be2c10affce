"""The look the report's pages share: colours, type and the page's width.

:mod:`caseload_sim.report.html` (the run and comparison report) and
:mod:`caseload_sim.report.warmup` (the warm-up page) add their own rules after these, so
a planner who reads one reads the other in the same hand.
"""

from __future__ import annotations

__all__ = ["BASE_CSS"]

BASE_CSS = """
:root { --ink: #1d2330; --muted: #5b6475; --line: #d9dde5; --soft: #f4f6f9; --accent: #0b5cad;
  --good: #e3f4e6; --good-ink: #1b6b30; --bad: #fbe5e3; --bad-ink: #a1261b; --info: #e8eef8; --warn: #fff6dc; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
header.top { border-bottom: 3px solid var(--accent); margin-bottom: 18px; padding-bottom: 10px; }
h1 { font-size: 1.75rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 36px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 22px 0 6px; }
"""

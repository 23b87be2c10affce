"""The offline animation page: one HTML file with the player, its style and the data inline.

No network at all — no CDN, no fonts, no plotly — so a trainer can e-mail the file and
open it from ``file://`` on a classroom PC. The data sits in a ``<script
type="application/json">`` block (read with ``JSON.parse``, never executed), escaped so
that no text in it can close the block.
"""

from __future__ import annotations

import html
import json
from importlib.resources import files
from typing import Any

__all__ = ["animation_html", "asset", "json_block"]


def asset(name: str) -> str:
    """The text of a file shipped in the ``caseload_sim.teach`` package (``player.js``, ...)."""
    return (files("caseload_sim.teach") / name).read_text(encoding="utf-8")


def json_block(element_id: str, data: Any) -> str:
    """``data`` as an inline JSON script block that no string inside it can break out of."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def animation_html(payload: dict[str, Any]) -> str:
    """The self-contained animation page of one team of one replication."""
    title = f"{payload['scenario']} — team {payload['team']}, seed {payload['seed']}"
    about = (
        f"{payload['description'].strip()} One replication (seed {payload['seed']}, replication "
        f"{payload['replication']}), {payload['days'] / 365:.1f} years"
        + (
            f" from day {payload['start']:g} of the run (after the warm-up)"
            if payload["start"] > 0
            else ", from the start of the run"
        )
        + ". Press play, or drag the slider to a day; click a dot to follow that person."
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ margin: 0; padding: 1rem 1.2rem 2rem; background: #fff; }}
.cs-about h1 {{ font-size: 1.4rem; margin: 0 0 .2rem; color: #222; }}
.cs-about {{ max-width: 1480px; margin: 0 auto .6rem;  color: #3d4750; font: 15px/1.45 system-ui, sans-serif; }}
.cs-foot {{ max-width: 70rem; margin: 1.2rem auto 0; color: #5b6670; font: 13px/1.4 system-ui, sans-serif; }}
{asset("player.css")}
</style>
</head>
<body>
<header class="cs-about"><h1>{html.escape(title)}</h1><p>{html.escape(about)}</p></header>
<main id="animation" data-title="{html.escape(title)}"></main>
<noscript><p>This animation needs JavaScript (it runs offline, from this file alone).</p></noscript>
{json_block("caseload-data", payload)}
<script>
{asset("player.js")}
</script>
<script>
(function () {{
  const data = JSON.parse(document.getElementById("caseload-data").textContent);
  const root = document.getElementById("animation");
  window.player = CaseloadPlayer.mount(root, [data], {{}});
}})();
</script>
<p class="cs-foot">Made by caseload-sim from the model's event log. Colours: Okabe–Ito (colour-blind safe).
Space plays or pauses; → steps a week.</p>
</body>
</html>
"""

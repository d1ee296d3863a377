"""Copy GOV.UK Frontend's built assets from ``node_modules`` into our static files.

The precompiled stylesheet points its fonts and images at ``/assets/``; we serve static files
under ``/static/``, so the copy rewrites those URLs to ``/static/govuk/assets/``.
Run by ``script/setup`` after ``npm ci``: ``python -m fullvalue.web.frontend_assets``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
TARGET = Path(__file__).resolve().parent / "static" / "govuk"


def copy_assets(source: Path = SOURCE, target: Path = TARGET) -> list[Path]:
    """Copy the CSS (rewritten), the JavaScript module, their source maps and the assets."""
    if not (source / "govuk-frontend.min.css").exists():
        raise SystemExit(f"govuk-frontend is not installed at {source}: run npm ci first")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    css = (source / "govuk-frontend.min.css").read_text(encoding="utf-8")
    css = css.replace("url(/assets/", "url(/static/govuk/assets/")
    (target / "govuk-frontend.min.css").write_text(css, encoding="utf-8")
    for name in (
        "govuk-frontend.min.css.map",
        "govuk-frontend.min.js",
        "govuk-frontend.min.js.map",
    ):
        shutil.copy2(source / name, target / name)
    shutil.copytree(source / "assets", target / "assets")
    return sorted(p for p in target.rglob("*") if p.is_file())


if __name__ == "__main__":
    files = copy_assets()
    print(f"copied {len(files)} GOV.UK Frontend files to {TARGET}", file=sys.stderr)

"""A post-mortem as a list of plain blocks, rendered to Markdown and to self-contained HTML.

Blocks: ("h1"|"h2"|"p", text), ("banner", status, text), ("ul"|"ol", [text]),
("table", header, rows), ("img", alt, file).
Text may use `code`, **bold** and _emphasis_; the HTML renderer escapes everything else and embeds
images as base64 PNG data, so the page needs no network, no script and no other file.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any

Block = tuple[Any, ...]

CSS = (
    "body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;"
    "max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2733;line-height:1.45}"
    "h1{border-bottom:2px solid #d0d7de;padding-bottom:.3rem}"
    "h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}"
    "table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}"
    "th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}"
    "th{background:#f3f5f7}tr:nth-child(even) td{background:#fafbfc}"
    "code{background:#f3f5f7;padding:0 .2rem;border-radius:3px;font-size:.9em}"
    "img{max-width:100%;border:1px solid #d0d7de;margin:.5rem 0}"
    "em{color:#8a4b00}"
    ".banner{padding:.8rem 1rem;border-radius:6px;margin:1rem 0;font-size:1.05rem;color:#fff}"
    ".banner.passed{background:#2f7d3e}.banner.failed,.banner.error{background:#b3261e}"
    ".banner.interrupted,.banner.incomplete{background:#8a5a00}.banner code{color:#1d2733}"
    "@media (max-width:760px){body{margin:1rem auto;padding:0 .5rem}"
    "table{font-size:.8rem}th,td{padding:.2rem .3rem}}"
)


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            out.append(f"# {block[1]}")
        elif kind == "h2":
            out.append(f"## {block[1]}")
        elif kind == "p":
            out.append(block[1])
        elif kind == "banner":
            out.append(block[2])
        elif kind in ("ul", "ol"):
            mark = "-" if kind == "ul" else "1."
            out.append("\n".join(f"{mark} {item}" for item in block[1]))
        elif kind == "table":
            header, rows = block[1], block[2]
            lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "img":
            out.append(f"![{block[1]}]({block[2]})")
    return "\n\n".join(out) + "\n"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def to_html(blocks: list[Block], title: str, image_dir: Path) -> str:
    body: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "p"):
            body.append(f"<{kind}>{inline(block[1])}</{kind}>")
        elif kind == "banner":
            status = html.escape(block[1])
            body.append(f'<div class="banner {status}" id="verdict">{inline(block[2])}</div>')
        elif kind in ("ul", "ol"):
            items = "".join(f"<li>{inline(item)}</li>" for item in block[1])
            body.append(f"<{kind}>{items}</{kind}>")
        elif kind == "table":
            head = "".join(f"<th>{inline(h)}</th>" for h in block[1])
            rows = "".join(
                "<tr>" + "".join(f"<td>{inline(str(c))}</td>" for c in row) + "</tr>"
                for row in block[2]
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif kind == "img":
            data = base64.b64encode((image_dir / block[2]).read_bytes()).decode("ascii")
            body.append(
                f'<p><img alt="{html.escape(block[1])}" src="data:image/png;base64,{data}"></p>'
            )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


_STRONG = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![\w])_(.+?)_(?![\w])")


def inline(text: str) -> str:
    """Markdown's inline marks to HTML; code spans are kept verbatim (escaped)."""
    parts = text.split("`")
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<code>{html.escape(part)}</code>")
            continue
        escaped = _STRONG.sub(r"<strong>\1</strong>", html.escape(part))
        out.append(_EM.sub(r"<em>\1</em>", escaped))
    return "".join(out)

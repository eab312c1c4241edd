"""Fitting Chinese text into boxes: truncate with an ellipsis, wrap by width (no spaces needed)."""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth


def fit(text: str, font: str, size: float, width: float) -> str:
    """`text` cut to fit `width` points, ending in "…" when cut."""
    if stringWidth(text, font, size) <= width:
        return text
    ell = "…"
    budget = width - stringWidth(ell, font, size)
    out = ""
    for ch in text:
        if stringWidth(out + ch, font, size) > budget:
            break
        out += ch
    return out + ell


def wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Lines of at most `width` points; the last line ends in "…" when text is left over."""
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        line = ""
        for ch in para:
            if stringWidth(line + ch, font, size) > width:
                lines.append(line)
                line = ch
            else:
                line += ch
        lines.append(line)
    lines = [ln for ln in lines if ln] or []
    if len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        while last and stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        kept[-1] = last + "…"
        return kept
    return lines


def wrap_balanced(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Like `wrap`, but a label that needs several lines is cut into lines of even length
    (生活与/经济, not 生活与经/济): a short label never leaves one character alone."""
    lines = wrap(text, font, size, width, max_lines)
    chars = "".join(text.split())
    if len(lines) < 2 or "\n" in text or lines[-1].endswith("…"):
        return lines
    count = len(lines)
    per = -(-len(chars) // count)  # ceiling
    even = [chars[i : i + per] for i in range(0, len(chars), per)]
    if len(even) == count and all(stringWidth(ln, font, size) <= width for ln in even):
        return even
    return lines

#!/usr/bin/env python3
"""Draw the application's icon (resources/icons/caseworker.png and .ico) from the bundled font.

A rounded square in the navigation's blue with 民 (civil affairs) in white, and a small roof
line above it: readable at 16 px in a taskbar, clear at 256 px in a Start menu. The files are
committed; run this only to change the design:

    .venv/bin/python packaging/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
FONT = ROOT / "resources" / "fonts" / "wqy-microhei.ttc"
OUT = ROOT / "resources" / "icons"
BLUE, LIGHT, WHITE = (31, 95, 168), (74, 139, 212), (255, 255, 255)
SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)


def draw(size: int = 1024) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    pad = size // 32
    d.rounded_rectangle((pad, pad, size - pad, size - pad), radius=size // 6, fill=BLUE)
    # A lighter band at the top: the roof of a home.
    roof = [(size * 0.18, size * 0.36), (size * 0.5, size * 0.14), (size * 0.82, size * 0.36)]
    d.line(roof, fill=LIGHT, width=size // 18, joint="curve")
    font = ImageFont.truetype(str(FONT), int(size * 0.56), index=0)
    box = d.textbbox((0, 0), "民", font=font)
    w, h = box[2] - box[0], box[3] - box[1]
    d.text(((size - w) / 2 - box[0], size * 0.62 - h / 2 - box[1]), "民", font=font, fill=WHITE)
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    big = draw()
    big.resize((256, 256), Image.Resampling.LANCZOS).save(OUT / "caseworker.png")
    big.save(OUT / "caseworker.ico", sizes=[(s, s) for s in SIZES])
    print(f"wrote {OUT / 'caseworker.png'} and {OUT / 'caseworker.ico'}")


if __name__ == "__main__":
    main()

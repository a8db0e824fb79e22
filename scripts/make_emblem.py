"""Draw the neutral placeholder emblem shipped with the demo profile.

A real office replaces ``templates/assets/emblem.png`` with its own regency emblem; we never ship a
real government logo.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"

OUT = Path(__file__).resolve().parent.parent / "templates" / "assets" / "emblem.png"


def main() -> None:
    w, h = 360, 420
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    shield = [(20, 20), (w - 20, 20), (w - 20, 230), (w // 2, h - 20), (20, 230)]
    d.polygon(shield, fill=(28, 84, 140, 255), outline=(10, 40, 80, 255))
    inner = [(45, 45), (w - 45, 45), (w - 45, 222), (w // 2, h - 60), (45, 222)]
    d.polygon(inner, fill=(240, 200, 60, 255))
    cx, cy, r = w // 2, 150, 62
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(28, 84, 140, 255))
    try:
        font = ImageFont.truetype(FONT, 40)
    except OSError:
        font = ImageFont.load_default()
    d.text((cx, cy), "LOGO", fill=(255, 255, 255, 255), font=font, anchor="mm")
    try:
        small = ImageFont.truetype(FONT, 30)
    except OSError:
        small = ImageFont.load_default()
    d.text((cx, 275), "CONTOH", fill=(28, 84, 140, 255), font=small, anchor="mm")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    img.save(OUT, optimize=True)
    print(OUT)


if __name__ == "__main__":
    main()

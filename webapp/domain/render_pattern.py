"""Woven patterns for the shirt preview, as anti-aliased coverage masks.

A pattern is one or two "ink" masks (0…1 coverage per pixel) over the whole frame. They
do not depend on the fabric colour: the renderer fills the fabric with its colour and
then pastes the ink colour through the mask, so a new colour costs no new texture.
Coverage is computed analytically from the distance to the nearest stripe or dot, which
anti-aliases at any rotation (sleeves and cuffs use rotated copies).
"""

from __future__ import annotations

import colorsys
import math
from functools import cache

import numpy as np

# Period and thread width in design units (scaled with the output size).
PINSTRIPE = (12.0, 1.0)
BENGAL = (12.0, 6.0)
GINGHAM = (12.0, 6.0)
WINDOWPANE = (46.0, 2.0)
TATTERSALL = (22.0, 1.6)
DOTS = (14.0, 1.7)  # period, dot radius
TWILL = (3.4, 1.3)  # the fine diagonal weave of a contrast lining

PATTERNS = ("pinstripe", "bengal", "gingham", "windowpane", "tattersall", "dots")


def _stripes(u: np.ndarray, period: float, width: float) -> np.ndarray:
    """Coverage of stripes of `width` every `period` along coordinate u (pixels)."""
    d = np.abs(np.mod(u + period / 2, period) - period / 2)
    return np.clip(width / 2 + 0.5 - d, 0.0, 1.0) * min(1.0, width + 0.35)


def _dots(u: np.ndarray, v: np.ndarray, period: float, radius: float) -> np.ndarray:
    """Coverage of round dots on a staggered (half-drop) grid."""
    row = np.floor(v / period + 0.5)
    uu = u + (np.mod(row, 2) * period / 2)
    du = np.mod(uu + period / 2, period) - period / 2
    dv = np.mod(v + period / 2, period) - period / 2
    d = np.sqrt(du * du + dv * dv)
    return np.clip(radius + 0.5 - d, 0.0, 1.0)


def pattern_inks(pattern: str, shape: tuple[int, int], scale: float, angle_deg: float,
                 origin: tuple[int, int] = (0, 0)) -> list[np.ndarray]:
    """Ink coverage masks (float32, 0…1) for a window of `shape` (h, w) at `origin`.

    Coordinates are absolute, so windows of the same angle line up; the pattern is
    rotated by `angle_deg` so sleeves and cuffs can follow the cloth.
    """
    h, w = shape
    a = math.radians(angle_deg)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    xs += 0.5 + origin[0]
    ys += 0.5 + origin[1]
    u = xs * math.cos(a) + ys * math.sin(a)
    v = -xs * math.sin(a) + ys * math.cos(a)

    def s(value: float) -> float:
        return value * scale

    if pattern == "pinstripe":
        return [_stripes(u, s(PINSTRIPE[0]), s(PINSTRIPE[1])) * 0.8]
    if pattern == "bengal":
        return [_stripes(u, s(BENGAL[0]), s(BENGAL[1])) * 0.9]
    if pattern == "gingham":
        p, t = s(GINGHAM[0]), s(GINGHAM[1])
        return [(_stripes(u, p, t) + _stripes(v, p, t)) * 0.5]
    if pattern == "windowpane":
        p, t = s(WINDOWPANE[0]), s(WINDOWPANE[1])
        return [np.maximum(_stripes(u, p, t), _stripes(v, p, t))]
    if pattern == "tattersall":
        p, t = s(TATTERSALL[0]), s(TATTERSALL[1])
        first = np.maximum(_stripes(u, p, t), _stripes(v, p, t))
        second = np.maximum(_stripes(u + p / 2, p, t), _stripes(v + p / 2, p, t))
        return [first, second * (1 - first)]
    if pattern == "twill":
        return [_stripes((u + v) * math.sqrt(0.5), s(TWILL[0]), s(TWILL[1])) * 0.6]
    if pattern == "dots":
        return [_dots(u, v, s(DOTS[0]), s(DOTS[1]))]
    return []


def twill_ink(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """The shadowed thread of a twill weave: the cloth's own colour, a little deeper."""
    return tuple(round(c * 0.8) for c in rgb)  # type: ignore[return-value]


def _luma(rgb: tuple[int, int, int]) -> float:
    r, g, b = (c / 255 for c in rgb)
    return 0.299 * r + 0.587 * g + 0.114 * b


def is_dark(rgb: tuple[int, int, int]) -> bool:
    return _luma(rgb) < 0.5


@cache
def ink_colours(fabric: tuple[int, int, int]) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The thread colours a pattern is woven in, chosen to suit the ground colour.

    Light grounds get a deeper shade of their own hue (classic blue for whites and
    greys); dark grounds get a pale thread. The second ink serves two-colour checks.
    """
    r, g, b = (c / 255 for c in fabric)
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    if is_dark(fabric):
        first = tuple(round(c + (255 - c) * 0.62) for c in fabric)
        second = (214, 180, 108)
    else:
        if s < 0.12:
            first = (58, 90, 150)
        else:
            rr, gg, bb = colorsys.hsv_to_rgb(h, min(1.0, s * 1.8 + 0.3), v * 0.55)
            first = (round(rr * 255), round(gg * 255), round(bb * 255))
        second = (150, 52, 52)
    return first, second  # type: ignore[return-value]


def hex_rgb(text: str) -> tuple[int, int, int]:
    text = text.lstrip("#")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))

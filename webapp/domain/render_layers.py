"""Cached building blocks of the shirt preview: masks, shading and trims per garment part.

Each builder depends only on the few attributes that shape its part (the collar layer
knows nothing of the fit, the body knows nothing of the collar), so the caches stay
small and a new design mostly reuses parts it has already built. What is cached is
colour-free wherever possible: a mask is pasted with the fabric colour at request time,
and shading is black/white with alpha, which darkens or lightens any colour alike.

Masks are drawn supersampled and reduced once, which anti-aliases every edge. Cached
layers are cropped to their bounding box so compositing touches few pixels.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, ParamSpec, TypeVar, cast

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import render_geometry as g
from .render_pattern import pattern_inks

SIZES = {"full": (600, 800), "thumb": (240, 320)}
SUPERSAMPLE = {"full": 3, "thumb": 4}

SHADOW_RGB = (22, 24, 32)  # a slightly cool black reads as shade, not dirt
BACKGROUND_TOP = (238, 236, 232)
BACKGROUND_BOTTOM = (222, 219, 214)
FLOOR_SHADOW_RGB = (70, 64, 58)
STITCH_DARK = 0.30  # tone-on-tone stitching: darken and lighten the same pixels, so the
STITCH_LIGHT = 0.17  # thread reads as a mid tone on white and on navy cloth alike
OUTLINE_DARK = 0.34

Array = np.ndarray
Points = list[g.Point]
_P = ParamSpec("_P")
_R = TypeVar("_R")

# full-frame intermediates kept while parts are built (24 MB: no slower than unbounded)
WORK_CACHE_BYTES = 24 * 1024 * 1024


# finished parts per process (all of the shirt's: 65 MB); PARTS.set_budget() changes it
PART_CACHE_BYTES = 80 * 1024 * 1024


def _nbytes(value: object) -> int:
    """Approximate memory held by a cached value: pixels and array buffers dominate."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, Image.Image):
        return value.width * value.height * len(value.getbands())
    if isinstance(value, Piece):
        return _nbytes(value.image)
    if isinstance(value, (tuple, list)):
        return 64 + sum(_nbytes(item) for item in value)
    if isinstance(value, dict):
        return 64 + sum(_nbytes(item) for item in value.values())
    return 64


class PartCache:
    """One LRU for every part builder, bounded in bytes, shared by the threads of a process.

    Parts are pure functions of their arguments, so an evicted part is rebuilt identical;
    the budget only trades memory for the time to rebuild it.
    """

    def __init__(self, budget: int):
        self.budget = budget
        self.bytes = 0
        self._data: OrderedDict[tuple[Any, ...], tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()

    def wrap(self, fn: Callable[_P, _R]) -> Callable[_P, _R]:
        @wraps(fn)
        def cached(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            key = (fn.__name__, args, tuple(sorted(kwargs.items())))
            with self._lock:
                hit = self._data.get(key)
                if hit is not None:
                    self._data.move_to_end(key)
                    return cast(_R, hit[0])  # stored by this wrapper from fn's own result
            value = fn(*args, **kwargs)
            size = _nbytes(value)
            with self._lock:
                if key not in self._data:
                    self._data[key] = (value, size)
                    self.bytes += size
                    self._evict()
            return value

        cached.cache_clear = self.clear  # type: ignore[attr-defined]
        return cached

    def _evict(self) -> None:
        while self.bytes > self.budget and len(self._data) > 1:
            _key, (_value, size) = self._data.popitem(last=False)
            self.bytes -= size

    def set_budget(self, budget: int) -> None:
        with self._lock:
            self.budget = budget
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._data)


PARTS = PartCache(PART_CACHE_BYTES)


def part_cache(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Cache a finished, cropped layer: few parts recur across designs, and the budget bounds them."""
    return PARTS.wrap(fn)


WORK = PartCache(WORK_CACHE_BYTES)


def work_cache(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Cache a full-frame intermediate array briefly; it is rebuilt if ever needed again."""
    return WORK.wrap(fn)


@dataclass(frozen=True)
class Piece:
    """A cropped layer: an "L" mask (pasted with a colour) or an "RGBA" image."""

    image: Image.Image
    box: tuple[int, int, int, int]


def scale_of(size: str) -> float:
    return SIZES[size][0] / g.FRAME[0]


def shape_of(size: str) -> tuple[int, int]:
    w, h = SIZES[size]
    return (h, w)


# --- drawing helpers --------------------------------------------------------------------


class Sketch:
    """An L-mode drawing surface in design units, supersampled for anti-aliasing."""

    def __init__(self, size: str):
        self.ss = SUPERSAMPLE[size]
        self.k = scale_of(size) * self.ss
        w, h = SIZES[size]
        self.img = Image.new("L", (w * self.ss, h * self.ss), 0)
        self.draw = ImageDraw.Draw(self.img)

    def _pts(self, points: Points) -> list[g.Point]:
        k = self.k
        return [(x * k, y * k) for x, y in points]

    def polygon(self, points: Points, fill: int = 255) -> Sketch:
        self.draw.polygon(self._pts(points), fill=fill)
        return self

    def line(self, points: Points, width: float, fill: int = 255) -> Sketch:
        w = max(1, round(width * self.k))
        self.draw.line(self._pts(points), fill=fill, width=w, joint="curve")
        return self

    def dashes(self, points: Points, width: float, dash: float = 3.4, gap: float = 2.4, fill: int = 255) -> Sketch:
        for seg in g.dashed(points, dash, gap):
            self.line(seg, width, fill)
        return self

    def ellipse(self, e: tuple[float, float, float, float], fill: int = 255) -> Sketch:
        cx, cy, rx, ry = e
        k = self.k
        self.draw.ellipse(((cx - rx) * k, (cy - ry) * k, (cx + rx) * k, (cy + ry) * k), fill=fill)
        return self

    def array(self) -> Array:
        return np.asarray(self.img.reduce(self.ss), dtype=np.float32) / 255.0


def blur(arr: Array, radius: float, size: str) -> Array:
    """Gaussian blur of a 0…1 array; radius in design units."""
    r = radius * scale_of(size)
    if r < 0.3:
        return arr
    im = Image.fromarray(np.clip(arr * 255 + 0.5, 0, 255).astype(np.uint8), "L")
    return np.asarray(im.filter(ImageFilter.GaussianBlur(r)), dtype=np.float32) / 255.0


def shift(arr: Array, dx: float, dy: float, size: str) -> Array:
    """Translate an array by (dx, dy) design units, filling with zeros."""
    s = scale_of(size)
    ix, iy = round(dx * s), round(dy * s)
    out = np.zeros_like(arr)
    h, w = arr.shape
    src = arr[max(0, -iy):h - max(0, iy), max(0, -ix):w - max(0, ix)]
    out[max(0, iy):max(0, iy) + src.shape[0], max(0, ix):max(0, ix) + src.shape[1]] = src
    return out


def erode(arr: Array, radius_px: int) -> Array:
    """Grey-level erosion by a square of the given pixel radius (separable running min).

    Plain numpy: Pillow's MinFilter is a general rank filter and far slower on a frame.
    """
    if radius_px <= 0:
        return arr
    across = arr.copy()
    for d in range(1, radius_px + 1):
        np.minimum(across[:, d:], arr[:, :-d], out=across[:, d:])
        np.minimum(across[:, :-d], arr[:, d:], out=across[:, :-d])
        across[:, :d] = 0
        across[:, -d:] = 0
    out = across.copy()
    for d in range(1, radius_px + 1):
        np.minimum(out[d:], across[:-d], out=out[d:])
        np.minimum(out[:-d], across[d:], out=out[:-d])
        out[:d] = 0
        out[-d:] = 0
    return out


def edge(arr: Array, size: str, width: float = 1.0) -> Array:
    """A thin anti-aliased outline just inside a mask's edge."""
    outline: Array = np.clip(arr - erode(arr, max(1, round(width * scale_of(size) * 1.4))), 0, 1)
    return outline


def cylinder(mask: Array, lit_at: float = 0.34, dark: float = 0.30, light: float = 0.14,
             power: float = 1.8) -> tuple[Array, Array]:
    """Shade a part as a cylinder lit from the upper left.

    For every row the part's own left and right edges are found, so the shading follows
    the silhouette (a tapered waist stays round). Returns (dark, light) arrays.
    """
    inside = mask > 0.5
    h, w = mask.shape
    rows = np.asarray(inside.any(axis=1))  # one flag per row (asarray: numpy types any() as scalar-or-array)
    left = inside.argmax(axis=1)
    right = w - 1 - inside[:, ::-1].argmax(axis=1)
    width = np.maximum(right - left, 1).astype(np.float32)
    t = (np.arange(w, dtype=np.float32)[None, :] - left[:, None]) / width[:, None]
    t = np.clip(t, 0.0, 1.0)
    away = np.where(t < lit_at, (lit_at - t) / lit_at, (t - lit_at) / (1 - lit_at))
    d = dark * away ** power
    li = light * np.clip(1 - np.abs(t - lit_at) / 0.26, 0, 1) ** 2
    keep = mask * rows[:, None]
    return d * keep, li * keep


class Shade:
    """Accumulates darkening and lightening for one part, then bakes an RGBA layer."""

    def __init__(self, size: str):
        self.size = size
        self.dark: Array = np.zeros(shape_of(size), np.float32)
        self.light: Array = np.zeros(shape_of(size), np.float32)

    def darken(self, arr: Array, amount: float = 1.0) -> Shade:
        self.dark = self.dark + arr * amount
        return self

    def lighten(self, arr: Array, amount: float = 1.0) -> Shade:
        self.light = self.light + arr * amount
        return self

    def stitch(self, arr: Array, amount: float = 1.0) -> Shade:
        """Thread lines that stay visible on pale and on dark cloth."""
        return self.darken(arr, STITCH_DARK * amount).lighten(arr, STITCH_LIGHT * amount)

    def clip(self, mask: Array) -> Shade:
        self.dark *= mask
        self.light *= mask
        return self

    def piece(self) -> Piece | None:
        d = np.clip(self.dark, 0, 0.92)
        li = np.clip(self.light, 0, 0.6)
        alpha = np.clip(d + li, 0, 1)
        share = np.where(alpha > 0, li / np.maximum(alpha, 1e-6), 0)
        rgba = np.empty(alpha.shape + (4,), np.float32)
        for i, c in enumerate(SHADOW_RGB):
            rgba[..., i] = c + (255 - c) * share
        rgba[..., 3] = alpha * 255
        return rgba_piece(rgba)


def mask_piece(arr: Array) -> Piece | None:
    im = Image.fromarray(np.clip(arr * 255 + 0.5, 0, 255).astype(np.uint8), "L")
    box = im.getbbox()
    if box is None:
        return None
    return Piece(im.crop(box), box)


def rgba_piece(rgba: Array) -> Piece | None:
    im = Image.fromarray(np.clip(rgba + 0.5, 0, 255).astype(np.uint8), "RGBA")
    box = im.getchannel("A").getbbox()
    if box is None:
        return None
    return Piece(im.crop(box), box)


# --- background and floor shadow --------------------------------------------------------


@part_cache
def background(size: str) -> Image.Image:
    """A soft studio backdrop: a vertical gradient with a gentle glow behind the shirt."""
    h, w = shape_of(size)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    top, bottom = np.array(BACKGROUND_TOP, np.float32), np.array(BACKGROUND_BOTTOM, np.float32)
    base = top[None, None, :] * (1 - y[..., None]) + bottom[None, None, :] * y[..., None]
    glow = np.exp(-((x * 1.1) ** 2 + ((y - 0.42) * 1.6) ** 2))[..., None]
    rgb = base + glow * 5.0 - (1 - glow) * 3.0
    return Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8), "RGB")


@part_cache
def floor_shadow(size: str, fit: str, hem: str, short: bool) -> Piece | None:
    """The soft shadow the garment throws on the backdrop, for depth."""
    sil = np.maximum(body_array(size, fit, hem), sleeves_array(size, fit, short))
    if not short:
        sil = np.maximum(sil, cuffs_array(size, fit, "one_button"))
    soft = blur(shift(sil, 7, 12, size), 14, size) * 0.30
    contact = blur(shift(sil, 1.5, 3, size), 3, size) * 0.22
    return mask_piece(np.clip(soft + contact, 0, 1) * (1 - sil))


# --- body -------------------------------------------------------------------------------


@work_cache
def body_array(size: str, fit: str, hem: str) -> Array:
    return Sketch(size).polygon(g.body_outline(fit, hem)).array()


@part_cache
def body_mask(size: str, fit: str, hem: str) -> Piece | None:
    return mask_piece(body_array(size, fit, hem))


@part_cache
def body_shade(size: str, fit: str, hem: str) -> Piece | None:
    """Volume, seams, hem stitching and a few drape folds of the front body."""
    m = body_array(size, fit, hem)
    sh = Shade(size)
    dark, light = cylinder(m, dark=0.26, light=0.10)
    sh.darken(dark).lighten(light)
    h = shape_of(size)[0]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    sh.darken(m * np.clip((y - 0.3) * 0.10, 0, 0.06))
    sh.darken(edge(m, size, 1.0), OUTLINE_DARK)

    hem_line = g.offset_y(g.hem_curve(fit, hem), -7)
    stitches = Sketch(size).dashes(hem_line, 0.9).dashes(g.mirror(hem_line), 0.9)
    seam = Sketch(size).line(g.yoke_seam(fit), 1.0).line(g.mirror(g.yoke_seam(fit)), 1.0)
    sh.stitch(stitches.array()).darken(seam.array(), 0.22)
    sh.lighten(shift(seam.array(), 0, 1.5, size), 0.10)
    hem_lines = Sketch(size).line(g.hem_curve(fit, hem), 6).line(g.mirror(g.hem_curve(fit, hem)), 6)
    hem_shadow = blur(hem_lines.array(), 3, size)
    sh.darken(hem_shadow, 0.10)

    f = g.FITS[fit]
    folds = Sketch(size)
    relax = 1.6 if fit == "relaxed" else 1.0 if fit == "regular" else 0.6
    for side in (1, -1):
        def p(x: float, y: float, side: int = side) -> g.Point:
            return (g.CX - side * x, y)
        # drag lines from the armpit towards the chest, and blousing at the waist
        folds.line([p(f.chest - 6, 276), p(f.chest - 40, 300), p(f.chest - 70, 312)], 3)
        folds.line([p(f.waist - 4, g.WAIST_Y + 20), p(f.waist - 40, g.WAIST_Y + 34),
                    p(f.waist - 70, g.WAIST_Y + 38)], 4)
        folds.line([p(f.waist + 2, g.WAIST_Y + 80), p(f.waist - 30, g.WAIST_Y + 92)], 3)
    fold = blur(folds.array(), 6, size) * m
    sh.darken(fold, 0.16 * relax).lighten(shift(fold, 0, -5, size), 0.10 * relax)
    return sh.clip(m).piece()


# --- sleeves ----------------------------------------------------------------------------


@work_cache
def sleeve_pair(size: str, fit: str, short: bool) -> tuple[Array, Array]:
    """(left, right) sleeve masks."""
    outline = g.sleeve_outline(fit, short)
    left = Sketch(size).polygon(outline).array()
    right = Sketch(size).polygon(g.mirror(outline)).array()
    return left, right


@work_cache
def sleeves_array(size: str, fit: str, short: bool) -> Array:
    left, right = sleeve_pair(size, fit, short)
    both: Array = np.maximum(left, right)
    return both


@part_cache
def sleeves_mask(size: str, fit: str, short: bool) -> Piece | None:
    return mask_piece(sleeves_array(size, fit, short))


@part_cache
def sleeves_shade(size: str, fit: str, short: bool) -> Piece | None:
    """Roundness of the arms, elbow creases, gathers above the cuff, the armhole seam and
    the shadow each sleeve casts on the body."""
    left, right = sleeve_pair(size, fit, short)
    both = np.maximum(left, right)
    sh = Shade(size)
    for m in (left, right):
        dark, light = cylinder(m, dark=0.30, light=0.13)
        sh.darken(dark).lighten(light)
    sh.darken(edge(both, size, 1.0), OUTLINE_DARK)

    fr = g.sleeve_frame(fit, short)
    seam = Sketch(size).line(g.armhole(fit), 1.1).line(g.mirror(g.armhole(fit)), 1.1).array()
    sh.darken(seam, 0.30).lighten(shift(seam, -1.5, 0, size) * both, 0.16)
    creases = Sketch(size)
    if short:
        a = g.add(fr.end, fr.out, fr.width / 2)
        b = g.add(fr.end, fr.out, -fr.width / 2)
        hem = [g.add(a, fr.down, -10), g.add(g.lerp(a, b, 0.5), fr.down, -4), g.add(b, fr.down, -10)]
        stitch = Sketch(size).dashes(hem, 0.9).dashes(g.mirror(hem), 0.9).array()
        sh.stitch(stitch)
        creases.line([g.add(g.lerp(a, b, 0.3), fr.down, -36), g.add(g.lerp(a, b, 0.45), fr.down, -14)], 3)
    else:
        w = fr.width
        for t in (0.25, 0.55, 0.8):  # gathers where the sleeve is pleated into the cuff
            base = g.add(fr.end, fr.out, w * (0.5 - t))
            creases.line([g.add(base, fr.down, -40), g.add(base, fr.down, -4)], 2.4)
        elbow = g.add(fr.end, fr.down, -180)
        creases.line([g.add(elbow, fr.out, w * 0.5), g.add(g.add(elbow, fr.out, -w * 0.1), fr.down, 22)], 4)
        creases.line([g.add(g.add(elbow, fr.down, 46), fr.out, w * 0.45),
                      g.add(g.add(elbow, fr.down, 62), fr.out, -w * 0.2)], 3.5)
    c = creases.array()
    c = np.maximum(c, mirror_array(c))
    crease = blur(c, 4, size) * both
    sh.darken(crease, 0.20).lighten(shift(crease, -3, -3, size) * both, 0.12)
    if not short:
        gather = blur(Sketch(size).line([g.add(fr.end, fr.out, fr.width / 2 + 2),
                                         g.add(fr.end, fr.out, -fr.width / 2 - 2)], 6).array(), 4, size)
        sh.darken(np.maximum(gather, mirror_array(gather)) * both, 0.25)
    sh.clip(both)
    # the sleeve throws a soft shadow onto the side of the body
    body = body_array(size, fit, "curved")
    cast = blur(shift(left, 6, 4, size), 6, size) + blur(shift(right, -6, 4, size), 6, size)
    sh.darken(np.clip(cast, 0, 1) * body * (1 - both), 0.30)
    return sh.piece()


def mirror_array(arr: Array) -> Array:
    """Mirror an array about the centre front (the frame is centred on it)."""
    return arr[:, ::-1]


# --- cuffs ------------------------------------------------------------------------------


CUFF_CLOSURE = 0.34  # where the cuff's ends overlap, measured from its outer edge


@work_cache
def cuff_pair(size: str, fit: str, cuffs: str) -> tuple[Array, Array]:
    outline = g.cuff_outline(fit, cuffs)
    return Sketch(size).polygon(outline).array(), Sketch(size).polygon(g.mirror(outline)).array()


@work_cache
def cuffs_array(size: str, fit: str, cuffs: str) -> Array:
    left, right = cuff_pair(size, fit, cuffs)
    both: Array = np.maximum(left, right)
    return both


@part_cache
def cuffs_mask(size: str, fit: str, cuffs: str) -> Piece | None:
    if cuffs == "short_sleeve":
        return None
    return mask_piece(cuffs_array(size, fit, cuffs))


def _both_sides(sketch_fn: Callable[[Sketch, Callable[[list[g.Point]], list[g.Point]]], None], size: str) -> Array:
    """Draw a left-side detail and its mirror image into one array."""
    left = Sketch(size)
    sketch_fn(left, lambda pts: pts)
    right = Sketch(size)
    sketch_fn(right, g.mirror_each)
    both: Array = np.maximum(left.array(), right.array())
    return both


@part_cache
def cuffs_lining(size: str, fit: str, cuffs: str) -> Piece | None:
    """Where the inside of the cuff shows: a sliver along the opening and the closure.

    With short sleeves it is the inside of the sleeve opening instead.
    """
    if cuffs == "short_sleeve":
        fr = g.sleeve_frame(fit, True)
        left, right = sleeve_pair(size, fit, True)
        up = (-fr.down[0] * 4.5, -fr.down[1] * 4.5)
        band_l = left * (1 - shift(left, up[0], up[1], size))
        band_r = right * (1 - shift(right, -up[0], up[1], size))
        return mask_piece(np.clip(band_l + band_r, 0, 1))
    fr = g.sleeve_frame(fit, False)
    left, right = cuff_pair(size, fit, cuffs)
    dx, dy = fr.down[0] * 4.0, fr.down[1] * 4.0
    band = left * (1 - shift(left, -dx, -dy, size)) + right * (1 - shift(right, dx, -dy, size))

    def closure(s: Sketch, f: Callable[[list[g.Point]], list[g.Point]]) -> None:
        a = g.cuff_point(fit, cuffs, CUFF_CLOSURE, 0.06)
        b = g.cuff_point(fit, cuffs, CUFF_CLOSURE, 0.97)
        s.polygon(f([a, b, g.add(b, fr.out, -1.8), g.add(a, fr.out, -1.8)]))
    cl = _both_sides(closure, size) * cuffs_array(size, fit, cuffs)
    return mask_piece(np.clip(band + cl, 0, 1))


@part_cache
def cuffs_shade(size: str, fit: str, cuffs: str) -> Piece | None:
    """Outline, edge stitching, roundness and the closure of each cuff."""
    if cuffs == "short_sleeve":
        return None
    left, right = cuff_pair(size, fit, cuffs)
    both = np.maximum(left, right)
    fr = g.sleeve_frame(fit, False)
    sh = Shade(size)
    for m in (left, right):
        d, li = cylinder(m, dark=0.26, light=0.16, lit_at=0.3)
        sh.darken(d).lighten(li)
    sh.darken(edge(both, size, 1.0), OUTLINE_DARK + 0.08)
    inner = edge(_erode(both, 4.0, size), size, 0.7)
    sh.stitch(inner * _dash_field(size))

    def details(s: Sketch, f: Callable[[list[g.Point]], list[g.Point]]) -> None:
        a = g.cuff_point(fit, cuffs, CUFF_CLOSURE, 0.02)
        b = g.cuff_point(fit, cuffs, CUFF_CLOSURE, 0.98)
        s.line(f([a, b]), 1.4)
        if cuffs == "french":
            # the turned-back edge of the folded cuff
            s.line(f([g.cuff_point(fit, cuffs, 0.0, 0.16), g.cuff_point(fit, cuffs, 1.0, 0.16)]), 1.1)
            s.line(f([g.cuff_point(fit, cuffs, CUFF_CLOSURE + 0.06, 0.02),
                      g.cuff_point(fit, cuffs, CUFF_CLOSURE + 0.06, 0.98)]), 1.2)
    det = _both_sides(details, size)
    sh.darken(det, 0.42)
    sh.darken(blur(shift(det, -fr.out[0] * 2, 0, size), 2.5, size) * both, 0.18)
    sh.lighten(both * (1 - shift(both, 1.5, 1.5, size)), 0.22)  # rim light on the upper edges
    sh.clip(both)
    # the sleeve gathers into the cuff: a soft shadow just above it
    above = blur(shift(both, 0, -2, size), 4, size) * (1 - both) * sleeves_array(size, fit, False)
    sh.darken(above, 0.22)
    return sh.piece()


def _erode(arr: Array, amount: float, size: str) -> Array:
    """Shrink a mask by `amount` design units (to run stitching inside an edge)."""
    return erode(arr, max(1, round(amount * scale_of(size))))


@part_cache
def _dash_field(size: str) -> Array:
    """A diagonal on/off field that turns a continuous line into stitches."""
    h, w = shape_of(size)
    s = scale_of(size)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    period = 5.5 * s
    a = np.mod(xs + ys, period) < period * 0.6
    b = np.mod(xs - ys, period) < period * 0.6
    field: Array = (a & b).astype(np.float32)
    return field


# --- buttons ----------------------------------------------------------------------------


@part_cache
def button_sprite(size: str, rgb: tuple[int, int, int], radius: float = g.BUTTON_R) -> Array:
    """One shirt button as an RGBA float array: shaded disc, rim, four holes, shadow."""
    s = scale_of(size)
    r = radius * s
    n = int(math.ceil(r * 2 + 6))
    c = n / 2
    ys, xs = np.mgrid[0:n, 0:n].astype(np.float32) + 0.5
    dx, dy = xs - c, ys - c
    d = np.sqrt(dx * dx + dy * dy)
    disc = np.clip(r + 0.5 - d, 0, 1)
    sd = np.sqrt((dx - 0.5 * s) ** 2 + (dy - 1.2 * s) ** 2)
    shadow = np.clip((r + 1.4 * s - sd) / (1.6 * s + 0.5), 0, 1) * 0.45
    base = np.array(rgb, np.float32)
    lum = 1.0 - 0.16 * (dy / max(r, 1)) - 0.05 * (dx / max(r, 1))
    rim = np.clip((d - r * 0.62) / (r * 0.2), 0, 1) * np.clip((r - d) / (r * 0.25) + 0.5, 0, 1)
    lum = lum - 0.12 * rim
    col = base[None, None, :] * lum[..., None]
    if r >= 3.5:
        hole_r = r * 0.13
        for hx, hy in ((-1, -1), (1, -1), (-1, 1), (1, 1)):
            hd = np.sqrt((dx - hx * r * 0.24) ** 2 + (dy - hy * r * 0.24) ** 2)
            hole = np.clip(hole_r + 0.5 - hd, 0, 1)
            col = col * (1 - 0.55 * hole[..., None])
    spec = np.clip(1 - np.sqrt((dx + r * 0.35) ** 2 + (dy + r * 0.4) ** 2) / (r * 0.45), 0, 1) ** 2
    col = col + (255 - col) * (0.45 * spec)[..., None]
    shadow_rgb = np.array(SHADOW_RGB, np.float32)
    a = disc + shadow * (1 - disc)
    out_rgb = (col * disc[..., None] + shadow_rgb * (shadow * (1 - disc))[..., None]) / np.maximum(a, 1e-6)[..., None]
    return np.concatenate([out_rgb, (a * 255)[..., None]], axis=2)


class Trim:
    """An RGBA layer of small sprites (buttons, cufflinks) over a transparent frame."""

    def __init__(self, size: str):
        self.size = size
        self.rgba = np.zeros(shape_of(size) + (4,), np.float32)

    def put(self, sprite: Array, at: g.Point, clip: Array | None = None) -> Trim:
        s = scale_of(self.size)
        n = sprite.shape[0]
        x0 = int(round(at[0] * s - n / 2))
        y0 = int(round(at[1] * s - n / 2))
        h, w = self.rgba.shape[:2]
        xa, ya = max(0, x0), max(0, y0)
        xb, yb = min(w, x0 + n), min(h, y0 + n)
        if xa >= xb or ya >= yb:
            return self
        src = sprite[ya - y0:yb - y0, xa - x0:xb - x0].copy()
        if clip is not None:
            src[..., 3] *= clip[ya:yb, xa:xb]
        dst = self.rgba[ya:yb, xa:xb]
        sa = src[..., 3:4] / 255
        da = dst[..., 3:4] / 255
        oa = sa + da * (1 - sa)
        dst[..., :3] = (src[..., :3] * sa + dst[..., :3] * da * (1 - sa)) / np.maximum(oa, 1e-6)
        dst[..., 3:4] = oa * 255
        return self

    def piece(self) -> Piece | None:
        return rgba_piece(self.rgba)


@part_cache
def cufflink_sprite(size: str) -> Array:
    """A small oval gold cufflink face."""
    return button_sprite(size, (201, 163, 84), g.BUTTON_R * 1.15)


@part_cache
def cuffs_trim(size: str, fit: str, cuffs: str, button_rgb: tuple[int, int, int]) -> Piece | None:
    if cuffs == "short_sleeve":
        return None
    trim = Trim(size)
    if cuffs == "french":
        spots = [(CUFF_CLOSURE + 0.03, 0.55)]
        sprite = cufflink_sprite(size)
    else:
        spots = [(0.085, 0.52), (0.255, 0.52)] if cuffs == "two_button" else [(0.17, 0.52)]
        sprite = button_sprite(size, button_rgb, g.BUTTON_R * (0.8 if cuffs == "two_button" else 0.9))
    for across, along in spots:
        p = g.cuff_point(fit, cuffs, across, along)
        trim.put(sprite, p).put(sprite, g.mirror_each([p])[0])
    return trim.piece()


# --- collar -----------------------------------------------------------------------------


@work_cache
def collar_parts(size: str, collar: str) -> dict[str, Array]:
    """The collar's regions: leaves, band front, opening, lining crescent, interior."""
    c = g.COLLARS[collar]
    opening = Sketch(size).ellipse(g.NECK_OPENING).array()
    back_edge = Sketch(size).ellipse(g.BAND_BACK_EDGE).array()
    band = Sketch(size).polygon(g.collar_band(collar)).array()
    leaves = np.zeros_like(band)
    if c.leaves:
        leaves = Sketch(size).polygon(g.collar_leaf(collar)).array()
    if collar == "wing":
        wing = g.wing_tip()
        leaves = Sketch(size).polygon(wing).polygon(g.mirror(wing)).array()
    if collar == "tab":
        leaves = np.maximum(leaves, Sketch(size).polygon(g.collar_tab()).array())
    return {
        "opening": opening,
        "lining": np.clip(opening - back_edge, 0, 1),
        "interior": opening * back_edge,
        "band": np.clip(band - opening, 0, 1),
        "leaves": np.clip(leaves - opening, 0, 1),
    }


@work_cache
def collar_array(size: str, collar: str) -> Array:
    p = collar_parts(size, collar)
    both: Array = np.maximum(p["band"], p["leaves"])
    return both


@part_cache
def collar_mask(size: str, collar: str) -> Piece | None:
    return mask_piece(collar_array(size, collar))


@part_cache
def collar_lining(size: str, collar: str) -> Piece | None:
    """The inside of the collar band, seen through the neck opening."""
    return mask_piece(collar_parts(size, collar)["lining"])


@part_cache
def collar_shade(size: str, collar: str) -> Piece | None:
    """Depth of the neck opening, collar edges and stitching, and the collar's shadow."""
    p = collar_parts(size, collar)
    c = g.COLLARS[collar]
    whole = collar_array(size, collar)
    sh = Shade(size)
    h = shape_of(size)[0]
    s = scale_of(size)
    y = (np.arange(h, dtype=np.float32)[:, None] / s)
    # the neck opening: dark inside, the band's inner face shaded towards the bottom
    sh.darken(p["interior"], 0.62)
    sh.darken(p["lining"] * np.clip((y - 90) / 24, 0, 1), 0.30)
    sh.darken(blur(p["interior"], 2, size) * p["lining"], 0.25)
    sh.darken(edge(p["opening"], size, 0.8), 0.35)
    # the collar throws a shadow onto the shoulders and the placket
    cast = blur(shift(whole, 2, 6, size), 5, size) * (1 - whole) * (1 - p["opening"])
    sh.darken(cast, 0.42)
    # band: darker under the leaves, a seam at its lower edge
    under = blur(shift(p["leaves"], 0, 3, size), 3, size) * p["band"] * (1 - p["leaves"])
    sh.darken(under, 0.30)
    sh.darken(p["band"], 0.05)
    # leaves: outline, roll highlight, edge stitching, soft gradient towards the points
    sh.darken(edge(whole, size, 1.0), OUTLINE_DARK + 0.06)
    if c.leaves or collar == "wing":
        sh.darken(edge(p["leaves"], size, 1.0) * (1 - edge(whole, size, 1.0)), 0.30)
        stitch = edge(_erode(p["leaves"], 4.5, size), size, 0.6) * _dash_field(size)
        sh.stitch(stitch * p["leaves"])
        sh.darken(p["leaves"] * np.clip((y - 130) / 120, 0, 1), 0.10)
    roll = blur(Sketch(size).line(g.ellipse_arc(g.NECK_OPENING, 200, 340, 20), 3).array(), 1.5, size)
    sh.lighten(roll * whole, 0.22)
    # a rim of light on the upper edges keeps a dark collar distinct from the dark body
    sh.lighten(whole * (1 - shift(whole, 1.5, 1.5, size)), 0.22)
    sh.lighten(p["leaves"] * (1 - shift(p["leaves"], 1.5, 1.5, size)), 0.12)
    stitch_band = edge(_erode(p["band"], 4.0, size), size, 0.6) * _dash_field(size)
    sh.stitch(stitch_band * p["band"] * (1 - p["leaves"]), 0.8)
    if collar == "band":
        notch = Sketch(size).line([(g.CX, 124), (g.CX, 150)], 1.3).array()
        sh.darken(notch * p["band"], 0.45)
    return sh.piece()


@part_cache
def collar_trim(size: str, collar: str, button_rgb: tuple[int, int, int]) -> Piece | None:
    """The top button on the band (hidden where the leaves cover it) and collar buttons."""
    p = collar_parts(size, collar)
    trim = Trim(size)
    small = button_sprite(size, button_rgb, g.BUTTON_R * 0.72)
    if collar in ("band", "wing"):
        trim.put(small, (g.CX, g.TOP_BUTTON_Y + 2))
    elif collar in ("cutaway", "spread"):
        trim.put(small, (g.CX, g.TOP_BUTTON_Y + 2), clip=1 - p["leaves"])
    if collar == "button_down":
        tip = g.collar_tip_button(collar)
        trim.put(small, tip).put(small, g.mirror_each([tip])[0])
    if collar == "tab":
        trim.put(button_sprite(size, button_rgb, g.BUTTON_R * 0.6), (g.CX, 164))
    return trim.piece()


# --- placket ----------------------------------------------------------------------------


def _placket_ys(hem: str) -> list[float]:
    bottom = g.HEMS[hem].centre_y
    return [y for y in g.PLACKET_BUTTON_YS if y < bottom - 24]


@part_cache
def placket_shade(size: str, placket: str, fit: str, hem: str) -> Piece | None:
    """The front opening: a stitched strip, a plain folded edge, or a fly front."""
    body = body_array(size, fit, hem)
    bottom = g.HEMS[hem].centre_y + 4
    top = g.PLACKET_TOP
    half = g.PLACKET_HALF
    sh = Shade(size)
    edges, stitches, holes = Sketch(size), Sketch(size), Sketch(size)
    if placket == "standard":
        for x in (g.CX - half, g.CX + half):
            edges.line([(x, top), (x, bottom)], 1.1)
        for x in (g.CX - half + 3.5, g.CX + half - 3.5):
            stitches.dashes([(x, top), (x, bottom)], 0.9)
        for y in _placket_ys(hem):
            holes.line([(g.CX, y - 7), (g.CX, y + 7)], 1.6)
        raised = Sketch(size).polygon([(g.CX + half, top), (g.CX + half + 4, top), (g.CX + half + 4, bottom),
                                       (g.CX + half, bottom)]).array()
        sh.darken(blur(raised, 2.5, size), 0.22)
        sh.lighten(Sketch(size).line([(g.CX - half + 1.2, top), (g.CX - half + 1.2, bottom)], 1.4).array(), 0.18)
    elif placket == "plain_front":
        edge_x = g.CX - 11
        edges.line([(edge_x, top), (edge_x, bottom)], 1.2)
        fold = Sketch(size).polygon([(edge_x - 5, top), (edge_x, top), (edge_x, bottom), (edge_x - 5, bottom)]).array()
        sh.darken(blur(fold, 2.5, size), 0.20)
        for y in _placket_ys(hem):
            holes.line([(g.CX, y - 7), (g.CX, y + 7)], 1.6)
    else:  # hidden: a fly front, one row of stitching and small tacks, no buttons showing
        edge_x = g.CX - 13
        edges.line([(edge_x, top), (edge_x, bottom)], 1.2)
        stitches.dashes([(g.CX + 12, top), (g.CX + 12, bottom - 10)], 0.9)
        ys = _placket_ys(hem)
        for a, b in zip(ys, ys[1:]):
            m = (a + b) / 2
            stitches.line([(g.CX + 5, m - 2), (g.CX + 12, m - 2)], 0.9)
        fold = Sketch(size).polygon([(edge_x - 6, top), (edge_x, top), (edge_x, bottom), (edge_x - 6, bottom)]).array()
        sh.darken(blur(fold, 3, size), 0.22)
        sh.lighten(Sketch(size).line([(edge_x + 2, top), (edge_x + 2, bottom)], 2).array(), 0.14)
    sh.darken(edges.array(), 0.38).stitch(stitches.array()).darken(holes.array(), 0.45)
    return sh.clip(body).piece()


@part_cache
def placket_lining(size: str, placket: str, fit: str, hem: str) -> Piece | None:
    """A sliver of the placket's inside showing along its folded edge."""
    body = body_array(size, fit, hem)
    bottom = g.HEMS[hem].centre_y
    x = {"standard": g.CX - g.PLACKET_HALF, "plain_front": g.CX - 11, "hidden": g.CX - 13}[placket]
    strip = Sketch(size).polygon([(x - 1.8, g.PLACKET_TOP), (x, g.PLACKET_TOP), (x, bottom), (x - 1.8, bottom)]).array()
    return mask_piece(strip * body)


@part_cache
def placket_trim(size: str, placket: str, hem: str, button_rgb: tuple[int, int, int]) -> Piece | None:
    if placket == "hidden":
        return None
    trim = Trim(size)
    sprite = button_sprite(size, button_rgb)
    for y in _placket_ys(hem):
        trim.put(sprite, (g.CX, y))
    return trim.piece()


# --- pocket -----------------------------------------------------------------------------


@part_cache
def pocket_shade(size: str, pocket: str) -> Piece | None:
    """A patch pocket: raised edge with a soft shadow, stitching, a top hem, maybe a flap."""
    sides = g.pocket_sides(pocket)
    if not sides:
        return None
    sh = Shade(size)
    flaps = Shade(size)
    cover = np.zeros(shape_of(size), np.float32)
    for side in sides:
        bag = Sketch(size).polygon(g.pocket_outline(pocket, side)).array()
        sh.darken(blur(shift(bag, 1.5, 3, size), 2.5, size) * (1 - bag), 0.35)
        sh.darken(edge(bag, size, 0.9), 0.42)
        sh.stitch(edge(_erode(bag, 3.2, size), size, 0.6) * _dash_field(size))
        x0, y0, x1, _ = g.POCKET_BOX
        if side == -1:
            x0, x1 = 2 * g.CX - x1, 2 * g.CX - x0
        hem_line = Sketch(size).line([(x0, y0 + 10), (x1, y0 + 10)], 0.9).array() * bag
        sh.stitch(hem_line * _dash_field(size))
        sh.lighten(bag * (1 - shift(bag, 1.2, 1.2, size)), 0.30)
        if pocket in ("flap", "two_flaps"):
            flap = Sketch(size).polygon(g.pocket_flap(side)).array()
            cover = np.maximum(cover, flap)
            flaps.darken(blur(shift(flap, 1, 3.5, size), 2.5, size) * (1 - flap), 0.40)
            flaps.darken(edge(flap, size, 0.9), 0.42)
            flaps.stitch(edge(_erode(flap, 3.2, size), size, 0.6) * _dash_field(size))
            flaps.lighten(flap * (1 - shift(flap, 1.2, 1.2, size)), 0.30)
    # the flap lies over the pocket bag: hide the bag's details under it
    sh.clip(1 - cover)
    sh.darken(flaps.dark).lighten(flaps.light)
    return sh.piece()


@part_cache
def pocket_trim(size: str, pocket: str, button_rgb: tuple[int, int, int]) -> Piece | None:
    if pocket not in ("flap", "two_flaps"):
        return None
    trim = Trim(size)
    sprite = button_sprite(size, button_rgb, g.BUTTON_R * 0.8)
    x0, y0, x1, _ = g.POCKET_BOX
    at = ((x0 + x1) / 2, y0 + 13)
    for side in g.pocket_sides(pocket):
        trim.put(sprite, at if side == 1 else g.mirror_each([at])[0])
    return trim.piece()


# --- monogram ---------------------------------------------------------------------------


MONOGRAM_PT = 15.0


@part_cache
def _font(px: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font (no system font files), loaded once per size."""
    return ImageFont.load_default(size=px)


def _embroider_diaereses(draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
                         middle: tuple[float, float], text: str, bases: str) -> None:
    """Two dots above every letter written with a diaeresis (Ä, Ö, Ü).

    The bundled font has only unaccented Latin letters; drawing the dots ourselves keeps the picture
    the same on every host, with no system font to install.
    """
    if "\u0308" not in unicodedata.normalize("NFD", text):
        return
    size = float(getattr(font, "size", 10))
    left = middle[0] - draw.textlength(bases, font=font) / 2
    top = draw.textbbox(middle, bases, font=font, anchor="mm")[1]
    radius, y = size * 0.075, top - size * 0.2
    for i, ch in enumerate(text):
        if "\u0308" not in unicodedata.normalize("NFD", ch):
            continue
        width = draw.textlength(bases[i], font=font)
        centre = left + draw.textlength(bases[:i], font=font) + width / 2
        for dx in (-width * 0.22, width * 0.22):
            draw.ellipse([centre + dx - radius, y - radius, centre + dx + radius, y + radius], fill=255)


@lru_cache(maxsize=512)
def monogram_masks(size: str, text: str) -> tuple[Piece | None, Piece | None]:
    """(thread, shadow) masks of embroidered initials on the chest above the pocket.

    Drawn on a small patch around the spot, since any initials may come in.
    """
    if not text:
        return None, None
    s = scale_of(size)
    font = _font(max(6.0, MONOGRAM_PT * s))
    spaced = " ".join(text) if size == "full" else text
    pw, ph = round(120 * s), round(40 * s)
    cx, cy = g.MONOGRAM_AT
    ox, oy = round(cx * s) - pw // 2, round(cy * s) - ph // 2
    im = Image.new("L", (pw, ph), 0)
    draw = ImageDraw.Draw(im)
    bases = "".join(unicodedata.normalize("NFD", ch)[0] for ch in spaced)
    draw.text((pw / 2, ph / 2), bases, font=font, fill=255, anchor="mm")
    _embroider_diaereses(draw, font, (pw / 2, ph / 2), spaced, bases)
    thread = np.asarray(im, dtype=np.float32) / 255
    # satin stitch: a touch bolder than the font, with a soft shadow below
    bold = np.asarray(im.filter(ImageFilter.MaxFilter(3)), dtype=np.float32) / 255 if size == "full" else thread
    sim = Image.fromarray((bold * 255).astype(np.uint8), "L").filter(ImageFilter.GaussianBlur(0.8 * s))
    shadow = np.zeros_like(bold)
    dy = max(1, round(1.2 * s))
    shadow[dy:] = (np.asarray(sim, dtype=np.float32) / 255)[:-dy]
    shadow = shadow * (1 - bold) * 0.55

    def placed(arr: Array) -> Piece | None:
        piece = mask_piece(arr)
        if piece is None:
            return None
        x0, y0, x1, y1 = piece.box
        return Piece(piece.image, (x0 + ox, y0 + oy, x1 + ox, y1 + oy))

    return placed(np.clip(thread * 0.6 + bold * 0.4, 0, 1)), placed(shadow)


# --- back view inset --------------------------------------------------------------------


def _inset(points: list[g.Point]) -> list[g.Point]:
    return [g.inset_transform(p) for p in points]


@part_cache
def inset_card(size: str) -> Piece | None:
    """The rounded card the back view sits on, with a soft shadow."""
    x0, y0, x1, y1 = g.INSET_BOX
    s = scale_of(size)
    card = Image.new("L", (SIZES[size][0] * 4, SIZES[size][1] * 4), 0)
    ImageDraw.Draw(card).rounded_rectangle([x0 * s * 4, y0 * s * 4, x1 * s * 4, y1 * s * 4], radius=12 * s * 4,
                                           fill=255)
    m = np.asarray(card.reduce(4), dtype=np.float32) / 255
    shadow = blur(shift(m, 0, 3, size), 5, size) * 0.22
    alpha = np.clip(m + shadow * (1 - m), 0, 1)
    rgba = np.zeros(m.shape + (4,), np.float32)
    fill = np.array((252, 251, 249), np.float32)
    border = edge(m, size, 0.8)
    col = fill[None, None, :] * (1 - 0.12 * border[..., None])
    floor = np.array(FLOOR_SHADOW_RGB, np.float32) * (shadow * (1 - m))[..., None]
    rgb = (col * m[..., None] + floor) / np.maximum(alpha, 1e-6)[..., None]
    rgba[..., :3] = rgb
    rgba[..., 3] = alpha * 255
    # No text on the card: the image is the same in every language (the page says it is the back view).
    return rgba_piece(rgba)


@work_cache
def inset_array(size: str, fit: str, hem: str, short: bool) -> Array:
    sk = Sketch(size)
    sleeve = g.sleeve_outline(fit, short)
    sk.polygon(_inset(sleeve)).polygon(_inset(g.mirror(sleeve)))
    if not short:
        cuff = g.cuff_outline(fit, "one_button")
        sk.polygon(_inset(cuff)).polygon(_inset(g.mirror(cuff)))
    sk.polygon(_inset(g.body_outline(fit, hem)))
    sk.polygon(_inset(g.back_collar()))
    return sk.array()


@part_cache
def inset_mask(size: str, fit: str, hem: str, short: bool) -> Piece | None:
    return mask_piece(inset_array(size, fit, hem, short))


@part_cache
def inset_shade(size: str, fit: str, hem: str, short: bool, back: str) -> Piece | None:
    """The back view: yoke seam, collar, and the pleats or darts that set the backs apart.

    Line widths here are in pixels of the full preview: the inset is small.
    """
    m = inset_array(size, fit, hem, short)
    sh = Shade(size)
    d, li = cylinder(m, dark=0.22, light=0.10)
    sh.darken(d).lighten(li)
    sh.darken(edge(m, size, 0.7), 0.45)
    seams = Sketch(size)
    seams.line(_inset(g.back_yoke(fit)), 1.0)
    collar_foot = g.bezier((g.CX - 70, 132), (g.CX - 40, 122), (g.CX + 40, 122), (g.CX + 70, 132), 12)
    seams.line(_inset(collar_foot), 1.0)
    sleeve = g.armhole(fit)
    seams.line(_inset(sleeve), 0.8).line(_inset(g.mirror(sleeve)), 0.8)
    collar = Sketch(size).polygon(_inset(g.back_collar())).array()
    sh.darken(blur(shift(collar, 0, 1.5, size), 1.2, size) * (1 - collar), 0.35)
    sh.darken(seams.array(), 0.42)
    sh.lighten(shift(Sketch(size).line(_inset(g.back_yoke(fit)), 1.0).array(), 0, 1, size), 0.25)

    folds, pleats = Sketch(size), Sketch(size)
    top = 196.0
    if back == "box_pleat":
        for x in (g.CX - 18, g.CX + 18):
            pleats.line(_inset([(x, top), (x, top + 150)]), 0.9)
        folds.polygon(_inset([(g.CX - 18, top), (g.CX + 18, top), (g.CX + 4, top + 330), (g.CX - 4, top + 330)]))
    elif back == "side_pleats":
        for side in (1, -1):
            x = g.CX - side * 96
            pleats.line(_inset([(x, top - 4), (x + side * 4, top + 110)]), 0.9)
            folds.polygon(_inset([(x - side * 16, top), (x, top), (x + side * 6, top + 240),
                                  (x + side * 2, top + 240)]))
    elif back == "darts":
        for x in (g.CX - 62, g.CX + 62):
            dart = (g.bezier((x, 330), (x - 12, 420), (x - 12, 500), (x, 590), 14)
                    + g.bezier((x, 590), (x + 12, 500), (x + 12, 420), (x, 330), 14))
            pleats.line(_inset(dart), 0.8)
            folds.polygon(_inset(dart))
    sh.darken(pleats.array() * m, 0.55)
    fade = np.clip(1.2 - np.linspace(0, 1, m.shape[0], dtype=np.float32)[:, None] * 1.3, 0, 1)
    sh.darken(blur(folds.array(), 1.6, size) * m * fade, 0.30)
    return sh.clip(m).piece()


# --- patterns ---------------------------------------------------------------------------


def _pattern_piece(size: str, pattern: str, regions: list[tuple[Array, float]]) -> tuple[Piece, ...]:
    """Intersect pattern inks with part regions, each region woven at its own angle."""
    s = scale_of(size)
    inks: list[Array] | None = None
    for region, angle in regions:
        im = Image.fromarray((region * 255 + 0.5).astype(np.uint8), "L")
        box = im.getbbox()
        if box is None:
            continue
        x0, y0, x1, y1 = box
        local = pattern_inks(pattern, (y1 - y0, x1 - x0), s, angle, origin=(x0, y0))
        if inks is None:
            inks = [np.zeros_like(region) for _ in local]
        for acc, ink in zip(inks, local):
            acc[y0:y1, x0:x1] = np.maximum(acc[y0:y1, x0:x1], ink * region[y0:y1, x0:x1])
    pieces = [mask_piece(ink) for ink in (inks or [])]
    return tuple(p for p in pieces if p is not None)


@part_cache
def pattern_piece(size: str, pattern: str, part: str, *key: Any) -> tuple[Piece, ...]:
    """The pattern's ink masks clipped to one part; stripes follow sleeves and cuffs."""
    if pattern == "solid":
        return ()
    if part == "body":
        return _pattern_piece(size, pattern, [(body_array(size, *key), 0.0)])
    if part == "collar":
        return _pattern_piece(size, pattern, [(collar_array(size, *key), 0.0)])
    if part == "sleeves":
        fit, short = key
        a = g.sleeve_frame(fit, short).angle_deg
        left, right = sleeve_pair(size, fit, short)
        return _pattern_piece(size, pattern, [(left, a), (right, -a)])
    if part == "cuffs":
        fit, cuffs = key
        if cuffs == "short_sleeve":
            return ()
        a = g.sleeve_frame(fit, False).angle_deg
        left, right = cuff_pair(size, fit, cuffs)
        return _pattern_piece(size, pattern, [(left, 90 + a), (right, 90 - a)])
    if part == "inset":
        return _pattern_piece(size, pattern, [(inset_array(size, *key), 0.0)])
    if part == "lining":
        # a woven contrast lining; key = (which, *that lining's own key)
        which, *rest = key
        linings: dict[str, Callable[..., Piece | None]] = {
            "collar": collar_lining, "cuffs": cuffs_lining, "placket": placket_lining}
        builder = linings[which]
        piece = builder(size, *rest)
        if piece is None:
            return ()
        region = np.zeros(shape_of(size), np.float32)
        x0, y0, x1, y1 = piece.box
        region[y0:y1, x0:x1] = np.asarray(piece.image, np.float32) / 255
        return _pattern_piece(size, pattern, [(region, 0.0)])
    raise ValueError(f"unknown part {part!r}")

"""Garment geometry for the shirt preview, in a fixed 600×800 design frame.

Every shape here is a plain list of (x, y) points in design units (y grows downwards).
`render_layers` scales them to the output size, so one set of numbers serves both the
full preview and the gallery thumbnail. Shapes are built for the viewer's left side and
mirrored, because a dress shirt is symmetric apart from the pocket and the monogram.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Point = tuple[float, float]

FRAME = (600, 800)
CX = 300.0  # centre front of the shirt

# Vertical landmarks of the front view.
NECK_SIDE_Y = 106.0  # where the shoulder line meets the collar
SHOULDER_Y = 138.0  # shoulder point (top of the armhole seam)
ARMPIT_Y = 250.0
WAIST_Y = 420.0
HIP_Y = 530.0
WRIST_Y = 546.0  # top of the cuff
CUFF_H = 50.0
FRENCH_CUFF_H = 62.0
SHORT_SLEEVE_Y = 330.0  # centre of a short sleeve's opening

# The neck seen through the collar (a ghost-mannequin view): three ellipses (cx, cy, rx, ry).
NECK_OPENING = (CX, 104.0, 46.0, 18.0)  # top edge of the collar band
BAND_BACK_EDGE = (CX, 127.0, 50.0, 22.0)  # lower edge of the band's back, seen from inside
BAND_FRONT = (CX, 118.0, 60.0, 30.0)  # outer face of the band at the front
COLLAR_RING = (CX, 120.0, 74.0, 38.0)  # outer edge of the collar fall around the neck

PLACKET_HALF = 15.0
PLACKET_TOP = 146.0
BUTTON_R = 5.6
PLACKET_BUTTON_YS = (180.0, 244.0, 308.0, 372.0, 436.0, 500.0, 564.0, 628.0)
TOP_BUTTON_Y = 136.0

POCKET_BOX = (CX + 44.0, 258.0, CX + 104.0, 324.0)  # wearer's left chest = viewer's right
MONOGRAM_AT = (CX + 74.0, 241.0)

# The back-view inset: a rounded card in the lower right corner.
INSET_BOX = (446.0, 652.0, 590.0, 790.0)
INSET_SCALE = 0.185


@dataclass(frozen=True)
class Fit:
    """Half-widths from the centre front (design units) that give a fit its silhouette."""

    shoulder: float
    chest: float  # body side at the armpit
    waist: float
    hip: float
    bicep: float  # how far the sleeve cap bulges out past the shoulder point
    wrist: float  # sleeve width at the cuff
    drop: float = 0.0  # dropped shoulder of a relaxed fit
    swing: float = 34.0  # how far the wrist hangs outside the shoulder point


FITS = {
    "regular": Fit(shoulder=170, chest=142, waist=136, hip=142, bicep=38, wrist=58, swing=16),
    "slim": Fit(shoulder=164, chest=134, waist=120, hip=128, bicep=32, wrist=52, swing=14),
    "tailored": Fit(shoulder=166, chest=136, waist=110, hip=130, bicep=34, wrist=52, swing=14),
    "relaxed": Fit(shoulder=178, chest=154, waist=156, hip=160, bicep=44, wrist=64, drop=10, swing=18),
}


@dataclass(frozen=True)
class Hem:
    """Where the hem sits: higher at the side seams, lower at the centre front."""

    side_y: float
    centre_y: float
    sweep: float  # 0 = the side drops straight into the curve, 1 = a long shallow curve
    vent: float = 0.0  # small side vent of a straight hem


HEMS = {
    "curved": Hem(side_y=590, centre_y=648, sweep=0.55),
    "straight": Hem(side_y=632, centre_y=638, sweep=0.1, vent=18),
    "tails": Hem(side_y=560, centre_y=688, sweep=0.8),
}


# --- small geometry helpers -------------------------------------------------------------


def bezier(p0: Point, p1: Point, p2: Point, p3: Point, n: int = 20) -> list[Point]:
    """Points along a cubic Bézier curve, both ends included."""
    out = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
        out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                    a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def ellipse_arc(e: tuple[float, float, float, float], start_deg: float, end_deg: float, n: int = 24) -> list[Point]:
    """Points on an ellipse (cx, cy, rx, ry); 0° is to the right, 90° is at the bottom."""
    cx, cy, rx, ry = e
    out = []
    for i in range(n + 1):
        a = math.radians(start_deg + (end_deg - start_deg) * i / n)
        out.append((cx + rx * math.cos(a), cy + ry * math.sin(a)))
    return out


def mirror(points: list[Point]) -> list[Point]:
    """Reflect about the centre front, keeping the winding order."""
    return [(2 * CX - x, y) for x, y in reversed(points)]


def mirror_each(points: list[Point]) -> list[Point]:
    """Reflect points one by one (for markers such as buttons, where order is irrelevant)."""
    return [(2 * CX - x, y) for x, y in points]


def lerp(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def add(a: Point, b: Point, k: float = 1.0) -> Point:
    return (a[0] + b[0] * k, a[1] + b[1] * k)


def unit(v: Point) -> Point:
    n = math.hypot(*v) or 1.0
    return (v[0] / n, v[1] / n)


def round_corners(points: list[Point], radii: list[float], n: int = 8) -> list[Point]:
    """Replace each corner of a closed polygon by a quadratic curve of the given radius."""
    out: list[Point] = []
    m = len(points)
    for i, p in enumerate(points):
        r = radii[i]
        if r <= 0:
            out.append(p)
            continue
        prev, nxt = points[i - 1], points[(i + 1) % m]
        a = add(p, unit((prev[0] - p[0], prev[1] - p[1])), r)
        b = add(p, unit((nxt[0] - p[0], nxt[1] - p[1])), r)
        for j in range(n + 1):
            t = j / n
            u = 1 - t
            out.append((u * u * a[0] + 2 * u * t * p[0] + t * t * b[0],
                        u * u * a[1] + 2 * u * t * p[1] + t * t * b[1]))
    return out


def offset_y(points: list[Point], dy: float) -> list[Point]:
    return [(x, y + dy) for x, y in points]


# --- body -------------------------------------------------------------------------------


def shoulder_point(fit: str) -> Point:
    f = FITS[fit]
    return (CX - f.shoulder, SHOULDER_Y + f.drop)


def armpit_point(fit: str) -> Point:
    return (CX - FITS[fit].chest, ARMPIT_Y + FITS[fit].drop)


def armhole(fit: str) -> list[Point]:
    """The armhole seam of the left side, from the shoulder point down to the armpit."""
    s, a = shoulder_point(fit), armpit_point(fit)
    return bezier(s, (s[0] + 12, s[1] + 46), (a[0] + 4, a[1] - 44), a, 14)


def side_seam(fit: str) -> list[Point]:
    """The left side seam from the armpit to the hip: chest, waist suppression, hip."""
    f = FITS[fit]
    a = armpit_point(fit)
    w = (CX - f.waist, WAIST_Y)
    h = (CX - f.hip, HIP_Y)
    upper = bezier(a, (a[0], a[1] + 90), (w[0], w[1] - 100), w, 16)
    lower = bezier(w, (w[0], w[1] + 60), (h[0], h[1] - 60), h, 12)
    return upper + lower[1:]


def hem_curve(fit: str, hem: str) -> list[Point]:
    """The left half of the hem, from the side seam bottom to the centre front."""
    f, h = FITS[fit], HEMS[hem]
    side = (CX - f.hip, h.side_y)
    centre = (CX, h.centre_y)
    drop = h.centre_y - h.side_y
    c1 = (side[0] + 6, side[1] + drop * (1.0 - h.sweep * 0.6))
    c2 = (CX - f.hip * (0.25 + 0.5 * h.sweep), h.centre_y)
    return bezier(side, c1, c2, centre, 20)


def body_outline(fit: str, hem: str) -> list[Point]:
    """The whole body panel (front), closed polygon."""
    h = HEMS[hem]
    left: list[Point] = [(CX, NECK_SIDE_Y - 6), (CX - 52, NECK_SIDE_Y)]
    s = shoulder_point(fit)
    left += bezier(left[-1], (CX - 80, NECK_SIDE_Y + 8), (s[0] + 30, s[1] - 6), s, 10)[1:]
    left += armhole(fit)[1:]
    left += side_seam(fit)[1:]
    hem_pts = hem_curve(fit, hem)
    if h.vent:
        x0, y0 = hem_pts[0]
        left += [(x0, y0 - h.vent), (x0 + 4, y0 - h.vent + 2), (x0 + 4, y0)]
        hem_pts = [(x0 + 4, y0)] + hem_pts[1:]
    else:
        left.append(hem_pts[0])
    left += hem_pts[1:]
    return left + mirror(left)[1:-1]


def yoke_seam(fit: str) -> list[Point]:
    """A hint of the yoke/shoulder seam on the left front, just below the shoulder line."""
    s = shoulder_point(fit)
    return bezier((CX - 60, NECK_SIDE_Y + 10), (CX - 86, NECK_SIDE_Y + 18),
                  (s[0] + 34, s[1] + 2), (s[0] + 6, s[1] + 8), 10)


# --- sleeves and cuffs ------------------------------------------------------------------


@dataclass(frozen=True)
class SleeveFrame:
    """Where a (left) sleeve ends: the centre of its opening, axis and width there."""

    end: Point  # centre of the wrist / short-sleeve opening
    down: Point  # unit vector along the sleeve, pointing to the hand
    out: Point  # unit normal, pointing away from the body
    width: float

    @property
    def angle_deg(self) -> float:
        """Tilt of the sleeve from vertical; positive when the hand hangs outwards-left."""
        return math.degrees(math.atan2(-self.down[0], self.down[1]))


def sleeve_frame(fit: str, short: bool) -> SleeveFrame:
    f = FITS[fit]
    s, a = shoulder_point(fit), armpit_point(fit)
    top = lerp(s, a, 0.5)
    wrist = (CX - f.shoulder - f.swing, WRIST_Y)
    down = unit((wrist[0] - top[0], wrist[1] - top[1]))
    if short:
        # a short sleeve flares out more and stops above the elbow
        down = unit((down[0] * 1.8, down[1]))
        t = (SHORT_SLEEVE_Y - top[1]) / down[1]
        end = add(top, down, t)
        width = f.wrist + 36
    else:
        end, width = wrist, f.wrist
    out = (down[1], -down[0])  # rotate 'down' by +90° → points left for the left sleeve
    if out[0] > 0:
        out = (-out[0], -out[1])
    return SleeveFrame(end, down, out, width)


def sleeve_outline(fit: str, short: bool) -> list[Point]:
    """The left sleeve as a closed polygon: cap, outer edge, opening, inner edge, armhole."""
    f = FITS[fit]
    fr = sleeve_frame(fit, short)
    s, a = shoulder_point(fit), armpit_point(fit)
    outer_end = add(fr.end, fr.out, fr.width / 2)
    inner_end = add(fr.end, fr.out, -fr.width / 2)
    reach = outer_end[1] - s[1]
    outer = bezier(s, (s[0] - f.bicep * 0.9, s[1] + 8), add(add(outer_end, fr.down, -reach * 0.55), fr.out, 6),
                   outer_end, 24)
    if short:
        # the opening bows slightly downwards in the middle
        mid = add(add(fr.end, fr.down, 6), fr.out, 0)
        opening = bezier(outer_end, lerp(outer_end, mid, 0.6), lerp(inner_end, mid, 0.6), inner_end, 8)
    else:
        opening = [outer_end, inner_end]
    inner_reach = inner_end[1] - a[1]
    inner = bezier(inner_end, add(inner_end, fr.down, -inner_reach * 0.4), (a[0] - 3, a[1] + 50), a, 14)
    return outer + opening[1:] + inner[1:] + list(reversed(armhole(fit)))[1:-1]


def cuff_corners(fit: str, cuffs: str) -> tuple[Point, Point, Point, Point]:
    """Top-outer, top-inner, bottom-inner, bottom-outer corners of the left cuff."""
    fr = sleeve_frame(fit, False)
    w = fr.width + 6
    h = FRENCH_CUFF_H if cuffs == "french" else CUFF_H
    top_o = add(add(fr.end, fr.out, w / 2), fr.down, -2)
    top_i = add(add(fr.end, fr.out, -w / 2), fr.down, -2)
    return top_o, top_i, add(top_i, fr.down, h), add(top_o, fr.down, h)


CUFF_CORNER = {  # radii of (top-outer, top-inner, bottom-inner, bottom-outer)
    "one_button": (2, 2, 4, 4),
    "two_button": (2, 2, 4, 4),
    "mitred": (2, 2, 0, 0),
    "rounded": (2, 2, 16, 16),
    "french": (2, 2, 3, 3),
}


def cuff_outline(fit: str, cuffs: str) -> list[Point]:
    to, ti, bi, bo = cuff_corners(fit, cuffs)
    if cuffs == "mitred":
        # cut both lower corners at 45°: the mitred (angled) cuff
        cut = 13.0
        pts = [to, ti,
               lerp(ti, bi, 1 - cut / CUFF_H), lerp(bi, bo, cut / dist(bi, bo)),
               lerp(bi, bo, 1 - cut / dist(bi, bo)), lerp(to, bo, 1 - cut / CUFF_H)]
        return round_corners(pts, [2, 2, 1, 1, 1, 1])
    return round_corners([to, ti, bi, bo], list(CUFF_CORNER[cuffs]))


def dist(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def cuff_point(fit: str, cuffs: str, across: float, along: float) -> Point:
    """A point on the left cuff: `across` 0 = outer edge … 1 = inner edge, `along` 0 = top … 1 = bottom."""
    to, ti, bi, bo = cuff_corners(fit, cuffs)
    return lerp(lerp(to, ti, across), lerp(bo, bi, across), along)


# --- collar -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CollarSpec:
    """The left collar leaf: where it leaves the band and where its point lands."""

    gap: float  # half the distance between the leaves at the band
    tip: Point  # the collar point (absolute design units, left side)
    outer: Point  # where the outer edge leaves the neck ring
    bow: float = 0.0  # outward bow of the front edge (cutaway)
    tip_round: float = 3.0
    leaves: bool = True


COLLARS = {
    "kent": CollarSpec(gap=5, tip=(CX - 48, 214), outer=(CX - 82, 140)),
    "spread": CollarSpec(gap=7, tip=(CX - 78, 196), outer=(CX - 90, 134)),
    "cutaway": CollarSpec(gap=9, tip=(CX - 100, 170), outer=(CX - 96, 128), bow=16),
    "button_down": CollarSpec(gap=5, tip=(CX - 54, 228), outer=(CX - 84, 142), tip_round=7),
    "club": CollarSpec(gap=6, tip=(CX - 54, 206), outer=(CX - 84, 140), tip_round=19),
    "wing": CollarSpec(gap=5, tip=(CX - 30, 152), outer=(CX - 60, 128), leaves=False),
    "band": CollarSpec(gap=4, tip=(CX, 150), outer=(CX - 58, 128), leaves=False),
    "tab": CollarSpec(gap=4, tip=(CX - 36, 216), outer=(CX - 78, 142)),
}


def collar_leaf(collar: str) -> list[Point]:
    """Both collar leaves joined around the back of the neck, as one closed polygon."""
    c = COLLARS[collar]
    ring = ellipse_arc(COLLAR_RING, 270, 180, 18)  # from the back, round to the left side
    ring = [p for p in ring if p[1] <= c.outer[1]] + [c.outer]
    edge_out = bezier(c.outer, lerp(c.outer, c.tip, 0.35), lerp(c.outer, c.tip, 0.7), c.tip, 10)
    band_top = (CX - c.gap, NECK_OPENING[1] + NECK_OPENING[3] - 1)
    d = unit((band_top[0] - c.tip[0], band_top[1] - c.tip[1]))
    normal = (d[1], -d[0])  # bows the front edge outwards/upwards for cutaway collars
    edge_in = bezier(c.tip, add(lerp(c.tip, band_top, 0.33), normal, -c.bow),
                     add(lerp(c.tip, band_top, 0.66), normal, -c.bow * 0.6), band_top, 10)
    left = ring + edge_out[1:] + edge_in[1:] + [(CX, band_top[1] + 2)]
    if c.tip_round > 0:
        tip_index = len(ring) + len(edge_out) - 2
        radii = [0.0] * len(left)
        radii[tip_index] = c.tip_round
        left = round_corners(left, radii, 10)
    return left + mirror(left)[1:-1]


def collar_band(collar: str) -> list[Point]:
    """The outer face of the band at the front (hidden behind the leaves except at centre)."""
    cx, cy, rx, ry = BAND_FRONT
    extra = 6.0 if collar == "wing" else 0.0
    return ellipse_arc((cx, cy, rx, ry + extra), 180, 360 + 180, 48)


def wing_tip() -> list[Point]:
    """The small folded-down wing of a wing collar (left side)."""
    return [(CX - 5, 124), (CX - 36, 128), (CX - 27, 156), (CX - 9, 140)]


def collar_tab() -> list[Point]:
    """A tab collar's strap joining the two leaves under the tie knot."""
    return round_corners([(CX - 22, 158), (CX + 22, 158), (CX + 22, 170), (CX - 22, 170)], [4, 4, 4, 4])


def collar_tip_button(collar: str) -> Point:
    c = COLLARS[collar]
    return (c.tip[0] + 9, c.tip[1] - 13)


# --- pocket -----------------------------------------------------------------------------


def pocket_outline(pocket: str, side: int = 1) -> list[Point]:
    """A patch pocket on the wearer's left chest (side=1) or right chest (side=-1)."""
    x0, y0, x1, y1 = POCKET_BOX
    if pocket == "rounded":
        pts = round_corners([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], [0, 0, 16, 16])
    elif pocket == "angled":
        mid = (x0 + x1) / 2
        pts = [(x0, y0), (x1, y0), (x1, y1 - 6), (mid, y1 + 8), (x0, y1 - 6)]
    else:
        pts = round_corners([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], [0, 0, 3, 3])
    return pts if side == 1 else mirror(pts)


def pocket_flap(side: int = 1) -> list[Point]:
    x0, y0, x1, _ = POCKET_BOX
    mid = (x0 + x1) / 2
    pts = round_corners([(x0 - 2, y0 - 8), (x1 + 2, y0 - 8), (x1 + 2, y0 + 12), (mid, y0 + 22), (x0 - 2, y0 + 12)],
                        [1, 1, 2, 3, 2])
    return pts if side == 1 else mirror(pts)


def pocket_sides(pocket: str) -> tuple[int, ...]:
    if pocket == "none":
        return ()
    return (1, -1) if pocket == "two_flaps" else (1,)


# --- back view (inset) ------------------------------------------------------------------


def inset_transform(p: Point) -> Point:
    """Map a full-size design point into the back-view card."""
    x0, y0, x1, y1 = INSET_BOX
    cx = (x0 + x1) / 2
    return (cx + (p[0] - CX) * INSET_SCALE, y0 + 24 + (p[1] - 80) * INSET_SCALE)


def back_collar() -> list[Point]:
    """The collar seen from behind: a curved band across the top of the back."""
    top = bezier((CX - 62, 118), (CX - 40, 96), (CX + 40, 96), (CX + 62, 118), 12)
    bottom = bezier((CX + 70, 132), (CX + 40, 122), (CX - 40, 122), (CX - 70, 132), 12)
    return top + bottom


def back_yoke(fit: str) -> list[Point]:
    s = shoulder_point(fit)
    return bezier((s[0] + 4, s[1] + 34), (CX - 60, 196), (CX + 60, 196), (2 * CX - s[0] - 4, s[1] + 34), 16)


# --- polylines ---------------------------------------------------------------------------


def dashed(points: list[Point], dash: float, gap: float) -> list[list[Point]]:
    """Split a polyline into dashes (stitching), measured along its length."""
    segments: list[list[Point]] = []
    current: list[Point] = [points[0]]
    on, left = True, dash
    for a, b in zip(points, points[1:]):
        length = dist(a, b)
        if length == 0:
            continue
        t = 0.0
        while length - t > left:
            t += left
            p = lerp(a, b, t / length)
            if on:
                current.append(p)
                segments.append(current)
                current = []
            else:
                current = [p]
            on = not on
            left = dash if on else gap
        left -= length - t
        if on:
            current.append(b)
    if on and len(current) > 1:
        segments.append(current)
    return segments


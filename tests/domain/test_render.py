"""The shirt preview: right sizes, every choice visible, deterministic, true to the colour."""

import io
import random

import numpy as np
import pytest
from PIL import Image

from webapp.domain import render
from webapp.domain.catalogue import shirt_catalogue
from webapp.domain.design import Design

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A patch of the wearer's right chest: clear of placket, pocket, sleeves and collar.
CHEST_PATCH = (200, 320, 240, 360)


def pixels(design: Design, size: str = "full") -> np.ndarray:
    return np.asarray(render.render_image(design, size), dtype=np.int16)


@pytest.fixture(scope="module")
def default_pixels() -> np.ndarray:
    return pixels(Design.default())


def _non_default_levels():
    catalogue = shirt_catalogue()
    default = catalogue.default_choices()
    for attribute in catalogue.attributes:
        for level in attribute.level_keys:
            if level != default[attribute.key]:
                yield pytest.param(attribute.key, level, id=f"{attribute.key}={level}")


def _visibly_different(a: np.ndarray, b: np.ndarray) -> int:
    """How many pixels differ by more than a barely visible amount."""
    return int((np.abs(a - b).max(axis=2) > 8).sum())


@pytest.mark.parametrize("size", ["full", "thumb"])
def test_sizes_and_mode(size):
    image = render.render_image(Design.default(), size)
    assert image.mode == "RGB"
    assert image.size == render.SIZES[size]
    assert render.SIZES == {"full": (600, 800), "thumb": (240, 320)}


def test_unknown_size_is_refused():
    with pytest.raises(ValueError):
        render.render_image(Design.default(), "poster")


@pytest.mark.parametrize("attribute, level", list(_non_default_levels()))
def test_every_level_changes_the_picture(attribute, level, default_pixels):
    changed = pixels(Design.default().with_level(attribute, level))
    assert _visibly_different(changed, default_pixels) >= 30, f"{attribute}={level} is not visible"


def test_monogram_changes_the_picture(default_pixels):
    with_initials = pixels(Design.default().with_level("monogram", "JD"))
    assert _visibly_different(with_initials, default_pixels) >= 30
    other = pixels(Design.default().with_level("monogram", "AB"))
    assert _visibly_different(other, with_initials) > 0


def test_same_design_gives_identical_bytes_even_after_caches_are_dropped():
    design = Design.default().with_level("colour", "navy").with_level("pattern", "gingham")
    first = render.render_png(design)
    assert render.render_png(design) == first
    render.clear_part_caches()
    assert render.render_png(design) == first


@pytest.mark.parametrize("colour", shirt_catalogue().attribute("colour").level_keys)
def test_fabric_colour_dominates_the_chest(colour):
    """The chest shows the catalogue colour (give or take shading), nearer to it than to any other."""
    levels = shirt_catalogue().attribute("colour").levels
    palette = {lv.key: np.array([int(lv.rgb[i:i + 2], 16) for i in (1, 3, 5)]) for lv in levels}
    x0, y0, x1, y1 = CHEST_PATCH
    patch = pixels(Design.default().with_level("colour", colour))[y0:y1, x0:x1].reshape(-1, 3)
    median = np.median(patch, axis=0)
    assert np.abs(median - palette[colour]).max() <= 24, (colour, median, palette[colour])

    def residual(key: str) -> float:
        """Distance once the catalogue colour is lit or shaded (scaled) to fit best."""
        rgb = palette[key].astype(float)
        k = float(np.clip(median @ rgb / (rgb @ rgb), 0.85, 1.2))
        return float(np.abs(median - k * rgb).sum())

    assert min(palette, key=residual) == colour


def test_png_bytes_and_thumbnail():
    data = render.render_png(Design.default())
    assert data.startswith(PNG_SIGNATURE)
    thumb = render.render_png(Design.default(), "thumb")
    assert thumb.startswith(PNG_SIGNATURE)
    assert Image.open(io.BytesIO(thumb)).size == (240, 320)
    jpeg = render.render_jpeg(Design.default())
    assert jpeg[:3] == b"\xff\xd8\xff"
    assert Image.open(io.BytesIO(jpeg)).size == (240, 320)


def test_thumbnail_keeps_the_choices_visible():
    plain = pixels(Design.default(), "thumb")
    for attribute, level in (("collar", "band"), ("pocket", "flap"), ("colour", "navy"), ("pattern", "bengal")):
        changed = pixels(Design.default().with_level(attribute, level), "thumb")
        assert _visibly_different(changed, plain) >= 10, f"{attribute}={level} lost in the thumbnail"


def test_random_combinations_render():
    """Parts must fit together in any combination, not only one change from the default."""
    rng = random.Random(11)
    catalogue = shirt_catalogue()
    for _ in range(20):  # thumbnails: the same parts and code paths, a fraction of the cost
        choices = {a.key: rng.choice(a.level_keys) for a in catalogue.attributes}
        design = Design.build(choices, rng.choice(["", "Q", "WMW"]))
        assert render.render_image(design, "thumb").size == (240, 320)


def test_layer_count_follows_the_design():
    plain = render.layer_count(Design.default())
    busy = render.layer_count(
        Design.default().with_level("pattern", "tattersall").with_level("pocket", "two_flaps")
        .with_level("lining", "gingham").with_level("monogram", "JD")
    )
    assert 10 <= plain < busy


def test_preview_cache_serves_bytes_by_digest_and_evicts_oldest():
    cache = render.PreviewCache(maxsize=2)
    design = Design.default()
    assert cache.get(design.digest()) is None
    data = cache.get_or_render(design)
    assert cache.get(design.digest()) == data == render.render_png(design)
    cache.put("b", b"2")
    cache.put("c", b"3")
    assert cache.get(design.digest()) is None and cache.get("c") == b"3" and len(cache) == 2


def test_umlaut_dots_are_embroidered_above_the_base_letter_only():
    """'JÖ' is 'JO' plus two dots: every changed pixel lies above the letters, none in or below them."""
    plain = pixels(Design.default().with_level("monogram", "JO"))
    umlaut = pixels(Design.default().with_level("monogram", "JÖ"))
    changed = np.argwhere(np.abs(umlaut - plain).max(axis=-1) > 24)
    assert len(changed) >= 20, "the dots must be visible"
    letters = np.argwhere(np.abs(plain - pixels(Design.default())).max(axis=-1) > 24)
    assert changed[:, 0].max() < letters[:, 0].min() + 2, "the dots must sit above the letters, not over them"
    assert letters[:, 1].min() <= changed[:, 1].min() and changed[:, 1].max() <= letters[:, 1].max()

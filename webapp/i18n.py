"""Interface languages: which language a request is shown in, and the compiled catalogues.

A participant's language is fixed at consent (Participant.language); before consent it
comes from `?lang=` on the entry URL (remembered in the session) or else the browser's
Accept-Language, always among the study's `[study] languages`. Everything else (studio,
gallery) is English.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import g, request

from experiments.definition import SLUG_RE

from . import visitor

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
log = logging.getLogger(__name__)


def compile_catalogues(folder: Path = TRANSLATIONS) -> list[Path]:
    """Compile every messages.po whose .mo is missing or older, so a fresh clone needs no build step.

    The .mo files are build products (git-ignored); this runs when the app is created.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        try:
            with mo.open("wb") as target:
                write_mo(target, catalog)
            written.append(mo)
        except OSError:  # a read-only install: it must have been compiled when it was built
            log.warning("could not write %s", mo)
    return written


def study_languages(slug: str | None) -> tuple[str, ...]:
    from .studies import study_by_slug
    study = g.get("study")  # the view loaded it already
    if study is None or study.slug != slug:
        # only a well-formed slug is looked up (a NUL byte in the address must reach its 400 page)
        study = study_by_slug(slug) if slug and SLUG_RE.match(slug) else None
    if study is None or study.current_version_id is None:
        return ("en",)
    return study.current_version.definition.languages


def requested_language(slug: str | None, languages: tuple[str, ...]) -> str:
    """Before consent: ?lang= (kept for the study in the session), else the browser's preference."""
    asked = request.args.get("lang")
    chosen = visitor.chosen_language(slug) if slug else None
    if asked in languages:
        if slug and chosen != asked:
            visitor.choose_language(slug, asked)
        return asked
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    fixed = g.get("participant_language")
    if fixed:
        return fixed
    if request.blueprint != "participant":
        return "en"
    slug = (request.view_args or {}).get("slug")
    return requested_language(slug, study_languages(slug))


def fix_language(language: str) -> None:
    """This request belongs to a participant: show it in their language from here on."""
    from flask_babel import refresh
    if g.get("participant_language") != language:
        g.participant_language = language
        refresh()


def request_catalogue():
    """The request's catalogue, looked up once per request.

    Flask-Babel's own template `_()` finds it again on every call (the locale, its name, the
    domain's cache); a step page asks 20 to 60 times. It is kept in Flask-Babel's per-request
    slot, which `refresh()` and `force_locale()` clear, so a change of language still shows.
    """
    from flask_babel import _get_current_context, get_translations
    context = _get_current_context()
    if context is None:  # outside a request: Flask-Babel's answer (no translation)
        return get_translations()
    found = getattr(context, "babel_translations", None)
    if found is None:
        found = context.babel_translations = get_translations()
    return found


def install_template_gettext(app) -> None:
    """Template gettext through the request's catalogue; Jinja's new-style gettext does the escaping."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_catalogue().ugettext(s),
        ngettext=lambda s, p, n: request_catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: request_catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )


def warm_up(app) -> None:
    """Compile every template and load every catalogue now, not in the first participants' requests."""
    from flask_babel import force_locale, get_translations

    from experiments.definition.localisation import LANGUAGES
    for name in app.jinja_env.list_templates(extensions=("html",)):
        app.jinja_env.get_template(name)
    with app.test_request_context("/"):
        for language in LANGUAGES:
            with force_locale(language):
                get_translations()

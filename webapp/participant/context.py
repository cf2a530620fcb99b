"""What every participant view needs: the study and this browser's participant, the step guard, step URLs and rendering.

`step_view` is the request path of a step: load and lock the participant, enforce their deadline
and step, log page views, run the view, commit. Views under it only parse, call `webapp.journey`
and render.
"""

from __future__ import annotations

from functools import cache, wraps

from flask import abort, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, joinedload

from experiments import steps

from .. import i18n, journey, visitor
from ..database import commit_before_render, writes
from ..domain.catalogue import DesignError
from ..domain.flow import DONE
from ..extensions import db
from ..models import Participant, Study, utcnow
from ..studies import study_by_slug


# ---------------------------------------------------------------- the study and its participant
def shown_definition(study: Study):
    """Before consent: the study's current definition in the language this visitor would take it in."""
    definition = study.current_version.definition
    return definition.localized(i18n.requested_language(study.slug, definition.languages))


def get_study(slug: str) -> Study:
    study = study_by_slug(slug, with_version=True)
    if study is None or study.current_version_id is None:
        abort(404, _("There is no study at this address. Please check the link you were given."))
    g.study = study  # the locale selector needs its languages: no second query
    return study


@cache
def participant_query(for_update: bool):
    """This browser's participant with its study and version, built once (every step request runs it).

    A statement object kept across requests also keeps its SQL cache key, which SQLAlchemy
    would otherwise compute again for each new statement.
    """
    query = (select(Participant).join(Participant.study)
             .where(Participant.token == bindparam("token"), Study.slug == bindparam("slug"))
             .options(contains_eager(Participant.study), joinedload(Participant.version, innerjoin=True)))
    return query.with_for_update(of=Participant) if for_update else query


def study_and_participant(slug: str, for_update: bool = False) -> tuple[Study, Participant | None]:
    """The study and this browser's participant in it, in one query when the session has one.

    Every step request needs both; the participant's row comes with its study and version.
    """
    token = visitor.participant_token(slug)
    if token:
        participant = db.session.execute(participant_query(for_update),
                                         {"token": token, "slug": slug}).unique().scalar_one_or_none()
        if participant is not None and participant.study.current_version_id is not None:
            g.study = participant.study
            i18n.fix_language(participant.language)
            return participant.study, participant
    return get_study(slug), None


def session_participant(study: Study, for_update: bool = False) -> Participant | None:
    """This browser's participant in the study; `for_update` locks the row (see database.lock)."""
    token = visitor.participant_token(study.slug)
    if not token:
        return None
    # The version comes in the same query (every step needs its definition); only the
    # participant's row is locked, never the version shared by everyone in the study.
    query = (select(Participant).where(Participant.token == token, Participant.study_id == study.id)
             .options(joinedload(Participant.version, innerjoin=True)))
    if for_update:
        query = query.with_for_update(of=Participant)
    participant = db.session.execute(query).scalar_one_or_none()
    if participant is not None:
        i18n.fix_language(participant.language)
    return participant


def remember(study: Study, participant: Participant) -> None:
    visitor.remember_participant(study.slug, participant.token)


def forget(study: Study) -> None:
    visitor.forget_participant(study.slug)


def timed_out_if_overdue(participant: Participant) -> None:
    """Past the deadline, an active participant is timed out (and committed) before anything else happens."""
    if participant.status == "active" and participant.deadline_at < utcnow():
        journey.time_out(participant)
        db.session.commit()


# ---------------------------------------------------------------- addresses and answers
def url_of_step(slug: str, name: str) -> str:
    """The address of a step, from its declaration in experiments.steps."""
    if name == DONE:
        return url_for("participant.done", slug=slug)
    path = steps.get(name).path
    if not path:
        return url_for("participant.entry", slug=slug)
    return url_for("participant.step", slug=slug, step_path=path.lstrip("/"))


def step_url(participant: Participant) -> str:
    return url_of_step(participant.study.slug, participant.step)


def see_other(url: str):
    return redirect(url, code=303)


def said(error: DesignError) -> str:
    """A domain error in the participant's language (English for messages only tampering can cause)."""
    return _(error.msgid, **error.params) if error.msgid else str(error)


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def elsewhere(participant: Participant):
    """A request for another step than the participant's: 409 for scripts, a redirect for pages."""
    if wants_json():
        return jsonify(error="step", redirect=step_url(participant)), 409
    return see_other(step_url(participant))


# ---------------------------------------------------------------- the step guard
def step_view(step: str):
    """Load and lock the participant, enforce their deadline and step, log GETs as page views.

    GETs lock too: a first view may create state (suggestions, a review target), and
    concurrent duplicates of it must create it once.
    """

    def decorate(view):
        @writes
        @wraps(view)
        def wrapper(slug: str, **kwargs):
            study, participant = study_and_participant(slug, for_update=True)
            if participant is None:
                if wants_json():
                    abort(403, _("Your session has ended. Reload the page to start again."))
                return see_other(url_for("participant.entry", slug=slug))
            timed_out_if_overdue(participant)
            if participant.status != "active":
                return see_other(url_for("participant.done", slug=slug))
            if participant.step != step:
                return elsewhere(participant)
            if request.method == "GET":
                journey.record(participant, "page_view")
            response = view(study, participant, **kwargs)
            db.session.commit()
            return response

        return wrapper

    return decorate


def proceed(participant: Participant):
    journey.advance(participant)
    target = step_url(participant)  # before the commit expires the loaded rows
    db.session.commit()
    return see_other(target)


def progress(participant: Participant) -> dict:
    flow = participant.definition.flow
    index = flow.index(participant.step) if participant.step in flow else len(flow)
    return {"current": index + 1, "total": len(flow)}


def render_step(template: str, participant: Participant, status: int = 200, **context):
    time_limit = journey.time_remaining(participant)  # every step page carries its deadline (_time_limit.html)
    commit_before_render()  # the page's writes are done: release the write lock before rendering
    return render_template(template, participant=participant, study=participant.study,
                           definition=participant.definition, progress=progress(participant),
                           time_limit=time_limit, **context), status

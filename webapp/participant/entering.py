"""Coming in and going out: the entry link, consent or declining, the end page and withdrawal."""

from __future__ import annotations

import re

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _

from .. import i18n, journey, visitor
from ..database import commit_keeping_loaded, lock, writes
from ..extensions import db, limiter
from ..forms import ConsentForm, WithdrawForm
from ..models import Study
from ..privacy import pseudonym
from .blueprint import address_key, bp, is_simulation, limit
from .context import (
    forget,
    get_study,
    remember,
    see_other,
    session_participant,
    shown_definition,
    step_url,
    study_and_participant,
    timed_out_if_overdue,
)

RECRUIT_PARAMS = {"PROLIFIC_PID": ("prolific", "pid"), "SESSION_ID": ("prolific", "session"),
                  "STUDY_ID": ("prolific", "study"), "workerId": ("mturk", "pid"), "assignmentId": ("mturk", "session")}
RECRUIT_VALUE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # used with fullmatch: no trailing newline


def recruit_params(definition) -> dict[str, tuple[str, str]]:
    """Query parameter → (panel, role) that this study's entry links carry ([recruitment], Prolific by default)."""
    chosen = definition.recruitment
    if not chosen:
        return RECRUIT_PARAMS
    return {chosen["id_param"]: (chosen["panel"], "pid"), chosen["session_param"]: (chosen["panel"], "session"),
            chosen["study_param"]: (chosen["panel"], "study")}


def hashed_recruit(slug: str, incoming: dict[str, str], params: dict[str, tuple[str, str]]) -> dict[str, str]:
    """What the (readable) session cookie may carry of the entry link's ids: keyed hashes and a hint, never an id."""
    recruit = {}
    for key, value in incoming.items():
        source, role = params[key]
        if role in ("pid", "session"):
            recruit[f"{role}_hash"] = pseudonym(slug, "recruit" if role == "pid" else "session", value)
        if role == "pid":
            recruit["pid_hint"] = value[-4:]  # shown on the consent page so a planted id is noticed
        recruit["source"] = source
    return recruit


def outcome_of(study: Study, name: str):
    """The code and return link the study file sets for this outcome, if any."""
    return study.current_version.definition.outcomes.get(name)


def outcome_page(study: Study, outcome: str, status: int = 200):
    """The page for an entry that cannot go on (study full, closed, or this person took part already)."""
    template = {"full": "participant/full.html", "closed": "participant/closed.html",
                "duplicate": "participant/duplicate.html"}[outcome]
    return render_template(template, study=study, definition=shown_definition(study),
                           outcome=outcome_of(study, outcome)), status


def to_where_they_are(participant, slug: str):
    return see_other(step_url(participant) if participant.status == "active" else url_for(".done", slug=slug))


@bp.get("")
@limiter.limit(limit("ENTRY_RATE_LIMIT"), key_func=address_key, exempt_when=is_simulation)
def entry(slug: str):
    study = get_study(slug)
    i18n.requested_language(slug, study.current_version.definition.languages)  # remembers ?lang= across the redirect
    params = recruit_params(study.current_version.definition)
    incoming = {k: v for k, v in request.args.items() if k in params}
    if incoming:
        if not all(RECRUIT_VALUE.fullmatch(v) for v in incoming.values()):
            abort(400, _("The link you followed carries an identifier we cannot read. "
                         "Please use the study link from the recruiting site unchanged."))
        visitor.hold_recruit(slug, hashed_recruit(slug, incoming, params))
        return see_other(url_for(".entry", slug=slug))  # never keep the identifier in the address bar
    participant = session_participant(study)
    if participant is not None:
        return to_where_they_are(participant, slug)
    piloting = visitor.pilot_cell(slug)
    if study.status != "open" and not piloting:
        return render_template("participant/closed.html", study=study, definition=shown_definition(study)), 200
    pending_id = (visitor.pending_recruit(slug) or {}).get("pid_hash")
    if not piloting and journey.is_full(study, is_simulation(), pending_id):  # before consent
        return outcome_page(study, "full")
    form = ConsentForm(nonce=visitor.issue_consent_nonce(slug))
    return render_template("participant/consent.html", study=study, definition=shown_definition(study),
                           form=form, recruit=visitor.pending_recruit(slug))


@bp.post("")
@limiter.limit(limit("CONSENT_RATE_LIMIT"), key_func=address_key, exempt_when=is_simulation)
def consent(slug: str):
    study = get_study(slug)
    existing = session_participant(study)
    if existing is not None:
        return to_where_they_are(existing, slug)
    form = ConsentForm()
    if not form.validate_on_submit() or form.nonce.data != visitor.consent_nonce(slug):
        abort(400, _("This consent form has expired. Please open the study link again."))
    if form.decline.data and not form.agree.data:
        if not visitor.has_declined(slug):  # one browser counts once, however often it declines
            locked = lock(Study, study.id)
            locked.declines = (locked.declines or 0) + 1  # a bare count: a decline keeps no personal data
            db.session.commit()
            visitor.mark_declined(slug)
        visitor.finish_consent(slug)
        return see_other(url_for(".declined", slug=slug))
    if not form.agree.data:
        abort(400, _("Please choose whether you want to take part."))
    language = i18n.requested_language(slug, study.current_version.definition.languages)
    entry_result = journey.enter(study, form.nonce.data, visitor.pending_recruit(slug),
                                 pilot_cell=visitor.pilot_cell(slug), simulated=is_simulation(), language=language)
    if entry_result.outcome in ("full", "closed"):
        db.session.rollback()
        return outcome_page(study, entry_result.outcome)
    if entry_result.outcome == "duplicate":
        db.session.rollback()
        return outcome_page(study, "duplicate", 409)
    commit_keeping_loaded()  # remembering and redirecting read the new participant: no reload
    entered = entry_result.participant
    assert entered is not None  # every outcome but full, closed and duplicate has its participant
    remember(study, entered)
    visitor.drop_recruit(slug)  # bound to the participant now; nothing left to carry
    return see_other(step_url(entered))


@bp.get("/declined")
def declined(slug: str):
    study = get_study(slug)
    return render_template("participant/declined.html", study=study, definition=shown_definition(study),
                           outcome=outcome_of(study, "declined"))


@bp.get("/done")
@writes
def done(slug: str):
    study, participant = study_and_participant(slug, for_update=True)
    if participant is None:
        return see_other(url_for(".entry", slug=slug))
    timed_out_if_overdue(participant)
    if participant.status == "active":
        return see_other(step_url(participant))
    definition = participant.definition
    outcome = definition.outcomes.get(participant.outcome or participant.status) or (
        definition.outcomes["completed"] if participant.status == "completed" else None)
    return render_template("participant/done.html", study=study, participant=participant, outcome=outcome,
                           definition=definition)


@bp.route("/withdraw", methods=["GET", "POST"])
def withdraw(slug: str):
    study = get_study(slug)
    participant = session_participant(study, for_update=request.method == "POST")
    form = WithdrawForm()
    if participant is None:
        return render_template("participant/withdrawn.html", study=study, definition=shown_definition(study),
                               had_data=False)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, _("This page has expired. Please reload it and try again."))
        journey.withdraw(participant)
        db.session.commit()
        forget(study)
        return render_template("participant/withdrawn.html", study=study, definition=shown_definition(study),
                               had_data=True)
    return render_template("participant/withdraw.html", study=study, form=form, participant=participant,
                           definition=participant.definition)

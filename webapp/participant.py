"""The participant's journey: consent → questionnaires → design → suggestions → revise → ratings.

The server keeps each participant's step; a URL for any other step redirects there, so
reloads, back buttons and typed URLs can never skip or repeat a step. Every POST locks
the participant row first, so a double-clicked submit is processed once.
"""

from __future__ import annotations

import re
import secrets
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from experiments import steps

from . import i18n, journey
from .database import commit_before_render, commit_keeping_loaded, lock, writes
from .domain.catalogue import MONOGRAM_KEY, DesignError
from .domain.design import Design
from .domain.flow import DONE
from .extensions import db, limiter
from .forms import (
    ChangeForm,
    ConsentForm,
    DecisionForm,
    PeerSuggestionForm,
    StepForm,
    TimeExtensionForm,
    WithdrawForm,
    checks_form,
    closeness_form,
    demographics_form,
    design_form,
    evaluation_form,
    likert_form,
)
from .models import Participant, Study, Suggestion, utcnow
from .previews import cache as preview_cache
from .previews import preview_url
from .studies import study_by_slug

bp = Blueprint("participant", __name__, url_prefix="/s/<slug>")

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


def _limit(setting: str):
    """A rate limit read from the settings when the request comes, so tests and deployments tune it."""
    return lambda: current_app.config.get(setting) or "1000000 per second"


def _participant_key() -> str:
    """Live changes are counted per participant (their session token), not per shared address."""
    slug = (request.view_args or {}).get("slug", "")
    return "participant:" + str(session.get("participants", {}).get(slug) or request.remote_addr)


@bp.after_request
def no_store(response):
    """Participant pages are never cached, so the back button asks the server again."""
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- helpers
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


def study_and_participant(slug: str, for_update: bool = False) -> tuple[Study, Participant | None]:
    """The study and this browser's participant in it, in one query when the session has one.

    Every step request needs both; the participant's row comes with its study and version.
    """
    token = session.get("participants", {}).get(slug)
    if token:
        query = (select(Participant).join(Participant.study).where(Participant.token == token, Study.slug == slug)
                 .options(contains_eager(Participant.study), joinedload(Participant.version, innerjoin=True)))
        if for_update:
            query = query.with_for_update(of=Participant)
        participant = db.session.execute(query).unique().scalar_one_or_none()
        if participant is not None and participant.study.current_version_id is not None:
            g.study = participant.study
            i18n.fix_language(participant.language)
            return participant.study, participant
    return get_study(slug), None


def session_participant(study: Study, for_update: bool = False) -> Participant | None:
    """This browser's participant in the study; `for_update` locks the row (see database.lock)."""
    token = session.get("participants", {}).get(study.slug)
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
    tokens = dict(session.get("participants", {}))
    tokens[study.slug] = participant.token
    session["participants"] = tokens
    session.permanent = True


def forget(study: Study) -> None:
    tokens = dict(session.get("participants", {}))
    tokens.pop(study.slug, None)
    session["participants"] = tokens


def is_simulation() -> bool:
    """Simulated participants identify themselves with the instance's simulation key."""
    key = current_app.config.get("SIMULATION_KEY")
    if not key:
        return False
    return secrets.compare_digest(request.headers.get("X-Simulation-Key", ""), key)


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
                return see_other(url_for(".entry", slug=slug))
            if participant.status == "active" and participant.deadline_at < utcnow():
                journey.time_out(participant)
                db.session.commit()
            if participant.status != "active":
                return see_other(url_for(".done", slug=slug))
            if participant.step != step:
                if wants_json():
                    return jsonify(error="step", redirect=step_url(participant)), 409
                return see_other(step_url(participant))
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


# ---------------------------------------------------------------- entering
@bp.get("")
@limiter.limit(_limit("ENTRY_RATE_LIMIT"), key_func=lambda: request.remote_addr or "",
               exempt_when=lambda: is_simulation())
def entry(slug: str):
    study = get_study(slug)
    i18n.requested_language(slug, study.current_version.definition.languages)  # remembers ?lang= across the redirect
    params = recruit_params(study.current_version.definition)
    incoming = {k: v for k, v in request.args.items() if k in params}
    if incoming:
        if not all(RECRUIT_VALUE.fullmatch(v) for v in incoming.values()):
            abort(400, _("The link you followed carries an identifier we cannot read. "
                         "Please use the study link from the recruiting site unchanged."))
        recruit = {}
        for key, value in incoming.items():
            source, role = params[key]
            if role in ("pid", "session"):  # the (readable) session cookie gets keyed hashes, never the id
                recruit[f"{role}_hash"] = journey.pseudonym(slug, "recruit" if role == "pid" else "session", value)
            if role == "pid":
                recruit["pid_hint"] = value[-4:]  # shown on the consent page so a planted id is noticed
            recruit["source"] = source
        pending = dict(session.get("recruit", {}))
        pending[slug] = recruit
        session["recruit"] = pending
        return see_other(url_for(".entry", slug=slug))  # never keep the identifier in the address bar
    participant = session_participant(study)
    if participant is not None:
        return see_other(step_url(participant) if participant.status == "active" else url_for(".done", slug=slug))
    if study.status != "open" and not session.get("pilot", {}).get(slug):
        return render_template("participant/closed.html", study=study, definition=shown_definition(study)), 200
    pending_id = (session.get("recruit", {}).get(slug) or {}).get("pid_hash")
    if not session.get("pilot", {}).get(slug) and journey.is_full(study, is_simulation(), pending_id):  # before consent
        return render_template("participant/full.html", study=study, definition=shown_definition(study),
                               outcome=outcome_of(study, "full")), 200
    nonce = secrets.token_urlsafe(24)
    nonces = dict(session.get("nonces", {}))
    nonces[slug] = nonce
    session["nonces"] = nonces
    form = ConsentForm(nonce=nonce)
    return render_template("participant/consent.html", study=study, definition=shown_definition(study),
                           form=form, recruit=session.get("recruit", {}).get(slug))


@bp.post("")
@limiter.limit(_limit("CONSENT_RATE_LIMIT"), key_func=lambda: request.remote_addr or "",
               exempt_when=lambda: is_simulation())
def consent(slug: str):
    study = get_study(slug)
    existing = session_participant(study)
    if existing is not None:
        return see_other(step_url(existing) if existing.status == "active" else url_for(".done", slug=slug))
    form = ConsentForm()
    if not form.validate_on_submit() or form.nonce.data != session.get("nonces", {}).get(slug):
        abort(400, _("This consent form has expired. Please open the study link again."))
    if form.decline.data and not form.agree.data:
        declined_here = dict(session.get("declined", {}))
        if not declined_here.get(slug):  # one browser counts once, however often it declines
            locked = lock(Study, study.id)
            locked.declines = (locked.declines or 0) + 1  # a bare count: a decline keeps no personal data
            db.session.commit()
            declined_here[slug] = True
            session["declined"] = declined_here
        session.get("recruit", {}).pop(slug, None)
        session.get("nonces", {}).pop(slug, None)
        session.modified = True
        return see_other(url_for(".declined", slug=slug))
    if not form.agree.data:
        abort(400, _("Please choose whether you want to take part."))
    pilot = session.get("pilot", {}).get(slug)
    recruit = session.get("recruit", {}).get(slug)
    language = i18n.requested_language(slug, study.current_version.definition.languages)
    entry_result = journey.enter(study, form.nonce.data, recruit, pilot_cell=pilot,
                                 simulated=is_simulation(), language=language)
    if entry_result.outcome in ("full", "closed"):
        db.session.rollback()
        template = "participant/full.html" if entry_result.outcome == "full" else "participant/closed.html"
        return render_template(template, study=study, definition=shown_definition(study),
                               outcome=outcome_of(study, entry_result.outcome)), 200
    if entry_result.outcome == "duplicate":
        db.session.rollback()
        return render_template("participant/duplicate.html", study=study, definition=shown_definition(study),
                               outcome=outcome_of(study, "duplicate")), 409
    commit_keeping_loaded()  # remembering and redirecting read the new participant: no reload
    entered = entry_result.participant
    assert entered is not None  # every outcome but full, closed and duplicate has its participant
    remember(study, entered)
    session.get("recruit", {}).pop(slug, None)  # bound to the participant now; nothing left to carry
    session.modified = True
    return see_other(step_url(entered))


def outcome_of(study: Study, name: str):
    """The code and return link the study file sets for this outcome, if any."""
    return study.current_version.definition.outcomes.get(name)


@bp.get("/declined")
def declined(slug: str):
    study = get_study(slug)
    return render_template("participant/declined.html", study=study, definition=shown_definition(study),
                           outcome=study.current_version.definition.outcomes.get("declined"))


# ---------------------------------------------------------------- questionnaires
def questionnaire_step(participant: Participant, form_class, block_name: str, template: str, score, **context):
    form = form_class()
    if request.method == "POST":
        if form.validate_on_submit():
            answers = {name: field.data for name, field in form._fields.items()
                       if name not in ("csrf_token", "submit")}
            answers = {k: (float(v) if hasattr(v, "as_tuple") else v) for k, v in answers.items()}
            journey.save_answers(participant, block_name, answers)
            if score is not None:
                score(participant, answers)
            return proceed(participant)
        journey.record(participant, "validation_failed", fields=sorted(form.errors))
        return render_step(template, participant, 400, form=form, **context)
    return render_step(template, participant, form=form, **context)


def likert_page(study, participant, step):
    """Any declared Likert questionnaire: the block the study file (or its instrument) gives the step."""
    block = participant.definition.likert_block(step.name)
    return questionnaire_step(participant, likert_form(block), step.name, step.template_name,
                              journey.scorer(step), block=block)


def closeness_page(study, participant, step):
    people = journey.suggesters(participant)
    keys = [f"ios_{s.persona_key}" for s in people]
    return questionnaire_step(participant, closeness_form(keys), step.name, step.template_name,
                              journey.scorer(step), people=people)


def evaluation_page(study, participant, step):
    return questionnaire_step(participant, evaluation_form(participant.definition), step.name,
                              step.template_name, journey.scorer(step),
                              block=participant.definition.evaluation, design=journey.current_design(participant))


def checks_page(study, participant, step):
    return questionnaire_step(participant, checks_form(participant.definition.checks, participant.definition.say),
                              step.name, step.template_name, journey.scorer(step), checks=participant.definition.checks)


def demographics_page(study, participant, step):
    return questionnaire_step(participant, demographics_form(participant.definition.demographics), step.name,
                              step.template_name, journey.scorer(step))


# ---------------------------------------------------------------- designing
def editor_context(participant: Participant, form=None, error: str | None = None,
                   error_field: str | None = None) -> dict:
    """What the editor shows; after a refused submit, the error sits beside its field."""
    design = journey.current_design(participant)
    catalogue = participant.definition.catalogue()
    monogram_value = design.monogram
    if form is None:
        form = design_form(catalogue)(formdata=None, data={**design.mapping, MONOGRAM_KEY: design.monogram})
    elif error_field == MONOGRAM_KEY and MONOGRAM_KEY in form:
        monogram_value = form[MONOGRAM_KEY].data or ""  # keep what was typed, so it can be corrected
    return {"design": design, "catalogue": catalogue, "form": form, "error": error, "error_field": error_field,
            "monogram_value": monogram_value, "preview_url": preview_url(participant, design)}


def save_whole_form(participant: Participant):
    """The no-JavaScript path: the form carries every attribute; validate it through the domain."""
    catalogue = participant.definition.catalogue()
    form = design_form(catalogue)()
    if not form.validate_on_submit():
        field = next(iter(form.errors), None)
        return form, _("Please choose one option for every part of the shirt."), field
    data = {name: field.data for name, field in form._fields.items() if name in catalogue or name == MONOGRAM_KEY}
    try:
        design = Design.parse(data, catalogue, base=journey.current_design(participant))
    except DesignError as error:
        return form, said(error), error.field
    journey.change_design(participant, design, via="form")
    return form, None, None


def editor_step(study, participant, step, on_submit, **extra):
    """The design and revise pages: save the whole form ("Update preview") or submit it."""
    template = step.template_name
    if request.method == "POST":
        form, error, field = save_whole_form(participant)
        if error:
            journey.record(participant, "validation_failed", error=error, field=field)
            return render_step(template, participant, 400, **editor_context(participant, form, error, field), **extra)
        if form.submit.data:
            on_submit(participant)
            return proceed(participant)
        db.session.commit()
        return see_other(url_of_step(study.slug, step.name))
    return render_step(template, participant, **editor_context(participant), **extra)


def design_page(study, participant, step):
    return editor_step(study, participant, step, journey.submit_initial_design)


@bp.post("/design/change")
@limiter.limit(_limit("DESIGN_CHANGE_RATE_LIMIT"), key_func=_participant_key, exempt_when=lambda: is_simulation())
def change(slug: str):
    """The live editor: one attribute at a time, saved as it happens; answers JSON or redirects."""
    _study, participant = study_and_participant(slug, for_update=True)
    if participant is None:
        abort(403, _("Your session has ended. Reload the page to start again."))
    if participant.status == "active" and participant.deadline_at < utcnow():
        journey.time_out(participant)  # the time is up: no more changes
        db.session.commit()
    if participant.status != "active" or participant.step not in ("design", "revise"):
        if wants_json():
            return jsonify(error="step", redirect=step_url(participant)), 409
        return see_other(step_url(participant))
    form = ChangeForm()
    if not form.validate_on_submit():
        abort(400, _("That change could not be read."))
    catalogue = participant.definition.catalogue()
    try:
        new = Design.parse({form.attribute.data: form.level.data or ""}, catalogue,
                           base=journey.current_design(participant))
    except DesignError as error:
        db.session.rollback()
        if wants_json():
            return jsonify(error=said(error), field=error.field), 400
        abort(400, said(error))
    journey.change_design(participant, new, via="live")
    commit_keeping_loaded()  # the answer reads the participant: no reload
    if wants_json():
        return jsonify(preview_url=preview_url(participant, new),
                       design=dict(new.mapping), monogram=new.monogram)
    return see_other(step_url(participant))


@bp.get("/design/draft.png")
@limiter.limit(_limit("DRAFT_PREVIEW_RATE_LIMIT"), key_func=_participant_key, exempt_when=lambda: is_simulation())
def draft_preview(slug: str):
    """The picture of choices not saved yet, for the participant's own editor; writes nothing.

    Arrow keys move through a choice group one option at a time. A mouse user clicks the
    option they want and that click is saved as one design change; a keyboard user passes
    every option on the way. So app.js saves a keyboard choice once, when the participant
    settles on it, and shows the options passed through this address meanwhile: no event, no
    design record, so both users leave the same data. The choices come in the query
    (attribute=level); the monogram is always the saved one.
    """
    study = get_study(slug)
    participant = session_participant(study)
    if (participant is None or participant.status != "active" or participant.step not in ("design", "revise")
            or participant.deadline_at < utcnow()):
        abort(404, _("There is no such page in this study."))
    catalogue = participant.definition.catalogue()
    choices = {key: value for key, value in request.args.items() if key in catalogue and key != MONOGRAM_KEY}
    try:
        design = Design.parse(choices, catalogue, base=journey.current_design(participant))
    except DesignError as error:
        abort(400, said(error))
    db.session.close()  # hand the connection back: rendering needs no database
    return Response(preview_cache().get_or_render(design, "full", "png"), mimetype="image/png")


# ---------------------------------------------------------------- more time
@bp.post("/time/extend")
def extend_time(slug: str):
    """The participant's one request for more time (WCAG 2.2.1), from the warning before the time limit.

    Under the participant's row lock: the first request moves the deadline and logs
    `time_extended` with both deadlines; any later or concurrent duplicate answers 409 and
    writes nothing. After the deadline the participant is timed out, as on every step.
    """
    study = get_study(slug)
    participant = session_participant(study, for_update=True)
    if participant is None:
        abort(403, _("Your session has ended. Reload the page to start again."))
    if participant.status == "active" and participant.deadline_at < utcnow():
        journey.time_out(participant)
        db.session.commit()
    if participant.status != "active":
        if wants_json():
            return jsonify(error="step", redirect=url_for(".done", slug=slug)), 409
        return see_other(url_for(".done", slug=slug))
    if not TimeExtensionForm().validate_on_submit():
        abort(400, _("This page has expired. Please reload it."))
    deadline = journey.extend_time(participant)
    if deadline is None:
        db.session.rollback()
        message = _("You have already been given more time once; the time limit cannot be extended again.")
        if wants_json():
            return jsonify(error="already_extended", message=message), 409
        return render_template("error.html", study=study, status=409, title=_("More time was already given"),
                               message=message), 409
    left = journey.time_remaining(participant)
    target = step_url(participant)  # before the commit expires the loaded rows
    db.session.commit()
    if wants_json():
        return jsonify(seconds_left=left.seconds, warn_at=left.warn_at, can_extend=False)
    return see_other(target)


# ---------------------------------------------------------------- suggestions and revising
def review_page(study, participant, step):
    """Suggest one change to an earlier participant's design (studies with real peer input)."""
    target = journey.review_target(participant)
    catalogue = participant.definition.catalogue()
    plan = participant.definition.suggestions
    form = PeerSuggestionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, _("This page has expired. Please reload it."))
        if target is None or form.skip.data:
            if target is not None:
                journey.record(participant, "review_skipped", target=target.id)
            else:
                journey.record(participant, "review_skipped", reason="no design to review yet")
            return proceed(participant)
        error = None
        attribute, _colon, level = (form.suggestion.data or "").partition(":")
        target_design = journey.stored_design(target.initial_design_json)
        comment = (form.comment.data or "").strip()
        if attribute not in plan.attributes or attribute not in catalogue:
            error = _("Please choose one of the suggested changes from the list.")
        elif level not in catalogue.attribute(attribute).level_keys:
            error = _("Please choose one of the suggested changes from the list.")
        elif target_design[attribute] == level:
            error = _("The shirt already has that. Please suggest a change.")
        elif len(comment) > plan.comment_max_length:
            error = _("Please keep your comment to %(n)s characters.", n=plan.comment_max_length)
        if error:
            journey.record(participant, "validation_failed", error=error)
            return render_step(step.template_name, participant, 400, form=form, target=target,
                               target_design=target_design, catalogue=catalogue, plan=plan, error=error)
        journey.submit_review(participant, target, attribute, level, comment)
        return proceed(participant)
    shown_design = journey.stored_design(target.initial_design_json) if target else None
    return render_step(step.template_name, participant, form=form, target=target,
                       target_design=shown_design, catalogue=catalogue, plan=plan, error=None)


def suggestions_page(study, participant, step):
    if not participant.suggestions:
        remaining = journey.peer_wait_remaining(participant)
        if remaining > 0:
            return render_step("participant/waiting.html", participant, remaining=remaining)
        journey.assign_suggestions(participant)
    if request.method == "POST":
        if StepForm().validate_on_submit():
            return proceed(participant)
        abort(400, _("This page has expired. Please reload it."))
    initial = Design.from_json(participant.initial_design_json)
    return render_step(step.template_name, participant, form=StepForm(),
                       suggestions=participant.suggestions, initial=initial,
                       catalogue=participant.definition.catalogue())


@bp.get("/suggestions/status")
def waiting_status(slug: str):
    """What the waiting page polls instead of refreshing itself: are the suggestions ready, and where to go.

    Read-only (no lock, no page_view event), so polling adds nothing to the data."""
    study = get_study(slug)
    participant = session_participant(study)
    if participant is None:
        return jsonify(ready=True, url=url_for(".entry", slug=slug))
    if participant.status != "active":
        return jsonify(ready=True, url=url_for(".done", slug=slug))
    waiting = participant.step == "suggestions" and not participant.suggestions
    remaining = journey.peer_wait_remaining(participant) if waiting else 0
    return jsonify(ready=remaining <= 0, remaining=remaining, url=step_url(participant))


def revise_page(study, participant, step):
    return editor_step(study, participant, step, journey.submit_final_design,
                       suggestions=participant.suggestions, decision_form=DecisionForm())


@bp.post("/revise/suggestions/<int:suggestion_id>")
@step_view("revise")
def decide(study, participant, suggestion_id: int):
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None or suggestion.participant_id != participant.id:
        abort(404, _("There is no such suggestion."))
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("adopt", "reject"):
        abort(400, _("Please choose to adopt or reject the suggestion."))
    new = journey.decide(participant, suggestion, form.decision.data == "adopt")
    commit_keeping_loaded()  # the answer reads the participant and the suggestion: no reload
    if wants_json():
        return jsonify(preview_url=preview_url(participant, new),
                       design=dict(new.mapping), decision=suggestion.decision)
    return see_other(url_of_step(study.slug, "revise") + f"#suggestion-{suggestion.id}")


# ---------------------------------------------------------------- every declared step
PAGE_VIEWS = {
    "likert": likert_page, "closeness": closeness_page, "evaluation": evaluation_page, "checks": checks_page,
    "demographics": demographics_page, "design": design_page, "review": review_page,
    "suggestions": suggestions_page, "revise": revise_page,
}


@bp.route("/<step_path>", methods=["GET", "POST"])
@writes
def step(slug: str, step_path: str):
    """One route for every step declared in experiments.steps: the path picks the step, its page the view."""
    declared = steps.by_path("/" + step_path)
    if declared is None or declared.page not in PAGE_VIEWS:
        abort(404, _("There is no such page in this study."))
    view = PAGE_VIEWS[declared.page]
    return step_view(declared.name)(lambda study, participant: view(study, participant, declared))(slug)


# ---------------------------------------------------------------- the end
@bp.get("/done")
@writes
def done(slug: str):
    study, participant = study_and_participant(slug, for_update=True)
    if participant is None:
        return see_other(url_for(".entry", slug=slug))
    if participant.status == "active":
        if participant.deadline_at < utcnow():
            journey.time_out(participant)
            db.session.commit()
        else:
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

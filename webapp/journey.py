"""What happens to a participant: entering, moving through steps, designing, finishing.

Views call these functions inside a request; each function changes state *and* appends
the matching event to the log in the same database transaction (the caller commits).
"""

from __future__ import annotations

import json
import math
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update

from .database import insert_many_ignoring_duplicates, lock
from .domain.assignment import choose_cell
from .domain.conformity import conformity
from .domain.design import Design, diff
from .domain.flow import DONE, next_step
from .domain.peer_wait import HORIZON_SECONDS, WINDOW, plan_wait
from .domain.scoring import ScoredItem, attention_passed, scale_mean
from .domain.suggestions import generate_suggestions, seeded_rng, suggestion_text
from .domain.time_limit import TimeLeft, extension_minutes, time_left
from .extensions import db
from .models import DesignRecord, Event, Participant, PeerSuggestion, Response, Study, Suggestion, utcnow
from .persona_pool import draw_names
from .previews import register
from .privacy import pseudonym

OCCUPYING = ("active", "completed")


def record(participant: Participant, kind: str, step: str | None = None, **payload) -> Event:
    event = Event(participant_id=participant.id, study_id=participant.study_id, at=utcnow(),
                  step=step or participant.step, kind=kind, payload=json.dumps(payload, sort_keys=True, default=str))
    db.session.add(event)
    return event


# ---------------------------------------------------------------- entering a study
@dataclass
class Entry:
    participant: Participant | None
    outcome: str  # entered | existing | duplicate | full | closed


def expire_overdue(study: Study, now: datetime | None = None) -> int:
    """Time out active participants past their deadline, or idle on their first step; this frees their slot.

    An entry that never gets past the first step after consent for SLOT_IDLE_MINUTES
    holds no slot: someone who is really taking part finishes that step well before then.
    """
    now = now or utcnow()
    overdue = db.session.execute(
        select(Participant).where(Participant.study_id == study.id, Participant.status == "active",
                                  _expirable(study, now))
    ).scalars().all()
    for participant in overdue:
        time_out(participant, idle=participant.deadline_at >= now)
    return len(overdue)


def _expirable(study: Study, now: datetime):
    """The condition on an active participant that expire_overdue times out: past the deadline, or idle
    on the first step after consent."""
    flow = study.current_version.definition.flow
    first_step = flow[1] if len(flow) > 1 else flow[0]
    idle_since = now - timedelta(minutes=current_app.config.get("SLOT_IDLE_MINUTES") or 10**6)
    last_activity = (select(func.max(Event.at)).where(Event.participant_id == Participant.id)
                     .correlate(Participant).scalar_subquery())
    return ((Participant.deadline_at < now)
            | ((Participant.step == first_step) & (Participant.step_started_at < idle_since)
               & (func.coalesce(last_activity, Participant.step_started_at) < idle_since)))


def time_out(participant: Participant, idle: bool = False) -> None:
    participant.status = "timed_out"
    participant.outcome = "timed_out"
    if idle:
        record(participant, "timed_out", deadline=participant.deadline_at.isoformat(), reason="idle")
    else:
        record(participant, "timed_out", deadline=participant.deadline_at.isoformat())


# ---------------------------------------------------------------- more time (WCAG 2.2.1)
def has_extended_time(participant: Participant) -> bool:
    """Whether the participant already had their one extension (the `time_extended` event is the record)."""
    return db.session.scalar(select(Event.id).where(Event.participant_id == participant.id,
                                                    Event.kind == "time_extended").limit(1)) is not None


def time_remaining(participant: Participant, now: datetime | None = None) -> TimeLeft:
    """What a step page says about the deadline: seconds left, when to warn, whether more time may be asked."""
    definition = participant.definition
    return time_left(participant.deadline_at, now or utcnow(), definition.time_limit_minutes,
                     definition.time_extension_minutes, has_extended_time(participant))


def extend_time(participant: Participant) -> datetime | None:
    """Move the deadline once by the study's extension and log both deadlines; None if it was extended before.

    The caller holds the participant's row lock, so concurrent requests see each other's event
    and only the first extends.
    """
    if has_extended_time(participant):
        return None
    definition = participant.definition
    minutes = extension_minutes(definition.time_limit_minutes, definition.time_extension_minutes)
    before = participant.deadline_at
    participant.deadline_at = before + timedelta(minutes=minutes)
    record(participant, "time_extended", before=before.isoformat(), after=participant.deadline_at.isoformat(),
           minutes=minutes)
    return participant.deadline_at


def occupied_counts(study: Study, simulated: bool = False) -> dict[str, int]:
    """Places taken per cell. Real and simulated participants fill separate quotas (pilots none),
    so a simulation run never makes a study full for real participants, nor unbalances their cells."""
    rows = db.session.execute(
        select(Participant.visibility, Participant.relation, func.count())
        .where(Participant.study_id == study.id, Participant.status.in_(OCCUPYING), Participant.is_pilot.is_(False),
               Participant.is_simulated.is_(simulated))
        .group_by(Participant.visibility, Participant.relation)).all()
    return {f"{v}/{r}": n for v, r, n in rows}


def enter(study: Study, nonce: str, recruit: dict | None = None, pilot_cell: str | None = None,
          simulated: bool = False, language: str | None = None) -> Entry:
    """Consent given: assign a cell and create the participant, at most once per nonce and recruit id.

    The study row is locked first, so concurrent entries see each other's counts and a
    cell is never over-filled (on SQLite the transaction holds the write lock already).
    """
    _version = study.current_version  # held: the lock's refresh would otherwise drop it and load it again
    study = lock(Study, study.id)  # first: a duplicate consent waits here, then sees the first one's row
    existing = db.session.execute(select(Participant).where(Participant.entry_nonce == nonce)).scalar_one_or_none()
    if existing is not None:
        return Entry(existing, "existing")
    recruit = recruit or {}
    # the session carries only keyed hashes (pid_hash, session_hash); raw ids are accepted from callers too
    pid_hash = recruit.get("pid_hash") or (
        pseudonym(study.slug, "recruit", recruit["pid"]) if recruit.get("pid") else None)
    session_hash = recruit.get("session_hash") or (
        pseudonym(study.slug, "session", recruit["session"]) if recruit.get("session") else None)
    if pid_hash:
        taken = db.session.execute(select(Participant).where(
            Participant.study_id == study.id, Participant.recruit_id_hash == pid_hash)).scalar_one_or_none()
        if taken is not None:
            return Entry(taken, "duplicate")
    if study.status != "open" and pilot_cell is None:
        return Entry(None, "closed")
    definition = study.current_version.definition
    now = utcnow()
    expire_overdue(study, now)
    targets = {cell.key: cell.target_n for cell in definition.cells}
    entered_so_far = db.session.scalar(select(func.count()).where(Participant.study_id == study.id)) or 0
    if pilot_cell is not None:
        if pilot_cell not in targets:
            return Entry(None, "closed")
        cell: str | None = pilot_cell
    else:
        cell = choose_cell(targets, occupied_counts(study, simulated),
                           random.Random(f"{definition.seed}:assign:{entered_so_far}"))
    if cell is None:
        return Entry(None, "full")
    visibility, relation = cell.split("/")
    participant = Participant(
        study_id=study.id, version_id=study.current_version_id, token=secrets.token_urlsafe(32),
        entry_nonce=nonce, seed=secrets.randbelow(2**31), visibility=visibility, relation=relation,
        status="active", step=definition.flow[0], step_started_at=now, is_pilot=pilot_cell is not None,
        is_simulated=simulated, recruit_id_hash=pid_hash,
        recruit_session_hash=session_hash,
        recruit_source=recruit.get("source"), entered_at=now, consented_at=now,
        deadline_at=now + timedelta(minutes=definition.time_limit_minutes),
        design_json=Design.default(definition.catalogue()).to_json(),
        language=language if language in definition.languages else definition.languages[0],
    )
    db.session.add(participant)
    db.session.flush()
    record(participant, "consented", step="consent", version=study.current_version.number,
           language=participant.language)
    record(participant, "assigned", step="consent", cell=cell, pilot=participant.is_pilot)
    advance(participant)
    return Entry(participant, "entered")


# ---------------------------------------------------------------- moving on
def advance(participant: Participant) -> str:
    """Finish the current step (logging its duration) and move to the next one."""
    now = utcnow()
    seconds = round((now - participant.step_started_at).total_seconds(), 3)
    record(participant, "step_completed", seconds=seconds)
    following = next_step(participant.definition.flow, participant.step)
    if following == DONE:
        finish(participant, now)
    else:
        participant.step = following
        participant.step_started_at = now
        record(participant, "step_started")
    return following


def finish(participant: Participant, now: datetime) -> None:
    participant.step = DONE
    participant.status = "completed"
    participant.completed_at = now
    participant.outcome = "completed" if participant.attention_passed is not False else "attention_failed"
    record(participant, "completed", step=DONE, outcome=participant.outcome)


# ---------------------------------------------------------------- designing
def stored_design(text: str | None) -> Design:
    """A design saved on a participant; the steps that read one come after it was saved."""
    if text is None:
        raise TypeError("no design saved yet")
    return Design.from_json(text)


def current_design(participant: Participant) -> Design:
    return stored_design(participant.design_json)


def remember_design(design: Design, owner: Participant) -> str:
    """Register the owner's design so its (keyed, access-checked) preview URL can be served."""
    return register(owner, design)


def change_design(participant: Participant, new: Design, via: str) -> list:
    """Save the design as it is now and log each attribute that changed."""
    old = current_design(participant)
    changes = diff(old, new)
    if changes:
        participant.design_json = new.to_json()
        for change in changes:
            record(participant, "attribute_changed", attribute=change.attribute, before=change.before,
                   after=change.after, via=via)
    remember_design(new, participant)
    return list(changes)


def submit_initial_design(participant: Participant) -> None:
    design = current_design(participant)
    participant.initial_design_json = design.to_json()
    participant.initial_submitted_at = utcnow()
    record(participant, "design_submitted", kind_of_design="initial", design=json.loads(design.to_json()))
    if "review" not in participant.definition.flow:
        assign_suggestions(participant)


def assign_suggestions(participant: Participant) -> list[Suggestion]:
    """Give the participant their suggestions: real peers' where the study asks, scripted otherwise."""
    if participant.suggestions:
        return participant.suggestions
    definition = participant.definition
    plan = definition.suggestions
    catalogue = definition.catalogue()
    initial = stored_design(participant.initial_design_json)
    personas = {p.key: p for p in definition.personas[participant.relation]}
    peers = _usable_peer_suggestions(participant, initial) if plan.source in ("peer", "mix") else []
    peer_quota = plan.count if plan.source == "peer" else round(plan.count * plan.peer_share)
    peers = peers[:peer_quota]
    taken = {peer.attribute for peer in peers}
    scripted = generate_suggestions(
        initial, catalogue, count=plan.count - len(peers),
        attributes=[a for a in plan.attributes if a not in taken], rule=plan.rule, personas=list(personas),
        study_seed=definition.seed, participant_seed=participant.seed, template=plan.text,
        per_attribute_text=plan.texts, preferred=plan.preferred)
    rng = seeded_rng(definition.seed, participant.seed, "peer-personas")
    rows = []
    for peer in peers:
        persona = personas[rng.choice(sorted(personas))]
        wording = rng.choice(plan.text)
        rows.append(dict(attribute=peer.attribute, suggested_level=peer.suggested_level,
                         text=suggestion_text(wording, catalogue, peer.attribute, peer.suggested_level, plan.texts),
                         persona=persona, source="peer", suggester_id=peer.reviewer_id, comment=peer.comment))
        peer.used = True
    for proposal in scripted:
        rows.append(dict(attribute=proposal.attribute, suggested_level=proposal.suggested_level, text=proposal.text,
                         persona=personas[proposal.persona_key], source="scripted", suggester_id=None, comment=None))
    rows.sort(key=lambda row: catalogue.keys.index(row["attribute"]))
    shown_as = draw_names(list(personas.values()), definition.seed, participant.seed,
                          definition.pool_in(participant.language), participant.language)
    for position, row in enumerate(rows):
        persona = row["persona"]
        name, avatar = shown_as.get(persona.key, (persona.name, persona.avatar))
        suggestion = Suggestion(
            participant_id=participant.id, position=position, attribute=row["attribute"],
            initial_level=initial[row["attribute"]], suggested_level=row["suggested_level"], text=row["text"],
            persona_key=persona.key, persona_name=name, persona_avatar=avatar,
            relation=participant.relation, relation_label=persona.relation_label, source=row["source"],
            suggester_id=row["suggester_id"], comment=row["comment"])
        participant.suggestions.append(suggestion)
    db.session.flush()
    participant.suggestions_ready_at = utcnow()
    if participant.step == "suggestions":
        # Peer studies assign on the suggestions page, after a wait for peers: the wait is logged on
        # its own and the step's time starts now, so seconds on the step mean time with the suggestions.
        waited = round((participant.suggestions_ready_at - participant.step_started_at).total_seconds(), 3)
        record(participant, "peer_wait_ended", seconds=max(0.0, waited))
        participant.step_started_at = participant.suggestions_ready_at
    for suggestion in participant.suggestions:
        record(participant, "suggestion_received", suggestion_id=suggestion.id, attribute=suggestion.attribute,
               suggested_level=suggestion.suggested_level, source=suggestion.source, persona=suggestion.persona_key)
    return participant.suggestions


def _usable_peer_suggestions(participant: Participant, initial: Design) -> list[PeerSuggestion]:
    """Peer suggestions for this participant on distinct attributes that propose a real change."""
    candidates = db.session.execute(
        select(PeerSuggestion).where(PeerSuggestion.target_id == participant.id, PeerSuggestion.used.is_(False))
        .order_by(PeerSuggestion.id)).scalars().all()
    allowed = set(participant.definition.suggestions.attributes)
    chosen, seen = [], set()
    for peer in candidates:
        if peer.attribute in allowed and peer.attribute not in seen and initial[peer.attribute] != peer.suggested_level:
            chosen.append(peer)
            seen.add(peer.attribute)
    return chosen


def decide(participant: Participant, suggestion: Suggestion, adopt: bool) -> Design:
    """Adopt (apply the suggested level) or reject (restore the initial level if it had been applied)."""
    design = current_design(participant)
    if adopt:
        new = design.with_level(suggestion.attribute, suggestion.suggested_level)
    elif design[suggestion.attribute] == suggestion.suggested_level:
        new = design.with_level(suggestion.attribute, suggestion.initial_level)
    else:
        new = design
    change_design(participant, new, via=f"suggestion:{suggestion.id}")
    suggestion.decision = "adopted" if adopt else "rejected"
    suggestion.decided_at = utcnow()
    record(participant, "suggestion_adopted" if adopt else "suggestion_rejected",
           suggestion_id=suggestion.id, attribute=suggestion.attribute)
    return new


def submit_final_design(participant: Participant) -> None:
    final = current_design(participant)
    initial = stored_design(participant.initial_design_json)
    participant.final_design_json = final.to_json()
    for suggestion in participant.suggestions:
        suggestion.final_level = final[suggestion.attribute]
    result = conformity(initial, final, participant.suggestions)
    participant.n_suggestions = result.n_suggestions
    participant.n_adopted = result.n_adopted
    participant.conformity = result.share
    participant.conformity_distance = result.distance
    record(participant, "design_submitted", kind_of_design="final", design=json.loads(final.to_json()),
           n_adopted=result.n_adopted, conformity=result.share, conformity_distance=result.distance)


# ---------------------------------------------------------------- questionnaires
def save_answers(participant: Participant, block: str, answers: dict[str, object]) -> None:
    """Store one block's answers in one INSERT; re-posting the same block cannot duplicate rows."""
    now = utcnow()
    rows = []
    for key, value in answers.items():
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        rows.append(dict(participant_id=participant.id, block=block, item_key=key, answered_at=now,
                         value_num=float(value) if numeric and isinstance(value, (int, float)) else None,
                         value_text=None if numeric or value is None else str(value)))
    insert_many_ignoring_duplicates(Response, rows)
    record(participant, "answers_submitted", block=block, answers=answers)


def score_likert_mean(participant: Participant, step, answers: dict[str, Any]) -> None:
    """A Likert block: the scored mean (reverse-coded, attention items left out) and its attention items."""
    block = participant.definition.likert_block(step.name)
    items = [ScoredItem(i.key, i.reverse, i.attention) for i in block.items]
    if step.score_field:
        setattr(participant, step.score_field, scale_mean(answers, items, block.scale.min, block.scale.max))
    _update_attention(participant, {i.key: i.attention for i in block.items if i.attention is not None}, answers)


def score_mean(participant: Participant, step, answers: dict[str, int]) -> None:
    setattr(participant, step.score_field, sum(answers.values()) / len(answers))


def score_attention_choices(participant: Participant, step, answers: dict[str, object]) -> None:
    expected = {check.key: check.expected for check in participant.definition.checks.attention}
    _update_attention(participant, expected, answers)


SCORERS: dict[str, Callable[[Participant, Any, Any], None]] = {
    "likert_mean": score_likert_mean, "mean": score_mean, "attention_choices": score_attention_choices}


def scorer(step):
    """The scoring a step declares (experiments.steps.Step.scoring), bound to the step; None if it has none."""
    found = SCORERS.get(step.scoring) if step.scoring else None
    if found is None:
        return None
    score = found
    return lambda participant, answers: score(participant, step, answers)


def _update_attention(participant: Participant, expected: dict, answers: dict) -> None:
    if not expected:
        return
    passed = attention_passed(answers, expected)
    participant.attention_passed = (passed if participant.attention_passed is None
                                    else (participant.attention_passed and passed))


def suggesters(participant: Participant) -> list[Suggestion]:
    """One suggestion per distinct persona: whom the closeness questions ask about."""
    seen, result = set(), []
    for suggestion in participant.suggestions:
        if suggestion.persona_key not in seen:
            seen.add(suggestion.persona_key)
            result.append(suggestion)
    return result


# ---------------------------------------------------------------- withdrawing
def withdraw(participant: Participant) -> None:
    """Delete everything of this participant in one transaction; only a bare count remains.

    Suggestions they made to others stay with the recipient (the recipient's data would
    otherwise change), but lose any link to them and their free-text comment.
    """
    study = lock(Study, participant.study_id)
    study.withdrawals = (study.withdrawals or 0) + 1
    db.session.execute(update(Suggestion).where(Suggestion.suggester_id == participant.id)
                       .values(suggester_id=None, comment=None))
    db.session.execute(update(PeerSuggestion).where(PeerSuggestion.reviewer_id == participant.id)
                       .values(reviewer_id=None, comment=None))
    db.session.execute(delete(DesignRecord).where(DesignRecord.participant_id == participant.id))
    _unlink_from_others_events(participant)
    db.session.delete(participant)


def _unlink_from_others_events(participant: Participant) -> None:
    """Other participants' review events name their target; a withdrawn target is no longer named."""
    candidates = db.session.execute(select(Event).where(
        Event.study_id == participant.study_id, Event.participant_id != participant.id,
        Event.kind.in_(("review_assigned", "review_skipped", "peer_suggestion_made")),
        Event.payload.like(f'%"target": {participant.id}%'))).scalars().all()
    for event in candidates:
        payload = json.loads(event.payload)
        if payload.get("target") == participant.id:
            payload["target"] = None
            payload["target_withdrawn"] = True
            event.payload = json.dumps(payload, sort_keys=True, default=str)


# ---------------------------------------------------------------- reviewing a peer's design
def review_target(participant: Participant) -> Participant | None:
    """The earlier design this participant reviews, chosen once and kept across reloads.

    Targets come from the same cell (so a public designer's shirt is reviewed as a gallery
    post and a private one on a private page); the least-reviewed design goes first.
    """
    if participant.review_target_id is not None:
        target = db.session.get(Participant, participant.review_target_id)
        if target is not None:
            return target
    received = (select(PeerSuggestion.target_id, func.count().label("n"))
                .where(PeerSuggestion.study_id == participant.study_id)
                .group_by(PeerSuggestion.target_id).subquery())
    target = db.session.execute(
        select(Participant)
        .outerjoin(received, received.c.target_id == Participant.id)
        .where(Participant.study_id == participant.study_id, Participant.id != participant.id,
               Participant.visibility == participant.visibility, Participant.relation == participant.relation,
               Participant.initial_design_json.is_not(None), Participant.is_pilot == participant.is_pilot,
               # real participants never review, nor are reviewed by, simulated ones
               Participant.is_simulated == participant.is_simulated,
               Participant.status.in_(OCCUPYING))
        .order_by(func.coalesce(received.c.n, 0), Participant.id.desc()).limit(1)).scalar_one_or_none()
    if target is not None:
        participant.review_target_id = target.id
        record(participant, "review_assigned", target=target.id)
    return target


def submit_review(participant: Participant, target: Participant, attribute: str, level: str,
                  comment: str | None) -> PeerSuggestion:
    peer = PeerSuggestion(study_id=participant.study_id, reviewer_id=participant.id, target_id=target.id,
                          attribute=attribute, suggested_level=level, comment=comment or None)
    db.session.add(peer)
    record(participant, "peer_suggestion_made", target=target.id, attribute=attribute, suggested_level=level,
           has_comment=bool(comment))
    return peer


def is_full(study: Study, simulated: bool = False, pid_hash: str | None = None, now: datetime | None = None) -> bool:
    """Whether every cell is taken for this kind of participant, judged before consent (read only).

    Active participants that consent would time out first (expire_overdue) are not counted.
    Someone whose recruiting id took part already is not told "full": consent tells them that.
    """
    now = now or utcnow()
    if pid_hash and db.session.execute(select(Participant.id).where(
            Participant.study_id == study.id, Participant.recruit_id_hash == pid_hash)).first() is not None:
        return False
    definition = study.current_version.definition
    rows = db.session.execute(
        select(Participant.visibility, Participant.relation, func.count())
        .where(Participant.study_id == study.id, Participant.is_pilot.is_(False),
               Participant.is_simulated.is_(simulated),
               (Participant.status == "completed") | ((Participant.status == "active") & ~_expirable(study, now)))
        .group_by(Participant.visibility, Participant.relation)).all()
    taken = {f"{v}/{r}": n for v, r, n in rows}
    return all(taken.get(cell.key, 0) >= cell.target_n for cell in definition.cells)


def peer_wait_remaining(participant: Participant, now: datetime | None = None) -> int:
    """Seconds still worth waiting for peers' suggestions (0 when enough arrived or the planned wait is over).

    The wait is planned on the first look (webapp.domain.peer_wait: no longer than a peer
    could plausibly come, given the cell's recent entries, and never past the study's
    peer_wait_seconds after the initial design) and logged as `peer_wait_planned`; later looks
    only count down, so the waiting page never promises more than it said before.
    """
    plan = participant.definition.suggestions
    if plan.source == "scripted" or participant.suggestions or participant.initial_submitted_at is None:
        return 0
    now = now or utcnow()
    wanted = plan.count if plan.source == "peer" else round(plan.count * plan.peer_share)
    initial = stored_design(participant.initial_design_json)
    if len(_usable_peer_suggestions(participant, initial)) >= wanted:
        return 0
    until = _planned_wait_end(participant, now, wanted)
    return max(0, math.ceil((until - now).total_seconds()))


def _planned_wait_end(participant: Participant, now: datetime, wanted: int) -> datetime:
    """When this participant's wait ends: planned once (and logged), then read back."""
    planned = db.session.execute(
        select(Event.payload).where(Event.participant_id == participant.id, Event.kind == "peer_wait_planned")
        .order_by(Event.id.desc()).limit(1)).scalar_one_or_none()
    if planned is not None:
        return datetime.fromisoformat(json.loads(planned)["until"])
    submitted = participant.initial_submitted_at or now  # peer_wait_remaining asks only after the initial design
    longest = participant.definition.suggestions.peer_wait_seconds - (now - submitted).total_seconds()
    wait = plan_wait(recent_arrivals(participant, now), now, longest, wanted)
    until = now + timedelta(seconds=wait.seconds)
    record(participant, "peer_wait_planned", seconds=wait.seconds, until=until.isoformat(),
           entries_per_minute=wait.rate_per_minute, reason=wait.reason)
    return until


def recent_arrivals(participant: Participant, now: datetime) -> list[datetime]:
    """When the last entrants into the participant's cell consented (same kind: real, pilot or simulated)."""
    return [moment for moment in db.session.execute(
        select(Participant.consented_at).where(
            Participant.study_id == participant.study_id, Participant.visibility == participant.visibility,
            Participant.relation == participant.relation, Participant.is_pilot == participant.is_pilot,
            Participant.is_simulated == participant.is_simulated, Participant.consented_at <= now,
            Participant.consented_at >= now - timedelta(seconds=HORIZON_SECONDS))
        .order_by(Participant.consented_at.desc()).limit(WINDOW)).scalars() if moment is not None]

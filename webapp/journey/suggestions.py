"""Suggestions: assigning them (real peers' where the study asks, scripted otherwise) and the wait for peers."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

from sqlalchemy import select

from ..domain.design import Design
from ..domain.peer_wait import HORIZON_SECONDS, WINDOW, plan_wait
from ..domain.suggestions import generate_suggestions, seeded_rng, suggestion_text
from ..extensions import db
from ..models import Event, Participant, PeerSuggestion, Suggestion, utcnow
from ..persona_pool import draw_names
from .state import record, stored_design


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


def suggesters(participant: Participant) -> list[Suggestion]:
    """One suggestion per distinct persona: whom the closeness questions ask about."""
    seen, result = set(), []
    for suggestion in participant.suggestions:
        if suggestion.persona_key not in seen:
            seen.add(suggestion.persona_key)
            result.append(suggestion)
    return result


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

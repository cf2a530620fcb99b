"""Database rows. State and the event that changed it are written in one transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .domain import columns
from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Experimenter(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped by logout and password changes: login cookies of an older generation no longer work.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """What the login cookie stores: the account and its session generation."""
        return f"{self.id}.{self.session_generation or 0}"


class Study(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(columns.SLUG), unique=True)
    title: Mapped[str] = mapped_column(String(columns.STUDY_TITLE))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | paused | closed
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("study_version.id", use_alter=True, name="fk_study_current_version"), nullable=True)
    withdrawals: Mapped[int] = mapped_column(Integer, default=0)
    declines: Mapped[int] = mapped_column(Integer, default=0)

    current_version: Mapped[StudyVersion] = relationship(foreign_keys=[current_version_id], post_update=True)
    members: Mapped[list[StudyMember]] = relationship(back_populates="study", cascade="all, delete-orphan")


class StudyMember(db.Model):
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), primary_key=True)
    experimenter_id: Mapped[int] = mapped_column(ForeignKey("experimenter.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10), default="editor")  # owner | editor | viewer

    study: Mapped[Study] = relationship(back_populates="members")
    experimenter: Mapped[Experimenter] = relationship()


class StudyInvitation(db.Model):
    """An owner's offer of a role, by e-mail; it becomes a membership only when the invitee accepts.

    Keyed by e-mail rather than account, so inviting says nothing about who has an account.
    """

    __tablename__ = "study_invitation"
    __table_args__ = (UniqueConstraint("study_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(10))
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("experimenter.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    study: Mapped[Study] = relationship()


class StudyVersion(db.Model):
    __table_args__ = (UniqueConstraint("study_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # Deferred: every participant request loads its version, but the parsed definition is
    # cached per process, so the (large) JSON is read only when the cache lacks it.
    definition_json: Mapped[str] = mapped_column(Text, deferred=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255), default="")
    loaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    _cache: dict = {}

    @property
    def definition(self):
        """The parsed StudyDefinition (parsed once per process per version)."""
        from experiments.definition import StudyDefinition
        key = (self.id, self.fingerprint)
        if key not in StudyVersion._cache:
            StudyVersion._cache[key] = StudyDefinition.from_json(self.definition_json)
        return StudyVersion._cache[key]


class Participant(db.Model):
    __table_args__ = (
        UniqueConstraint("study_id", "recruit_id_hash", name="uq_participant_recruit"),
        Index("ix_participant_study_status", "study_id", "status", "is_pilot"),
        Index("ix_participant_export_id", "study_id", "export_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("study_version.id"))
    token: Mapped[str] = mapped_column(String(64), unique=True)  # lives in the signed cookie only
    entry_nonce: Mapped[str] = mapped_column(String(64), unique=True)  # makes a double-clicked consent one entry
    seed: Mapped[int] = mapped_column(Integer)
    visibility: Mapped[str] = mapped_column(String(10))
    relation: Mapped[str] = mapped_column(String(columns.RELATION))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # active | completed | declined | timed_out  (withdrawn participants are deleted)
    step: Mapped[str] = mapped_column(String(20), default="consent")
    step_started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    is_pilot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    recruit_id_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recruit_session_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recruit_source: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # the export's participant id (webapp.privacy), kept so the studio finds a row by it through an index;
    # rows entered before the column got it get theirs at the first lookup (privacy.participant_by_export_id)
    export_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")  # fixed at consent
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    consented_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    deadline_at: Mapped[datetime] = mapped_column(DateTime)
    design_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    initial_design_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    final_design_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    holism: Mapped[float | None] = mapped_column(Float, nullable=True)
    evaluation: Mapped[float | None] = mapped_column(Float, nullable=True)
    closeness: Mapped[float | None] = mapped_column(Float, nullable=True)
    attention_passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    suggestions_ready_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    initial_submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Conformity, computed once when the final design is submitted (see domain.conformity).
    n_suggestions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    n_adopted: Mapped[int | None] = mapped_column(Integer, nullable=True)
    conformity: Mapped[float | None] = mapped_column(Float, nullable=True)
    conformity_distance: Mapped[int | None] = mapped_column(Integer, nullable=True)
    review_target_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), nullable=True)

    study: Mapped[Study] = relationship()
    version: Mapped[StudyVersion] = relationship()
    suggestions: Mapped[list[Suggestion]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", order_by="Suggestion.position",
        foreign_keys="Suggestion.participant_id")
    responses: Mapped[list[Response]] = relationship(cascade="all, delete-orphan")

    @property
    def cell(self) -> str:
        return f"{self.visibility}/{self.relation}"

    @property
    def definition(self):
        """The study in this participant's language (texts only; keys and scoring are the same)."""
        return self.version.definition.localized(self.language)


class Response(db.Model):
    """One answer to one questionnaire item; the unique key makes a re-post a no-op."""

    __table_args__ = (UniqueConstraint("participant_id", "item_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    block: Mapped[str] = mapped_column(String(20))
    item_key: Mapped[str] = mapped_column(String(columns.ITEM_KEY))
    value_num: Mapped[float | None] = mapped_column(Float, nullable=True)
    value_text: Mapped[str | None] = mapped_column(String(columns.ANSWER_TEXT), nullable=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Suggestion(db.Model):
    __table_args__ = (UniqueConstraint("participant_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    attribute: Mapped[str] = mapped_column(String(30))
    initial_level: Mapped[str] = mapped_column(String(30))
    suggested_level: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(String(columns.SUGGESTION_TEXT))
    persona_key: Mapped[str] = mapped_column(String(columns.PERSONA_KEY))
    persona_name: Mapped[str] = mapped_column(String(columns.PERSONA_NAME))
    persona_avatar: Mapped[str] = mapped_column(String(columns.PERSONA_AVATAR))
    relation: Mapped[str] = mapped_column(String(columns.RELATION))
    relation_label: Mapped[str] = mapped_column(String(columns.RELATION_LABEL))
    source: Mapped[str] = mapped_column(String(10), default="scripted")  # scripted | peer
    suggester_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), nullable=True)
    comment: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(10), nullable=True)  # adopted | rejected
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    final_level: Mapped[str | None] = mapped_column(String(30), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    participant: Mapped[Participant] = relationship(back_populates="suggestions", foreign_keys=[participant_id])


class PeerSuggestion(db.Model):
    """A suggestion one participant wrote for another's design (studies with real peers)."""

    __table_args__ = (UniqueConstraint("reviewer_id", "target_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"), nullable=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    attribute: Mapped[str] = mapped_column(String(30))
    suggested_level: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class Event(db.Model):
    """The append-only log: every page view, change, submission and decision."""

    __table_args__ = (Index("ix_event_participant", "participant_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    step: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[str] = mapped_column(Text, default="{}")

    @property
    def data(self) -> dict:
        return json.loads(self.payload or "{}")


class DesignRecord(db.Model):
    """A participant's designs by a keyed preview id (webapp.previews), deleted with the participant."""

    digest: Mapped[str] = mapped_column(String(20), primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), nullable=True, index=True)
    design_json: Mapped[str] = mapped_column(Text)


class StudioAction(db.Model):
    """What experimenters did to a study (status changes, members, deletions), never whom it concerned."""

    __tablename__ = "studio_action"
    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    experimenter_id: Mapped[int | None] = mapped_column(
        ForeignKey("experimenter.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(String(200), default="")

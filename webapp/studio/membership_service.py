"""Who belongs to a study and in which role, and invitations by e-mail.

Roles: owners do everything and manage members; editors steer, pilot, load versions and delete
on request; viewers watch the monitor and export. A study always keeps one owner.
An invitation is keyed by e-mail, not by account, so inviting tells nothing about who has one.
Every change is recorded as a StudioAction in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from ..database import lock
from ..extensions import db
from ..models import Experimenter, Study, StudyInvitation, StudyMember, utcnow
from ..study_admin import record_action

ROLES = ("owner", "editor", "viewer")
EDITING_ROLES = ("owner", "editor")
INVITATION_DAYS = 30


class MemberError(ValueError):
    """A change to the members that cannot be made; the message says why."""


class NotAMember(LookupError):
    """The experimenter named is not a member of the study."""


class NoSuchInvitation(LookupError):
    """No invitation with this id waits for this e-mail (withdrawn, expired or someone else's)."""


def membership(slug: str, experimenter_id: int) -> tuple[Study, str] | None:
    row = db.session.execute(
        select(Study, StudyMember.role).join(StudyMember, StudyMember.study_id == Study.id)
        .where(Study.slug == slug, StudyMember.experimenter_id == experimenter_id)).first()
    return None if row is None else (row[0], row[1])


def role_in(study: Study, experimenter_id: int) -> str | None:
    member = db.session.get(StudyMember, (study.id, experimenter_id))
    return None if member is None else member.role


def members_of(study: Study) -> Sequence[Any]:
    """(id, email, role) of every member, by e-mail."""
    return db.session.execute(select(Experimenter.id, Experimenter.email, StudyMember.role)
                              .join(StudyMember, StudyMember.experimenter_id == Experimenter.id)
                              .where(StudyMember.study_id == study.id).order_by(Experimenter.email)).all()


def invitations_of_study(study: Study) -> list[StudyInvitation]:
    return list(db.session.execute(select(StudyInvitation).where(StudyInvitation.study_id == study.id)
                                   .order_by(StudyInvitation.email)).scalars())


def _owners(study: Study) -> int:
    return db.session.execute(select(func.count()).select_from(StudyMember).where(
        StudyMember.study_id == study.id, StudyMember.role == "owner")).scalar_one()


def invite(study: Study, email: str, role: str, by: int) -> str:
    """Record an invitation; the answer is the same whether or not the e-mail has an account.

    The only look-up is among the study's own members (whom the owner sees listed anyway), so
    neither the message nor the work done depends on other accounts.
    """
    is_member = db.session.execute(
        select(StudyMember.experimenter_id).join(Experimenter, Experimenter.id == StudyMember.experimenter_id)
        .where(StudyMember.study_id == study.id, Experimenter.email == email)).first() is not None
    if is_member:
        return f"{email} is a member already; change their role in the list."
    invitation = db.session.execute(select(StudyInvitation).where(
        StudyInvitation.study_id == study.id, StudyInvitation.email == email)).scalar_one_or_none()
    if invitation is None:
        invitation = StudyInvitation(study_id=study.id, email=email)
        db.session.add(invitation)
    invitation.role, invitation.invited_by_id, invitation.created_at = role, by, utcnow()
    record_action(study, "member_invited", f"{email} as {role}", by)
    return (f"{email} is invited as {role}. The invitation waits on their studio page, now or once an account "
            f"with this e-mail exists, for {INVITATION_DAYS} days; they become a member when they accept it.")


def withdraw_invitation(study: Study, invitation_id: int, by: int) -> None:
    invitation = db.session.get(StudyInvitation, invitation_id)
    if invitation is not None and invitation.study_id == study.id:
        db.session.delete(invitation)
        record_action(study, "invitation_withdrawn", invitation.email, by)


def _fresh_since():
    return utcnow() - timedelta(days=INVITATION_DAYS)


def invitations_for(experimenter: Experimenter) -> Sequence[Any]:
    """(invitation, study, inviter's e-mail) waiting for this account's e-mail; expired ones left out."""
    return db.session.execute(
        select(StudyInvitation, Study, Experimenter.email)
        .join(Study, Study.id == StudyInvitation.study_id)
        .outerjoin(Experimenter, Experimenter.id == StudyInvitation.invited_by_id)
        .where(StudyInvitation.email == experimenter.email, StudyInvitation.created_at >= _fresh_since())
        .order_by(StudyInvitation.created_at)).all()


def _own_invitation(experimenter: Experimenter, invitation_id: int) -> StudyInvitation:
    invitation = db.session.get(StudyInvitation, invitation_id)
    if invitation is None or invitation.email != experimenter.email or invitation.created_at < _fresh_since():
        raise NoSuchInvitation()
    return invitation


def accept_invitation(experimenter: Experimenter, invitation_id: int) -> Study:
    invitation = _own_invitation(experimenter, invitation_id)
    study = lock(Study, invitation.study_id)
    if db.session.get(StudyMember, (study.id, experimenter.id)) is None:
        db.session.add(StudyMember(study_id=study.id, experimenter_id=experimenter.id, role=invitation.role))
        record_action(study, "member_joined", f"{experimenter.email} as {invitation.role}", experimenter.id)
    db.session.delete(invitation)
    return study


def decline_invitation(experimenter: Experimenter, invitation_id: int) -> None:
    invitation = _own_invitation(experimenter, invitation_id)
    record_action(invitation.study, "invitation_declined", invitation.email, experimenter.id)
    db.session.delete(invitation)


def _member(study: Study, experimenter_id: int) -> StudyMember:
    member = db.session.get(StudyMember, (study.id, experimenter_id))
    if member is None:
        raise NotAMember()
    return member


def change_role(study: Study, experimenter_id: int, role: str, by: int) -> str:
    """A new role for a member; the last owner keeps theirs."""
    study = lock(Study, study.id)  # one change at a time, so two owners cannot demote each other to none
    member = _member(study, experimenter_id)
    if member.role == role:
        return "That member has this role already."
    if member.role == "owner" and _owners(study) == 1:
        raise MemberError("A study needs an owner: make someone else owner first.")
    before, member.role = member.role, role
    record_action(study, "member_role", f"{member.experimenter.email}: {before} -> {role}", by)
    return f"{member.experimenter.email} is {role} now."


def remove_member(study: Study, experimenter_id: int, by: int) -> str:
    study = lock(Study, study.id)
    member = _member(study, experimenter_id)
    if member.role == "owner" and _owners(study) == 1:
        raise MemberError("The last owner cannot be removed: make someone else owner first.")
    email = member.experimenter.email
    db.session.delete(member)
    record_action(study, "member_removed", email, by)
    return f"{email} is no longer a member of this study."

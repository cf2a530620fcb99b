"""Members of a study, their roles, and invitations (the rules are in membership_service)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required

from ..accounts import AccountError, check_email
from ..extensions import db
from . import membership_service as members
from .blueprint import bp, owner_study, require_form
from .forms import InvitationForm, MemberForm, MemberRemoveForm, MemberRoleForm


def back_to(slug: str):
    return redirect(url_for(".study", slug=slug), code=303)


def commit_or_refuse(change):
    """Run a member change: refused ones are a 409 or 404 saying why, nothing written."""
    try:
        message = change()
    except members.MemberError as error:
        db.session.rollback()
        abort(409, str(error))
    except members.NotAMember:
        db.session.rollback()
        abort(404, "That experimenter is not a member of this study.")
    db.session.commit()
    flash(message, "info")


@bp.post("/studies/<slug>/members")
@login_required
def add_member(slug: str):
    study = owner_study(slug)
    form = require_form(MemberForm())
    try:
        email = check_email(form.email.data)
    except AccountError:
        flash("Please enter an e-mail address.", "error")
        return back_to(slug)
    commit_or_refuse(lambda: members.invite(study, email, form.role.data, current_user.id))
    return back_to(slug)


@bp.post("/studies/<slug>/members/role")
@login_required
def member_role(slug: str):
    study = owner_study(slug)
    form = require_form(MemberRoleForm())
    commit_or_refuse(lambda: members.change_role(study, form.experimenter.data, form.role.data, current_user.id))
    return back_to(slug)


@bp.post("/studies/<slug>/members/remove")
@login_required
def member_remove(slug: str):
    study = owner_study(slug)
    form = require_form(MemberRemoveForm())
    commit_or_refuse(lambda: members.remove_member(study, form.experimenter.data, current_user.id))
    if form.experimenter.data == current_user.id:  # one left the study oneself
        return redirect(url_for(".index"), code=303)
    return back_to(slug)


@bp.post("/studies/<slug>/invitations/withdraw")
@login_required
def withdraw_invitation(slug: str):
    study = owner_study(slug)
    form = require_form(InvitationForm())
    members.withdraw_invitation(study, form.invitation.data, current_user.id)
    db.session.commit()
    flash("The invitation is withdrawn.", "info")
    return back_to(slug)


def own_invitation_or_404(act):
    try:
        return act()
    except members.NoSuchInvitation:
        abort(404, "There is no such invitation for you (it may have been withdrawn or have expired).")


@bp.post("/invitations/accept")
@login_required
def invitation_accept():
    form = require_form(InvitationForm())
    study = own_invitation_or_404(lambda: members.accept_invitation(current_user, form.invitation.data))
    db.session.commit()
    flash(f"You are a member of {study.title} now.", "info")
    return redirect(url_for(".study", slug=study.slug), code=303)


@bp.post("/invitations/decline")
@login_required
def invitation_decline():
    form = require_form(InvitationForm())
    own_invitation_or_404(lambda: members.decline_invitation(current_user, form.invitation.data))
    db.session.commit()
    flash("The invitation is declined.", "info")
    return redirect(url_for(".index"), code=303)

"""Deleting a participant's data on request: look them up, confirm, delete."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import visitor
from ..extensions import db
from . import deletion_service
from .blueprint import bp, editor_study, require_form
from .forms import ActionForm, ConfirmDeleteForm, LookupForm


@bp.route("/studies/<slug>/delete", methods=["GET", "POST"])
@login_required
def delete(slug: str):
    study = editor_study(slug)
    form = LookupForm()
    if request.method == "POST":
        require_form(form)
        participant = deletion_service.find_participant(study, form.identifier.data)
        if participant is None:
            return render_template("studio/delete.html", study=study, form=form, logout_form=ActionForm(),
                                   not_found=True), 404
        confirm = ConfirmDeleteForm(formdata=None, reference=deletion_service.export_id(study, participant.id))
        return render_template("studio/delete_confirm.html", study=study, participant=participant,
                               reference=confirm.reference.data, form=confirm, logout_form=ActionForm())
    return render_template("studio/delete.html", study=study, form=form, logout_form=ActionForm(), not_found=False)


@bp.post("/studies/<slug>/delete/confirm")
@login_required
def delete_confirm(slug: str):
    study = editor_study(slug)
    form = require_form(ConfirmDeleteForm())
    participant = deletion_service.find_participant(study, form.reference.data)
    if participant is None:
        flash("That participant's data are gone already.", "info")
        return redirect(url_for(".study", slug=slug), code=303)
    deletion_service.delete_participant(study, participant, current_user.id)
    db.session.commit()
    here = visitor.participant_token(slug)
    if here and not deletion_service.token_exists(here):  # the experimenter deleted their own pilot participant
        visitor.forget_participant(slug)
    flash("The participant's data were deleted; the study's withdrawal count went up by one.", "info")
    return redirect(url_for(".study", slug=slug), code=303)

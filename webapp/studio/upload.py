"""Uploading a study file: the page, the request size it may have, and the answer when it is too large."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from .blueprint import bp, require_form
from .forms import ActionForm, UploadForm
from .study_file_service import (
    STUDY_FILE_MAX_BYTES,
    StudyFileTooLarge,
    kilobytes,
    load_upload,
    read_study_upload,
    safe_name,
)

UPLOAD_OVERHEAD_BYTES = 8 * 1024  # the multipart framing and the CSRF token around the file


def study_file_limit() -> int:
    return int(current_app.config.get("STUDY_FILE_MAX_BYTES", STUDY_FILE_MAX_BYTES))


def widen_limits_for_upload():
    """The upload takes a file up to the documented limit; every other form keeps the small defaults.

    Runs first among the app's before-request functions, because CSRF protection reads the form.
    """
    if request.endpoint == "studio.upload" and request.method == "POST":
        allowed = study_file_limit() + UPLOAD_OVERHEAD_BYTES
        request.max_content_length = max(allowed, current_app.config.get("MAX_CONTENT_LENGTH") or 0)
        request.max_form_memory_size = max(allowed, current_app.config.get("MAX_FORM_MEMORY_SIZE") or 0)


@bp.record_once
def _install_upload_limits(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, widen_limits_for_upload)


@bp.errorhandler(413)
@bp.errorhandler(StudyFileTooLarge)
def upload_too_large(error):
    """Too large a file gets the upload page again, saying what the limit is."""
    if request.endpoint != "studio.upload":
        return render_template("error.html", status=413, title="Too much data",
                               message=getattr(error, "description", "") or ""), 413
    limit = kilobytes(study_file_limit())
    problems = [("(file)", f"is larger than {limit}, the limit for a study file; "
                           "move long texts into instrument files or shorten them")]
    # formdata=None: the forms must not read a request body that was refused.
    return render_template("studio/upload.html", form=UploadForm(formdata=None), problems=problems, limit=limit,
                           logout_form=ActionForm(formdata=None)), 413


@bp.route("/upload", methods=["GET", "POST"])
@login_required
def upload():
    form = UploadForm()
    problems: list[tuple[str, str]] = []
    if request.method == "POST":
        require_form(form)
        name = safe_name(form.file.data.filename)
        data, problems = read_study_upload(form.file.data, study_file_limit())
        if not problems and data is not None:
            installed, problems = load_upload(data, name, current_user._get_current_object())
            if installed is not None:
                db.session.commit()
                number = installed.version.number
                flash(f"Version {number} loaded from {name}." if installed.created
                      else f"Unchanged: version {number} is this file already.", "info")
                gaps = installed.version.definition.translation_gaps()
                if gaps:
                    flash(f"Warning: {gaps}.", "warning")
                return redirect(url_for(".study", slug=installed.study.slug), code=303)
        db.session.rollback()
    return (render_template("studio/upload.html", form=form, problems=problems, limit=kilobytes(study_file_limit()),
                            logout_form=ActionForm()), 400 if problems else 200)

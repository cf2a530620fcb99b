"""The experimenters' studio: log in, see and steer one's studies, pilot, monitor, export, delete on request.

Every page needs a logged-in experimenter, and a study is only found for its members:
for anyone else it does not exist (404), so the studio never tells who runs what.

One module per job; views are thin and ask the service modules (the names ending in
_service) for what they show and change:

  blueprint      the blueprint, who may open which study (roles), shared error pages
  forms          every studio form
  accounts       log in and out, change one's password (services: webapp.accounts)
  studies        the list of studies, a study's page, open/pause/close
  members        members, roles and invitations (services: membership_service)
  pilot          piloting a cell from this browser
  monitor        the live monitor and the export download
  participants   every participant with step and deadline; extend, mark returned, resume link
  deletion       deleting a participant's data on request (services: deletion_service)
  upload         uploading a study file (checks: study_file_service)
"""

from __future__ import annotations

from ..models import StudioAction  # noqa: F401  (tests and callers read actions from here)
from . import accounts, deletion, members, monitor, participants, pilot, studies, upload  # noqa: F401  (register the views)
from .blueprint import bp

__all__ = ["bp", "StudioAction"]

"""The DPO's page on retention: the rules, what a run now would do, the last runs and the
counts kept of what was deleted. Read-only: the job itself runs from cron."""

from __future__ import annotations

from flask import render_template

from portal.auth.permissions import roles_required
from portal.blueprints.privacy.routes import bp
from portal.models import Role
from portal.services import retention as retention_service
from portal.services.retention import RULES, RULES_BY_NAME

CRON_COMMAND = "flask portal retention"


@bp.get("/databeskyttelse/sletning")
@roles_required(Role.DPO)
def retention() -> str:
    return render_template(
        "privacy/retention.html",
        rules=RULES,
        rules_by_name=RULES_BY_NAME,
        preview=retention_service.preview(),
        runs=retention_service.last_runs(),
        tallies=retention_service.tallies(),
        command=CRON_COMMAND,
    )

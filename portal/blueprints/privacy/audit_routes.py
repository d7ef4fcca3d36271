"""The DPO's view of the audit log: the chain's verification, a filter by person, object,
action and period, the matching entries page by page, and the same entries as CSV (an export
that is itself audited)."""

from __future__ import annotations

import json
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal import audit as audit_log
from portal import db
from portal.auth.permissions import roles_required
from portal.blueprints.privacy.audit_forms import AuditFilterForm
from portal.blueprints.privacy.routes import bp
from portal.csv_export import csv_response
from portal.db import utcnow
from portal.models import AuditEntry, Role
from portal.pagination import paginate
from portal.services import audit_labels, audit_search

PER_PAGE = 50
# One CSV holds at most this many entries (the newest); the page says so when more match.
CSV_MAX_ROWS = 50_000


def _details_text(entry: AuditEntry) -> str:
    return json.dumps(entry.details or {}, ensure_ascii=False, indent=2, sort_keys=True)


def _page_args() -> dict[str, str]:
    """The filter as query arguments, for the page links and the CSV link."""
    return {key: value for key, value in request.args.items() if key != "page" and value}


def _render(form: AuditFilterForm, status: int = 200, **context: Any) -> tuple[str, int]:
    chain = audit_log.verify_chain(db.session)
    return render_template(
        "privacy/audit.html",
        form=form,
        chain=chain,
        chain_reason=audit_labels.chain_reason(chain.reason) if not chain.ok else "",
        csv_max_rows=CSV_MAX_ROWS,
        max_persons=audit_search.MAX_PERSONS,
        action_label=audit_labels.action_label,
        object_type_label=audit_labels.object_type_label,
        local_time=audit_search.local_time,
        details_text=_details_text,
        **context,
    ), status


@bp.get("/databeskyttelse/revisionslog", endpoint="audit")
@roles_required(Role.DPO)
def audit_page() -> tuple[str, int]:
    form = AuditFilterForm(request.args)
    if not form.validate():
        return _render(form, 400)
    audit_filter = form.audit_filter()
    person = audit_search.find_person(audit_filter.person) if audit_filter.person else None
    page = paginate(
        audit_search.search(audit_filter, person),
        request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
    )
    names = audit_search.actor_names(page.items)
    return _render(
        form,
        page=page,
        args=_page_args(),
        person=person,
        actors={entry.id: audit_search.actor_text(entry, names) for entry in page.items},
    )


@bp.get("/databeskyttelse/revisionslog.csv", endpoint="audit_csv")
@roles_required(Role.DPO)
def audit_csv() -> Response | tuple[str, int]:
    form = AuditFilterForm(request.args)
    if not form.validate():
        return _render(form, 400)
    audit_filter = form.audit_filter()
    query = audit_search.search(audit_filter)
    total = audit_search.count(query)
    entries = list(db.session.scalars(query.limit(CSV_MAX_ROWS)))
    truncated = total > len(entries)
    names = audit_search.actor_names(entries)
    # An export of who did what is itself a read to account for (after the query, so the
    # file does not hold its own entry).
    audit_log.record(
        "audit.exported",
        object_type="audit_entry",
        details={"filter": audit_filter.as_details(), "rows": len(entries), "truncated": truncated},
    )
    header = [
        _("Nr."),
        _("Tidspunkt (dansk tid)"),
        _("Tidspunkt (UTC)"),
        _("Bruger"),
        _("Bruger-id"),
        _("Handling"),
        _("Handling (kode)"),
        _("Objekttype"),
        _("Objekt-id"),
        _("IP-adresse"),
        _("Browser"),
        _("Detaljer"),
        _("Forrige hash"),
        _("Hash"),
    ]
    rows: list[list[object]] = [
        [
            entry.id,
            audit_search.local_time(entry.occurred_at),
            entry.occurred_at.isoformat(),
            audit_search.actor_text(entry, names),
            entry.actor_id or "",
            audit_labels.action_label(entry.action),
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.ip_address,
            entry.user_agent,
            json.dumps(entry.details or {}, ensure_ascii=False, sort_keys=True),
            entry.prev_hash,
            entry.entry_hash,
        ]
        for entry in entries
    ]
    if truncated:
        rows.append(
            [
                _(
                    "Filen er afkortet: kun de nyeste %(rows)d af %(total)d poster er med. Afgræns søgningen for at få resten.",
                    rows=len(entries),
                    total=total,
                )
            ]
        )
    day = utcnow().astimezone(audit_search.COPENHAGEN).date().isoformat()
    return csv_response(f"revisionslog-{day}.csv", header, rows)

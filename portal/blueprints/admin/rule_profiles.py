"""The admin's pages for the rules: each security level's profile, and an institution's own
tightening of its level's profile.

The routes live on the admin blueprint (and behind its admins-only gate). The business rules,
the refusal of a loosening and the audit are in ``portal.services.rule_admin``.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import roles_required
from portal.blueprints.admin.routes import bp
from portal.blueprints.admin.rule_forms import InstitutionRulesForm, RuleProfileForm
from portal.models import Institution, Role, SecurityLevel
from portal.services import rule_admin
from portal.services.rule_admin import ChangedMeanwhile, InvalidRules, RuleAdminError
from portal.services.rule_profiles import FALLBACK, profile_of, tighten


def _language() -> str:
    return str(get_locale() or "da")[:2]


def _show_errors(form: Any, refused: RuleAdminError) -> None:
    """Put a refusal's messages on the fields they concern (the page's error summary lists them)."""
    problems = (
        refused.problems
        if isinstance(refused, InvalidRules)
        else [(refused.field, refused.message)]
    )
    for field_name, message in problems:
        field = getattr(form, field_name, None) if field_name else None
        if field is not None:
            field.errors = [*field.errors, str(message)]
        else:
            form.form_errors.append(str(message))


@bp.get("/regler")
@roles_required(Role.ADMIN)
def rule_profiles() -> str:
    return render_template(
        "admin/rule_profiles.html",
        levels=[
            (level, rule_admin.profile_values(profile) if profile else None)
            for level, profile in rule_admin.levels()
        ],
        fallback=rule_admin.profile_values(FALLBACK),
        institutions=rule_admin.institutions_with_rules(),
        fields=rule_admin.FIELDS,
        labels=rule_admin.FIELD_LABELS,
    )


def _render_profile(
    level: SecurityLevel, form: RuleProfileForm, status: int = 200, *, stale: bool = False
) -> tuple[str, int]:
    profile = rule_admin.profile_for(level)
    return render_template(
        "admin/rule_profile.html",
        level=level,
        has_profile=profile is not None,
        saved=rule_admin.shown_profile(level) if stale else None,
        form=form,
        institutions=rule_admin.institutions_at(level),
        tightened={inst.id for inst, _rows, _note in rule_admin.institutions_with_rules()},
        fields=rule_admin.FIELDS,
        labels=rule_admin.FIELD_LABELS,
    ), status


@bp.route("/regler/<uuid:level_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def rule_profile(level_id: uuid.UUID) -> Response | tuple[str, int]:
    level = db.session.get(SecurityLevel, level_id)
    if level is None:
        abort(404)
    form = RuleProfileForm()
    if not form.is_submitted():
        profile = rule_admin.profile_for(level)
        return _render_profile(
            level,
            RuleProfileForm.from_values(
                rule_admin.shown_profile(level), rule_admin.profile_fingerprint(profile)
            ),
        )
    if not form.validate():
        return _render_profile(level, form, 400)
    try:
        changes = rule_admin.save_profile(level, form.values(), seen=form.seen.data or None)
    except ChangedMeanwhile as refused:
        # Keep what the admin typed; the page now shows the saved values and takes the new
        # fingerprint, so a second "Gem" deliberately overwrites them.
        form.seen.data = rule_admin.profile_fingerprint(rule_admin.profile_for(level))
        _show_errors(form, refused)
        return _render_profile(level, form, 409, stale=True)
    except RuleAdminError as refused:
        _show_errors(form, refused)
        return _render_profile(level, form, 400)
    if changes:
        flash(
            _("Reglerne for niveauet %(level)s er gemt.", level=level.name_for(_language())),
            "success",
        )
    else:
        flash(_("Der var ingen ændringer at gemme."), "info")
    return redirect(url_for("admin.rule_profile", level_id=level.id))


def _render_institution(
    institution: Institution, form: InstitutionRulesForm, status: int = 200, *, stale: bool = False
) -> tuple[str, int]:
    profile = profile_of(institution)
    own = rule_admin.institution_rules_for(institution)
    return render_template(
        "admin/rule_institution.html",
        institution=institution,
        level=rule_admin.profile_values(profile),
        has_profile=rule_admin.profile_for(institution.security_level) is not None,
        own=rule_admin.own_values(own) if stale else None,
        effective=rule_admin.effective_values(tighten(profile, own)),
        form=form,
        fields=rule_admin.FIELDS,
        labels=rule_admin.FIELD_LABELS,
    ), status


def _institution_fingerprint(institution: Institution) -> str:
    return rule_admin.institution_fingerprint(
        profile_of(institution), rule_admin.institution_rules_for(institution)
    )


@bp.route("/institutioner/<uuid:institution_id>/regler", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def institution_rules(institution_id: uuid.UUID) -> Response | tuple[str, int]:
    institution = db.session.get(Institution, institution_id)
    if institution is None:
        abort(404)
    level = rule_admin.profile_values(profile_of(institution))
    form = InstitutionRulesForm().offer(level)
    if not form.is_submitted():
        own = rule_admin.own_values(rule_admin.institution_rules_for(institution))
        return _render_institution(
            institution,
            InstitutionRulesForm.from_values(own, level, _institution_fingerprint(institution)),
        )
    if not form.validate():
        return _render_institution(institution, form, 400)
    try:
        changes = rule_admin.save_institution_rules(
            institution, form.values(), seen=form.seen.data or None
        )
    except ChangedMeanwhile as refused:
        form.seen.data = _institution_fingerprint(institution)
        _show_errors(form, refused)
        return _render_institution(institution, form, 409, stale=True)
    except RuleAdminError as refused:
        _show_errors(form, refused)
        return _render_institution(institution, form, 400)
    if changes:
        flash(_("Reglerne for %(name)s er gemt.", name=institution.name), "success")
    else:
        flash(_("Der var ingen ændringer at gemme."), "info")
    return redirect(url_for("admin.institution_rules", institution_id=institution.id))

"""The family's ranked preferences: saved page by page, submitted, or entered by staff for them.

Rules (s38 Children and Families Act 2014 and the round's settings): up to
``round.max_preferences``, no setting twice, a listed setting must take
children into the round's phase, and answers are editable while the window is
open. After it closes a submitted case is read-only; a family that never
submitted may still submit, flagged late for the caseworker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string

from phasetransfer.cases.state import case_receive_preferences
from phasetransfer.cohort.selectors import primary_contact
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.outbox import email_enqueue, site_url
from phasetransfer.models import (
    Case,
    CaseState,
    Phase,
    Preference,
    PreferenceSubmission,
    Setting,
    User,
)
from phasetransfer.preferences.selectors import (
    preferences_snapshot,
    why_not_editable,
)

REASONS_MAX = 2000
ON_BEHALF_CHANNELS = ("phone", "paper", "email", "meeting")


class PreferenceRefused(Exception):
    """A preference change the rules do not allow; the message is shown to the user as is."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PreferenceChoice:
    """One preference as staff enter it for a family (a listed setting or another by name)."""

    setting: Setting | None = None
    other_name: str = ""
    other_details: str = ""
    reasons: str = ""


def _check_editable(case: Case, now: dt.datetime) -> None:
    if reason := why_not_editable(case, now):
        raise PreferenceRefused(reason)


def _check_setting(case: Case, setting: Setting, *, ignore: Preference | None = None) -> None:
    if not setting.serves(case.round.phase):
        phase = Phase(case.round.phase).label
        raise PreferenceRefused(
            f"{setting.name} does not take children into {phase}. Choose another school or "
            "college.",
            "setting",
        )
    clash = case.preferences.filter(setting=setting)
    if ignore is not None:
        clash = clash.exclude(pk=ignore.pk)
    if clash.exists():
        raise PreferenceRefused(f"You have already named {setting.name}.", "setting")


def _check_reasons(reasons: str) -> None:
    if len(reasons) > REASONS_MAX:
        raise PreferenceRefused(
            f"Your reasons must be {REASONS_MAX} characters or fewer.", "reasons"
        )


def preference_add(
    *,
    case: Case,
    actor: User | None,
    setting: Setting | None = None,
    other_name: str = "",
    other_details: str = "",
    reasons: str = "",
    on_behalf: bool = False,
    now: dt.datetime | None = None,
) -> Preference:
    moment = now or clock.now()
    other_name = other_name.strip()
    if not on_behalf:
        _check_editable(case, moment)
    if (setting is None) == (not other_name):
        raise PreferenceRefused("Choose a school or college, or name one.", "setting")
    _check_reasons(reasons)
    with transaction.atomic():
        current = case.preferences.select_for_update().count()
        if current >= case.round.max_preferences:
            raise PreferenceRefused(
                f"You can name up to {case.round.max_preferences} preferences. Remove one to "
                "add another.",
                "setting",
            )
        if setting is not None:
            _check_setting(case, setting)
        elif case.preferences.filter(other_name__iexact=other_name).exists():
            raise PreferenceRefused(f"You have already named {other_name}.", "other_name")
        rank = (case.preferences.aggregate(m=Max("rank"))["m"] or 0) + 1
        preference = Preference.objects.create(
            case=case,
            rank=rank,
            setting=setting,
            other_name=other_name,
            other_details=other_details.strip(),
            reasons=reasons.strip(),
            entered_by=actor,
            entered_on_behalf=on_behalf,
        )
        audit_record(
            case=case,
            action="preference.added",
            actor=actor,
            data={
                "rank": rank,
                "setting": setting.urn if setting else None,
                "on_behalf": on_behalf,
            },
            now=moment,
        )
    return preference


def preference_set_reasons(
    *, preference: Preference, reasons: str, actor: User, now: dt.datetime | None = None
) -> Preference:
    moment = now or clock.now()
    _check_editable(preference.case, moment)
    _check_reasons(reasons)
    preference.reasons = reasons.strip()
    preference.save(update_fields=["reasons", "updated_at"])
    return preference


def _rewrite_order(ordered: list[Preference]) -> None:
    """Store ``ordered`` as ranks 1..n, keeping each row (and so its id, which pages and
    links use). Two steps, because (case, rank) is unique at every moment."""
    if not ordered:
        return
    offset = max(p.rank for p in ordered) + len(ordered)
    for step in (offset, 0):
        for rank, preference in enumerate(ordered, start=1):
            preference.rank = rank + step
        Preference.objects.bulk_update(ordered, ["rank"])


def _setting_code(preference: Preference) -> int | str:
    """What an audit event records of a preference: the setting's URN, or "other" for one
    the family typed (their words stay on the preference, not in the audit trail)."""
    return preference.setting.urn if preference.setting else "other"


class StaleList(PreferenceRefused):
    """The list changed since the page was shown (a second tab, a double click)."""


STALE_MESSAGE = (
    "Your list changed since this page was shown, perhaps in another window or tab. Here "
    "it is now: make the change again if you still want it."
)


def preference_remove(
    *, case: Case, preference_id: int, actor: User, now: dt.datetime | None = None
) -> Preference:
    """Remove one preference, addressed by its id: a second request for the same one (a
    double click, a second tab) finds it gone and removes nothing else."""
    moment = now or clock.now()
    _check_editable(case, moment)
    with transaction.atomic():
        ordered = list(case.preferences.select_for_update(of=("self",)).select_related("setting"))
        ordered.sort(key=lambda p: p.rank)
        gone = next((p for p in ordered if p.pk == preference_id), None)
        if gone is None:
            raise StaleList("That preference was already removed.")
        remaining = [p for p in ordered if p is not gone]
        gone.delete()
        _rewrite_order(remaining)
        audit_record(
            case=case,
            action="preference.removed",
            actor=actor,
            data={"rank": gone.rank, "setting": _setting_code(gone)},
            now=moment,
        )
    return gone


def preference_move(
    *,
    case: Case,
    preference_id: int,
    up: bool,
    actor: User,
    shown: list[int] | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Move one preference up or down. ``shown``: the order the page showed; if the list has
    changed since, nothing moves (a double click would otherwise move it twice)."""
    moment = now or clock.now()
    _check_editable(case, moment)
    with transaction.atomic():
        ordered = list(case.preferences.select_for_update(of=("self",)).select_related("setting"))
        ordered.sort(key=lambda p: p.rank)
        if shown is not None and [p.pk for p in ordered] != shown:
            raise StaleList(STALE_MESSAGE)
        index = next((i for i, p in enumerate(ordered) if p.pk == preference_id), None)
        if index is None:
            raise StaleList("That preference is no longer in your list.")
        target = index + (-1 if up else 1)
        if not 0 <= target < len(ordered):
            return
        ordered[index], ordered[target] = ordered[target], ordered[index]
        moved = ordered[target]
        _rewrite_order(ordered)
        audit_record(
            case=case,
            action="preference.moved",
            actor=actor,
            data={"from": index + 1, "to": target + 1, "setting": _setting_code(moved)},
            now=moment,
        )


def preferences_submit(
    *,
    case: Case,
    actor: User | None,
    on_behalf: str = "",
    now: dt.datetime | None = None,
) -> PreferenceSubmission:
    """Record the family's preferences as submitted, with a receipt number and an email receipt."""
    moment = now or clock.now()
    if not on_behalf:
        _check_editable(case, moment)
    elif on_behalf not in ON_BEHALF_CHANNELS:
        raise PreferenceRefused("Say how the family gave their preferences.", "on_behalf")
    if not case.preferences.exists():
        raise PreferenceRefused("Name at least one school or college before you submit.")
    late = moment >= case.round.preference_closes_at
    with transaction.atomic():
        count = case.submissions.count()
        submission = PreferenceSubmission.objects.create(
            case=case,
            submitted_at=moment,
            submitted_by=actor,
            on_behalf=on_behalf,
            late=late,
            receipt=f"{case.reference}-{count + 1}",
            snapshot=preferences_snapshot(case),
        )
        if case.state in (CaseState.IDENTIFIED, CaseState.INVITED):
            reason = f"entered by staff ({on_behalf})" if on_behalf else ""
            case_receive_preferences(case=case, actor=actor, reason=reason, now=moment)
        audit_record(
            case=case,
            action="preferences.submitted_on_behalf" if on_behalf else "preferences.submitted",
            actor=actor,
            data={"receipt": submission.receipt, "late": late, "count": len(submission.snapshot)},
            now=moment,
        )
        _email_receipt(case, submission, moment)
    return submission


def _email_receipt(case: Case, submission: PreferenceSubmission, now: dt.datetime) -> None:
    contact = primary_contact(case)
    if contact is None or not contact.email:
        return
    body = render_to_string(
        "phasetransfer/preferences/emails/receipt.txt",
        {
            "receipt": submission.receipt,
            "round": case.round,
            "sign_in_url": site_url("login"),
            "local_authority_name": settings.LOCAL_AUTHORITY_NAME,
        },
    )
    email_enqueue(
        key=f"preferences-receipt:{submission.receipt}",
        kind="preferences_receipt",
        to=contact.email,
        subject=f"We have received your preferences (reference {submission.receipt})",
        body=body,
        case=case,
        now=now,
    )


def preferences_enter_on_behalf(
    *,
    case: Case,
    choices: list[PreferenceChoice],
    channel: str,
    actor: User,
    now: dt.datetime | None = None,
) -> PreferenceSubmission:
    """Staff replace the case's preferences with what the family said by phone or on paper."""
    moment = now or clock.now()
    if not choices:
        raise PreferenceRefused("Enter at least one preference.")
    if len(choices) > case.round.max_preferences:
        raise PreferenceRefused(f"No more than {case.round.max_preferences} preferences.")
    with transaction.atomic():
        case.preferences.all().delete()
        for choice in choices:
            preference_add(
                case=case,
                actor=actor,
                setting=choice.setting,
                other_name=choice.other_name,
                other_details=choice.other_details,
                reasons=choice.reasons,
                on_behalf=True,
                now=moment,
            )
        return preferences_submit(case=case, actor=actor, on_behalf=channel, now=moment)


def details_confirm(
    *, case: Case, actor: User, correction: str = "", now: dt.datetime | None = None
) -> Case:
    moment = now or clock.now()
    case.details_confirmed_at = moment
    case.details_correction = correction.strip()
    case.save(update_fields=["details_confirmed_at", "details_correction"])
    audit_record(
        case=case,
        action="details.confirmed" if not correction else "details.correction_reported",
        actor=actor,
        now=moment,
    )
    return case

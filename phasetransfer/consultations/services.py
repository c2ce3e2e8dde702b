"""Consultations with settings (s39 Children and Families Act 2014): send, answer, withdraw.

The clock. A consultation sent at any moment on London calendar day D, in a round
with N consultation days (15 by default), is due by the **end of day D + N in
London**: day 1 is the day after sending, and the setting may respond until
23:59:59 on day N. ``due_at`` stores the first instant after that day (00:00 on
D + N + 1, London), the same convention as the round's statutory deadline, so a
consultation is overdue when ``now >= due_at``. Clock changes in between do not
move it: the days are calendar days in London, not 24-hour periods.

A response is recorded once. It is not amended, by the school or anyone else:
the family and the caseworker may already have read it, and the allocation may
already have used it, so a silent change would make the LA's decision harder to
explain. A school that got it wrong asks the caseworker, who re-sends the
consultation (a new row that ``replaces`` the old one, with its own clock), and
both answers stay on record.

Emails go through the outbox, one recipient each, never with the child's details.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Prefetch

from phasetransfer.cases.state import (
    TRANSITIONS,
    IllegalTransition,
    case_reconsult,
    case_start_consultation,
)
from phasetransfer.consultations.emails import notify_batch, notify_sent, notify_withdrawn
from phasetransfer.consultations.selectors import ANSWERED, consultations_current
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.conditions import Condition
from phasetransfer.models import (
    Case,
    CaseState,
    Consultation,
    ConsultationGround,
    ConsultationStatus,
    Phase,
    Preference,
    ProgrammeAnswer,
    Round,
    Setting,
    User,
)
from phasetransfer.preferences.nearest import nearest_mainstream, phase_settings

RESPONSE_MAX = 5000
REASON_MAX = 300  # Consultation.withdrawn_reason
ON_BEHALF_CHANNELS = ("email", "phone", "letter", "meeting")
NO_GROUND_MESSAGE = "Select at least one reason why the school cannot meet the child's needs"
NO_EXPLANATION_MESSAGE = "Explain why the school cannot meet the child's needs"
# A post-16 provider lists a few programmes (courses) with their entry requirements, for the
# panel to name one in a conditional offer; a longer prospectus belongs in the explanation.
PROGRAMMES_MAX = 3
PROGRAMME_NAME_MAX = 200  # ProgrammeAnswer.name

# Cases the round send may consult: before proposals are made. Cases further on are
# re-consulted one by one, with a reason (``consultation_resend``, ``consultation_add``).
_START_SOURCES = TRANSITIONS["start_consultation"].sources
_RECONSULT_SOURCES = TRANSITIONS["reconsult"].sources
ROUND_SENDABLE = _START_SOURCES | {CaseState.CONSULTING}


class ConsultationRefused(Exception):
    """A consultation change the rules do not allow; the message is shown to the user as is."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def consultation_due_at(*, sent_at: dt.datetime, days: int) -> dt.datetime:
    """The first instant after the last day to respond (see the module docstring)."""
    sent_day = sent_at.astimezone(clock.LONDON).date()
    return clock.end_of_day_in_london(sent_day + dt.timedelta(days=days))


def _ensure_consulting(case: Case, *, actor: User | None, reason: str, now: dt.datetime) -> None:
    """Move the case to CONSULTING if it is not there; only case_state changes its state."""
    state = Case.objects.values_list("state", flat=True).get(pk=case.pk)
    try:
        if state in _START_SOURCES:
            case_start_consultation(case=case, actor=actor, now=now)
        elif state in _RECONSULT_SOURCES:
            case_reconsult(case=case, actor=actor, reason=reason, now=now)
        elif state != CaseState.CONSULTING:
            label = CaseState(state).label.lower()
            raise ConsultationRefused(f"Case {case.reference} is {label}: it cannot be consulted.")
    except IllegalTransition as exc:
        raise ConsultationRefused(str(exc), "reason") from None


def _create(
    *,
    case: Case,
    setting: Setting,
    actor: User | None,
    now: dt.datetime,
    why: list[str],
    replaces: Consultation | None = None,
) -> Consultation:
    consultation = Consultation.objects.create(
        case=case,
        setting=setting,
        sent_at=now,
        due_at=consultation_due_at(sent_at=now, days=case.round.consultation_days),
        replaces=replaces,
    )
    audit_record(
        case=case,
        action="consultation.resent" if replaces else "consultation.sent",
        actor=actor,
        data={
            "consultation": consultation.pk,
            "setting": setting.urn,
            "why": why,
            "due_at": consultation.due_at.isoformat(),
            "replaces": replaces.pk if replaces else None,
        },
        now=now,
    )
    return consultation


# --- The round send ---------------------------------------------------------


@dataclass
class SendReport:
    consultations_created: int = 0
    cases_consulted: int = 0
    emails_queued: int = 0
    skipped_withdrawn: int = 0
    skipped_later_stage: int = 0
    other_named: int = 0
    nothing_to_consult: list[str] = field(default_factory=list)
    settings_without_contact: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.consultations_created} consultations sent for {self.cases_consulted} cases; "
            f"{self.emails_queued} notification emails queued. Skipped: "
            f"{self.skipped_withdrawn} withdrawn, {self.skipped_later_stage} past consultation. "
            f"{self.other_named} preferences name a setting not in the list; "
            f"{len(self.nothing_to_consult)} cases have nothing to consult."
        )


@dataclass(frozen=True)
class _Target:
    setting: Setting
    why: list[str]


def _targets(case: Case, candidates: list[Setting] | None = None) -> list[_Target]:
    """Each setting the family named, then the nearest mainstream (Kent always consults it)."""
    targets: dict[int, _Target] = {}
    for preference in case.preferences.all():
        if preference.setting is not None:
            targets[preference.setting.pk] = _Target(preference.setting, ["preference"])
    for nearby in nearest_mainstream(case, limit=1, candidates=candidates):
        if nearby.setting.pk in targets:
            targets[nearby.setting.pk].why.append("nearest_mainstream")
        else:
            targets[nearby.setting.pk] = _Target(nearby.setting, ["nearest_mainstream"])
    return list(targets.values())


def _plan(
    round_: Round, report: SendReport, only: Collection[int] | None = None
) -> list[tuple[Case, list[_Target]]]:
    """Read-only: what to consult for each case (done before the write transaction)."""
    preferences = Preference.objects.select_related("setting").order_by("rank")
    cases = (
        Case.objects.filter(round=round_)
        .select_related("child", "round")
        .prefetch_related(Prefetch("preferences", queryset=preferences))
        .order_by("reference")
    )
    if only is not None:
        cases = cases.filter(pk__in=only)
    plan = []
    candidates = phase_settings(round_.phase)  # once for the round, not once per child
    for case in cases:
        if case.state == CaseState.WITHDRAWN:
            report.skipped_withdrawn += 1
            continue
        if case.state not in ROUND_SENDABLE:
            report.skipped_later_stage += 1
            continue
        report.other_named += sum(1 for p in case.preferences.all() if p.setting_id is None)
        targets = _targets(case, candidates)
        if targets:
            plan.append((case, targets))
        else:
            report.nothing_to_consult.append(case.reference)
    return plan


def round_check_sendable(*, round_: Round, now: dt.datetime) -> None:
    """Consultations go once the family's chance to name preferences is over."""
    if now < round_.preference_closes_at:
        closes = round_.preference_closes_at.astimezone(clock.LONDON)
        raise ConsultationRefused(
            f"The preference window closes at {closes:%H:%M} on {closes:%-d %B %Y}. "
            "Send consultations after it closes."
        )


def consultations_planned(
    *, round_: Round, only: Collection[int]
) -> list[tuple[Case, list[Setting]]]:
    """What sending for the cases ``only`` would consult, case by case: the confirmation
    page shows the same plan the send then follows."""
    plan = _plan(round_, SendReport(), only)
    return [(case, [target.setting for target in targets]) for case, targets in plan]


def consultations_send_round(
    *,
    round_: Round,
    actor: User | None,
    now: dt.datetime | None = None,
    only: Collection[int] | None = None,
) -> SendReport:
    """Consult every named setting and the nearest mainstream for each open case of ``round``
    (or only for the cases whose ids are in ``only``: a caseworker's selection).

    Safe to run any number of times: a (case, setting) pair that has ever been
    consulted is not consulted again here (withdrawn ones included: someone decided
    that), and a case already consulting stays so. Each setting's contacts get
    one email for the batch, keyed by setting, round and day.
    """
    moment = now or clock.now()
    round_check_sendable(round_=round_, now=moment)
    report = SendReport()
    plan = _plan(round_, report, only)
    created: dict[int, list[Consultation]] = defaultdict(list)
    with transaction.atomic():
        # One send per round at a time: a second one waits here, then finds the work done.
        Round.objects.select_for_update().get(pk=round_.pk)
        consulted = set(
            Consultation.objects.filter(case__round=round_).values_list("case_id", "setting_id")
        )
        states = dict(Case.objects.filter(round=round_).values_list("pk", "state"))
        for case, targets in plan:
            new = [t for t in targets if (case.pk, t.setting.pk) not in consulted]
            if not new or states.get(case.pk) not in ROUND_SENDABLE:
                continue
            if states[case.pk] != CaseState.CONSULTING:
                case_start_consultation(case=case, actor=actor, now=moment)
            for target in new:
                consultation = _create(
                    case=case, setting=target.setting, actor=actor, now=moment, why=target.why
                )
                created[target.setting.pk].append(consultation)
            report.cases_consulted += 1
            report.consultations_created += len(new)
        for batch in created.values():
            notified = notify_batch(round_=round_, consultations=batch, now=moment)
            report.emails_queued += notified.queued
            if not notified.contacts:
                report.settings_without_contact.append(batch[0].setting.name)
    return report


# --- One consultation ---------------------------------------------------------


def consultation_add(
    *,
    case: Case,
    setting: Setting,
    actor: User,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Consultation:
    """Consult one more setting for one case (s39: any school the LA is considering)."""
    moment = now or clock.now()
    if not setting.serves(case.round.phase):
        raise ConsultationRefused(
            f"{setting.name} does not take children into this phase.", "setting"
        )
    if consultations_current(case).filter(setting=setting).exists():
        raise ConsultationRefused(
            f"{setting.name} has already been consulted for this case. Re-send that "
            "consultation instead.",
            "setting",
        )
    with transaction.atomic():
        _ensure_consulting(case, actor=actor, reason=reason.strip(), now=moment)
        consultation = _create(case=case, setting=setting, actor=actor, now=moment, why=["added"])
        notify_sent(consultation=consultation, now=moment)
    return consultation


def _check_response(
    *, can_meet: bool, grounds: set[str], text: str, on_behalf: bool, channel: str
) -> None:
    unknown = grounds - set(ConsultationGround.values)
    if unknown:
        raise ConsultationRefused(f"Unknown ground: {', '.join(sorted(unknown))}.", "grounds")
    if not can_meet and not grounds:
        raise ConsultationRefused(NO_GROUND_MESSAGE, "grounds")
    if not can_meet and not text:
        raise ConsultationRefused(NO_EXPLANATION_MESSAGE, "response_text")
    if len(text) > RESPONSE_MAX:
        raise ConsultationRefused(
            f"The response must be {RESPONSE_MAX} characters or fewer.", "response_text"
        )
    if on_behalf and channel not in ON_BEHALF_CHANNELS:
        raise ConsultationRefused("Say how the school gave its response.", "channel")


@dataclass(frozen=True)
class ProgrammeOffer:
    """A post-16 provider's answer for one of its programmes: whether it can meet the young
    person's needs on it, and its entry requirements (``None``: open entry)."""

    name: str
    can_meet_need: bool
    entry: Condition | None = None


def programme_field(number: int, part: str) -> str:
    """The response form's field for one part of programme ``number`` (1, 2, 3)."""
    return f"programme_{number}_{part}"


def programme_name_key(name: str) -> str:
    """Names that differ only in case or spacing are the same programme to a reader."""
    return " ".join(name.split()).casefold()


def no_programme_name_message(number: int) -> str:
    return f"Enter a name for programme {number}"


def duplicate_programme_message(number: int, first: int) -> str:
    return (
        f"Programme {number} has the same name as programme {first}: "
        "give each programme a different name"
    )


def meets_on_programme_message(number: int) -> str:
    return (
        "You said you cannot meet the young person's needs, so answer no for "
        f"programme {number}, or change your answer to whether you can meet their needs"
    )


def _check_programmes(
    consultation: Consultation, programmes: Sequence[ProgrammeOffer], *, can_meet: bool
) -> list[ProgrammeOffer]:
    """The programmes as stored (names tidied), or the first reason they cannot be."""
    if not programmes:
        return []
    if consultation.case.round.phase != Phase.POST16:
        raise ConsultationRefused("Programmes are given in post-16 consultations only.")
    if len(programmes) > PROGRAMMES_MAX:
        raise ConsultationRefused(f"Give at most {PROGRAMMES_MAX} programmes.")
    seen: dict[str, int] = {}
    tidy = []
    for number, programme in enumerate(programmes, start=1):
        name = " ".join(programme.name.split())
        if not name:
            raise ConsultationRefused(
                no_programme_name_message(number), programme_field(number, "name")
            )
        if len(name) > PROGRAMME_NAME_MAX:
            raise ConsultationRefused(
                f"The name of programme {number} must be {PROGRAMME_NAME_MAX} characters or fewer",
                programme_field(number, "name"),
            )
        key = programme_name_key(name)
        if key in seen:
            raise ConsultationRefused(
                duplicate_programme_message(number, seen[key]), programme_field(number, "name")
            )
        seen[key] = number
        # "Can meet need" on a programme is the overall answer's detail, never against it.
        if programme.can_meet_need and not can_meet:
            raise ConsultationRefused(
                meets_on_programme_message(number), programme_field(number, "can_meet")
            )
        tidy.append(ProgrammeOffer(name, programme.can_meet_need, programme.entry))
    return tidy


def _already(consultation: Consultation) -> ConsultationRefused:
    consultation.refresh_from_db()
    if consultation.status == ConsultationStatus.WITHDRAWN:
        return ConsultationRefused("This consultation has been withdrawn. No response is needed.")
    answered = (
        consultation.responded_at.astimezone(clock.LONDON) if consultation.responded_at else None
    )
    when = f" on {answered:%-d %B %Y at %H:%M}" if answered else ""
    return ConsultationRefused(f"A response to this consultation was already recorded{when}.")


def consultation_respond(
    *,
    consultation: Consultation,
    can_meet: bool,
    grounds: Iterable[str] = (),
    only_setting: bool = False,
    text: str = "",
    actor: User,
    on_behalf: bool = False,
    channel: str = "",
    programmes: Sequence[ProgrammeOffer] = (),
    now: dt.datetime | None = None,
) -> Consultation:
    """Record the setting's answer, once. Late answers are accepted and marked late.

    ``only_setting``: the setting says only it can meet the need (meaningful with
    ``can_meet`` only); the first claim under the council's oversubscription rule.

    ``programmes`` (post-16 rounds only): the provider's programmes, each with its entry
    requirements and whether it can meet the need on it, stored with the answer and in the
    same transaction, so the answer and its programmes are never seen apart.
    """
    moment = now or clock.now()
    text = text.strip()
    # Grounds explain a refusal only; a form may still post boxes ticked before "can meet".
    chosen = set() if can_meet else set(grounds)
    _check_response(
        can_meet=can_meet, grounds=chosen, text=text, on_behalf=on_behalf, channel=channel
    )
    offered = _check_programmes(consultation, programmes, can_meet=can_meet)
    if consultation.case.state == CaseState.WITHDRAWN:
        raise ConsultationRefused("This child's case has been withdrawn. No response is needed.")
    status = ConsultationStatus.CAN_MEET if can_meet else ConsultationStatus.CANNOT_MEET
    with transaction.atomic():
        # The conditional update is what makes "recorded once" true under double clicks
        # and two contacts answering at the same moment.
        updated = Consultation.objects.filter(
            pk=consultation.pk, status=ConsultationStatus.PENDING
        ).update(
            status=status,
            ground_unsuitable=ConsultationGround.UNSUITABLE in chosen,
            ground_others=ConsultationGround.OTHERS in chosen,
            ground_resources=ConsultationGround.RESOURCES in chosen,
            only_setting=can_meet and only_setting,
            response_text=text,
            responded_at=moment,
            responded_by=actor,
            recorded_on_behalf=on_behalf,
        )
        if updated != 1:
            raise _already(consultation)
        consultation.programmes.all().delete()
        ProgrammeAnswer.objects.bulk_create(
            ProgrammeAnswer(
                consultation=consultation,
                position=position,
                name=programme.name,
                entry_requirements=programme.entry.to_json() if programme.entry else None,
                can_meet_need=programme.can_meet_need,
            )
            for position, programme in enumerate(offered, start=1)
        )
        audit_record(
            case=consultation.case,
            action="consultation.answered_on_behalf" if on_behalf else "consultation.answered",
            actor=actor,
            data={
                "consultation": consultation.pk,
                "setting": consultation.setting.urn,
                "status": status.value,
                "grounds": sorted(chosen),
                "only_setting": can_meet and only_setting,
                "late": moment >= consultation.due_at,
                "channel": channel if on_behalf else "service",
                "programmes": [p.name for p in offered],
            },
            now=moment,
        )
    consultation.refresh_from_db()
    return consultation


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ConsultationRefused("Give a reason.", "reason")
    if len(reason) > REASON_MAX:
        raise ConsultationRefused(f"The reason must be {REASON_MAX} characters or fewer.", "reason")
    return reason


def _withdraw_row(consultation: Consultation, *, reason: str, now: dt.datetime) -> bool:
    return (
        Consultation.objects.filter(
            pk=consultation.pk,
            status__in=[ConsultationStatus.PENDING, *ANSWERED],
        ).update(status=ConsultationStatus.WITHDRAWN, withdrawn_at=now, withdrawn_reason=reason)
        == 1
    )


def consultation_withdraw(
    *, consultation: Consultation, reason: str, actor: User | None, now: dt.datetime | None = None
) -> Consultation:
    """Stop a consultation (preference withdrawn, child left the area). Its answer, if any,
    stays on the row for the record but no longer counts."""
    moment = now or clock.now()
    reason = _check_reason(reason)
    was_pending = consultation.status == ConsultationStatus.PENDING
    with transaction.atomic():
        if not _withdraw_row(consultation, reason=reason, now=moment):
            raise ConsultationRefused("This consultation has already been withdrawn.")
        audit_record(
            case=consultation.case,
            action="consultation.withdrawn",
            actor=actor,
            reason=reason,
            data={"consultation": consultation.pk, "setting": consultation.setting.urn},
            now=moment,
        )
        if was_pending:  # the school may be working on it: tell them to stop
            notify_withdrawn(consultation=consultation, now=moment)
    consultation.refresh_from_db()
    return consultation


def consultations_withdraw_for_case(
    *, case: Case, reason: str, actor: User | None, now: dt.datetime | None = None
) -> int:
    """Withdraw every live consultation of a case (the child left the area, the case closed)."""
    moment = now or clock.now()
    reason = _check_reason(reason)
    count = 0
    with transaction.atomic():
        live = consultations_current(case).exclude(status=ConsultationStatus.WITHDRAWN)
        for consultation in live:
            consultation_withdraw(consultation=consultation, reason=reason, actor=actor, now=moment)
            count += 1
    return count


def consultation_resend(
    *, consultation: Consultation, reason: str, actor: User, now: dt.datetime | None = None
) -> Consultation:
    """Consult the same setting again with a fresh clock; the old row is kept as history.

    A pending consultation is withdrawn first (one open consultation per case and
    setting). A case past consultation is moved back with ``case_reconsult``.
    """
    moment = now or clock.now()
    reason = _check_reason(reason)
    case = consultation.case
    if Consultation.objects.filter(replaces=consultation).exists():
        raise ConsultationRefused("This consultation has already been re-sent.")
    try:
        with transaction.atomic():
            if consultation.status == ConsultationStatus.PENDING:
                withdrawn_reason = f"Re-sent: {reason}"[:REASON_MAX]
                if not _withdraw_row(consultation, reason=withdrawn_reason, now=moment):
                    raise ConsultationRefused("This consultation changed meanwhile; try again.")
            _ensure_consulting(case, actor=actor, reason=reason, now=moment)
            new = _create(
                case=case,
                setting=consultation.setting,
                actor=actor,
                now=moment,
                why=["resent"],
                replaces=consultation,
            )
            audit_record(
                case=case,
                action="consultation.replaced",
                actor=actor,
                reason=reason,
                data={"consultation": consultation.pk, "replaced_by": new.pk},
                now=moment,
            )
            notify_sent(consultation=new, now=moment)
    except IntegrityError:  # a concurrent re-send opened the same (case, setting) first
        raise ConsultationRefused("This consultation has already been re-sent.") from None
    return new

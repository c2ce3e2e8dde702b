"""Read queries for consultations (s39): what a school contact may see, overdue lists, counts.

Vocabulary used throughout:
- *current*: not replaced by a re-sent consultation. Each re-send is a new row that
  ``replaces`` the old one, so the old row keeps its own clock and history.
- *answered*: the setting said it can or cannot meet the child's needs.
- *overdue*: still pending at or after ``due_at`` (see ``services.consultations``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import Combinable

from phasetransfer.core import clock
from phasetransfer.core.conditions import Condition
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    Case,
    CaseState,
    Consultation,
    ConsultationGround,
    ConsultationStatus,
    OutboundEmail,
    Preference,
    ProgrammeAnswer,
    Round,
    Setting,
    SettingContact,
    User,
)

ANSWERED = (ConsultationStatus.CAN_MEET, ConsultationStatus.CANNOT_MEET)
CHASER_KIND = "consultation_chaser"
# Open cases no round send has consulted yet (the sources of "start consultation").
WAITING_STATES = (CaseState.IDENTIFIED, CaseState.INVITED, CaseState.PREFERENCES_RECEIVED)


def due_day(consultation: Consultation) -> dt.date:
    """The last day to respond, in London. ``due_at`` is the first instant after it ends."""
    return consultation.due_at.astimezone(clock.LONDON).date() - dt.timedelta(days=1)


def is_overdue(consultation: Consultation, now: dt.datetime) -> bool:
    return consultation.status == ConsultationStatus.PENDING and now >= consultation.due_at


def ground_labels(consultation: Consultation) -> list[str]:
    """The statutory grounds a refusal gave, in the words of s39(4)."""
    flags = {
        ConsultationGround.UNSUITABLE: consultation.ground_unsuitable,
        ConsultationGround.OTHERS: consultation.ground_others,
        ConsultationGround.RESOURCES: consultation.ground_resources,
    }
    return [ground.label for ground, given in flags.items() if given]


def _not_replaced() -> Combinable:
    return ~Exists(Consultation.objects.filter(replaces=OuterRef("pk")))


def consultations_live() -> QuerySet[Consultation]:
    """Consultations that count: not replaced by a re-send and not withdrawn."""
    return Consultation.objects.filter(_not_replaced()).exclude(status=ConsultationStatus.WITHDRAWN)


def consultations_current(case: Case) -> QuerySet[Consultation]:
    """The case's consultations that no re-send has replaced, withdrawn ones included."""
    return (
        Consultation.objects.filter(_not_replaced(), case=case)
        .select_related("setting")
        .order_by("sent_at", "id")
    )


def consultations_for_family(case: Case) -> QuerySet[Consultation]:
    """What the family sees: every current consultation of the case except withdrawn ones.

    ``templates/phasetransfer/preferences/_consultation_responses.html`` applies the same rule
    in the template (it takes only ``case``); a test checks the two agree.
    """
    return consultations_current(case).exclude(status=ConsultationStatus.WITHDRAWN)


def settings_not_ruling_out(case: Case) -> QuerySet[Setting]:
    """Settings the allocation may use for ``case``: consulted, and not ruled the child out.

    A setting rules a child out only by answering "cannot meet need". A pending
    consultation, even an overdue one, does not: under s39 silence is not a refusal,
    and the LA must name the family's school unless a statutory ground applies.
    Withdrawn consultations and ones replaced by a re-send do not count.
    """
    live = consultations_for_family(case).filter(
        status__in=[ConsultationStatus.PENDING, ConsultationStatus.CAN_MEET]
    )
    return Setting.objects.filter(pk__in=live.values("setting_id")).order_by("name")


def _contact_links() -> QuerySet[SettingContact]:
    """Links of settings to the accounts that answer for them and can sign in to do so."""
    return SettingContact.objects.filter(
        user__is_active=True, user__groups__name=Role.SCHOOL_CONTACT.value
    ).exclude(user__email="")


def settings_of_contact(*, user: User) -> QuerySet[Setting]:
    return Setting.objects.filter(contacts__user=user).distinct().order_by("name")


def setting_recipients(setting: Setting) -> list[User]:
    """Who is emailed about a setting's consultations: each of its school contacts."""
    users = User.objects.filter(pk__in=_contact_links().filter(setting=setting).values("user_id"))
    return list(users.order_by("pk"))


def consultations_for_school_contact(*, user: User) -> QuerySet[Consultation]:
    """Consultations of the settings ``user`` answers for, and only those."""
    return (
        Consultation.objects.filter(
            setting__in=SettingContact.objects.filter(user=user).values("setting_id")
        )
        .select_related("case__child", "case__round", "setting")
        .order_by("due_at", "case__reference", "id")
    )


OPEN_ENTRY = "Open entry"


@dataclass(frozen=True)
class ProgrammeRow:
    """A post-16 provider's programme as staff read it."""

    name: str
    can_meet_need: bool
    requirements: str  # "Open entry", or the condition in the words a letter uses


def entry_requirements_in_words(programme: ProgrammeAnswer) -> str:
    if programme.entry_requirements is None:
        return OPEN_ENTRY
    words = Condition.from_json(programme.entry_requirements).describe()
    return words[:1].upper() + words[1:]


def programme_rows(consultation: Consultation) -> tuple[ProgrammeRow, ...]:
    """The programmes of a consultation's answer; ``.all()`` so that a prefetch serves it."""
    return tuple(
        ProgrammeRow(p.name, p.can_meet_need, entry_requirements_in_words(p))
        for p in consultation.programmes.all()
    )


def programmes_offered(case: Case, setting: Setting) -> list[ProgrammeAnswer]:
    """The programmes ``setting`` gave for ``case`` in its latest answer, in its order: what
    a panel may name in a conditional offer. Empty if it has not answered or gave none.

    The latest answer counts even if the consultation was re-sent since and the new one is
    not yet answered: until then it is the provider's last word. A withdrawn consultation's
    answer no longer counts (``consultation_withdraw``).
    """
    latest = (
        Consultation.objects.filter(case=case, setting=setting, status__in=ANSWERED)
        .order_by("-responded_at", "-id")
        .first()
    )
    if latest is None:
        return []
    return list(latest.programmes.order_by("position", "id"))


@dataclass(frozen=True)
class ConsultationRow:
    """A consultation with what its pages show about it, worked out once."""

    consultation: Consultation
    due_day: dt.date
    overdue: bool
    grounds: list[str]  # the statutory grounds of a refusal, in words
    days_late: int  # calendar days since the due day (negative: not due yet)
    replaced: bool = False  # a re-sent consultation replaces this one
    last_chased: dt.date | None = None  # the London day of the last reminder
    programmes: tuple[ProgrammeRow, ...] = ()  # a post-16 answer's, where the page shows them


def consultation_row(
    consultation: Consultation,
    *,
    now: dt.datetime,
    replaced: bool = False,
    last_chased: dt.date | None = None,
    programmes: tuple[ProgrammeRow, ...] = (),
) -> ConsultationRow:
    day = due_day(consultation)
    return ConsultationRow(
        consultation=consultation,
        due_day=day,
        overdue=is_overdue(consultation, now),
        grounds=ground_labels(consultation),
        days_late=(now.astimezone(clock.LONDON).date() - day).days,
        replaced=replaced,
        last_chased=last_chased,
        programmes=programmes,
    )


@dataclass(frozen=True)
class SchoolList:
    overdue: list[ConsultationRow]
    pending: list[ConsultationRow]
    answered: list[ConsultationRow]
    withdrawn: list[ConsultationRow]


def school_list(*, user: User, now: dt.datetime) -> SchoolList:
    """A school contact's consultations, sorted into what needs doing first."""
    overdue: list[ConsultationRow] = []
    pending: list[ConsultationRow] = []
    answered: list[ConsultationRow] = []
    withdrawn: list[ConsultationRow] = []
    for consultation in consultations_for_school_contact(user=user):
        row = consultation_row(consultation, now=now)
        if consultation.status == ConsultationStatus.WITHDRAWN or (
            consultation.case.state == CaseState.WITHDRAWN
        ):
            withdrawn.append(row)
        elif consultation.status in ANSWERED:
            answered.append(row)
        elif now >= consultation.due_at:
            overdue.append(row)
        else:
            pending.append(row)
    answered.sort(key=lambda r: r.consultation.responded_at or r.consultation.sent_at, reverse=True)
    return SchoolList(overdue=overdue, pending=pending, answered=answered, withdrawn=withdrawn)


def consultations_overdue(
    *, now: dt.datetime, round_: Round | None = None
) -> QuerySet[Consultation]:
    """Pending past their due moment, for cases still open. Oldest due first."""
    overdue = Consultation.objects.filter(
        status=ConsultationStatus.PENDING, due_at__lte=now
    ).exclude(case__state=CaseState.WITHDRAWN)
    if round_ is not None:
        overdue = overdue.filter(case__round=round_)
    return overdue.select_related("case__child", "setting").order_by("due_at", "id")


def last_chased(consultations: list[Consultation]) -> dict[int, dt.date]:
    """The London date each consultation was last chased, read from the email outbox keys."""
    if not consultations:
        return {}
    ids = {c.pk for c in consultations}
    found: dict[int, dt.date] = {}
    keys = OutboundEmail.objects.filter(
        kind=CHASER_KIND, case__in={c.case_id for c in consultations}
    ).values_list("key", flat=True)
    for key in keys:  # consultation-chaser:<id>:<yyyy-mm-dd>:<user>
        _, consultation_id, day, _user = key.split(":")
        if int(consultation_id) in ids:
            chased = dt.date.fromisoformat(day)
            found[int(consultation_id)] = max(found.get(int(consultation_id), chased), chased)
    return found


def _live_in_round(round_: Round) -> QuerySet[Consultation]:
    """Current, not withdrawn consultations of the round's open cases."""
    return consultations_live().filter(case__round=round_).exclude(case__state=CaseState.WITHDRAWN)


@dataclass(frozen=True)
class SettingCounts:
    setting: Setting
    pending: int
    overdue: int
    answered: int
    has_contact: bool


def round_setting_counts(*, round_: Round, now: dt.datetime) -> list[SettingCounts]:
    """Per consulted setting: pending (not yet due), overdue and answered consultations."""
    pending = Q(status=ConsultationStatus.PENDING)
    rows = (
        _live_in_round(round_)
        .values("setting")
        .annotate(
            pending=Count("id", filter=pending & Q(due_at__gt=now)),
            overdue=Count("id", filter=pending & Q(due_at__lte=now)),
            answered=Count("id", filter=Q(status__in=ANSWERED)),
        )
        .order_by()
    )
    counts = {row["setting"]: row for row in rows}
    settings = Setting.objects.filter(pk__in=counts).annotate(
        has_contact=Exists(_contact_links().filter(setting=OuterRef("pk")))
    )
    return [
        SettingCounts(
            setting=s,
            pending=counts[s.pk]["pending"],
            overdue=counts[s.pk]["overdue"],
            answered=counts[s.pk]["answered"],
            has_contact=s.has_contact,
        )
        for s in settings.order_by("name")
    ]


@dataclass(frozen=True)
class CaseProgress:
    case: Case
    consulted: int
    answered: int

    @property
    def complete(self) -> bool:
        """Every needed response is in: each live consultation of the case has an answer."""
        return self.consulted > 0 and self.answered == self.consulted


def round_case_progress(*, round_: Round) -> list[CaseProgress]:
    """Each open case of the round that has live consultations, with how many are answered."""
    rows = (
        _live_in_round(round_)
        .values("case")
        .annotate(consulted=Count("id"), answered=Count("id", filter=Q(status__in=ANSWERED)))
        .order_by()
    )
    counts = {row["case"]: row for row in rows}
    cases = Case.objects.filter(pk__in=counts).select_related("child").order_by("reference")
    return [
        CaseProgress(
            case=case,
            consulted=counts[case.pk]["consulted"],
            answered=counts[case.pk]["answered"],
        )
        for case in cases
    ]


def other_preferences(*, round_: Round) -> QuerySet[Preference]:
    """Preferences naming a setting not in the list: not consulted automatically.

    A caseworker looks at each (an independent school, a school in another LA) and
    adds the setting to consult, or records why not.
    """
    return (
        Preference.objects.filter(case__round=round_, setting__isnull=True)
        .exclude(case__state=CaseState.WITHDRAWN)
        .select_related("case__child")
        .order_by("case__reference", "rank")
    )


def cases_waiting(*, round_: Round) -> QuerySet[Case]:
    """Open cases of the round not yet consulted: what "send consultations for these" offers."""
    return (
        Case.objects.filter(round=round_, state__in=WAITING_STATES)
        .select_related("child")
        .order_by("reference")
    )

"""Moving a synthetic demo round through the process, by the same services staff use.

Each stage acts as of a moment in the round's past (``now=``), so the demo has a
believable history: invitations when the window opened, preferences arriving over
the following weeks, consultations after it closed, answers within 15 days.
Deterministic for a given random generator.
"""

from __future__ import annotations

import datetime as dt
import random

from phasetransfer.allocation.services import allocation_execute, allocation_request
from phasetransfer.cohort.invitations import invitation_letters_issue, invitations_send
from phasetransfer.consultations.services import (
    ProgrammeOffer,
    consultation_respond,
    consultations_send_round,
)
from phasetransfer.core.conditions import Condition
from phasetransfer.demo import synthetic
from phasetransfer.models import (
    Case,
    Consultation,
    ConsultationStatus,
    Phase,
    Round,
    Setting,
    SettingKind,
    User,
)
from phasetransfer.preferences.nearest import nearest_for_need, nearest_mainstream, phase_settings
from phasetransfer.preferences.services import preference_add, preferences_submit

REASONS = [
    "It is close to home and {name} already knows children there.",
    "The school has a specialist base and small classes.",
    "An older sibling goes there.",
    "The SENCO met us and understood {name}'s needs.",
    "It is a calm site; the transition programme looked right for {name}.",
    "The journey is short, which matters for {name}'s anxiety.",
    "",
]
REFUSALS = {
    "unsuitable": "The specialist provision set out in section F is beyond what we offer.",
    "others": "The year group is full and a further place would affect the education of others.",
    "resources": "Meeting this need would need a resource we do not have at reasonable cost.",
}


def _moment(start: dt.datetime, end: dt.datetime, rng: random.Random) -> dt.datetime:
    span = max((end - start).total_seconds(), 1)
    return start + dt.timedelta(seconds=rng.uniform(0, span))


def stage_invite(*, round_: Round, actor: User | None) -> None:
    when = round_.preference_opens_at + dt.timedelta(hours=1)
    invitations_send(round_=round_, actor=actor, now=when)
    invitation_letters_issue(round_=round_, actor=actor, now=when)


def _choices(case: Case, rng: random.Random, candidates: list[Setting]) -> list[Setting]:
    mainstream = [n.setting for n in nearest_mainstream(case, limit=3, candidates=candidates)]
    for_need = [n.setting for n in nearest_for_need(case, limit=2, candidates=candidates)]
    specialist = case.child.primary_need in synthetic.SPECIALIST_NEEDS or rng.random() < 0.35
    ordered = for_need + mainstream if specialist else mainstream + for_need
    count = rng.choices([1, 2, 3, 4], weights=[15, 25, 30, 30])[0]
    picked: list[Setting] = []
    for setting in ordered:
        if len(picked) < count and setting not in picked and rng.random() < 0.8:
            picked.append(setting)
    return picked or ordered[:1]


def stage_preferences(
    *, round_: Round, rng: random.Random, share: float, until: dt.datetime, late_share: float = 0.0
) -> int:
    """``share`` of families name preferences at moments between the window opening and
    ``until``; ``late_share`` more after the window closed. Some via staff by phone."""
    submitted = 0
    start = round_.preference_opens_at + dt.timedelta(days=1)
    close = min(until, round_.preference_closes_at)
    candidates = phase_settings(round_.phase)
    cases = (
        Case.objects.filter(round=round_, contacts__user__isnull=True)  # demo accounts do it live
        .select_related("child", "round", "caseworker")
        .distinct()
    )
    for case in cases.order_by("pk"):
        roll = rng.random()
        if roll < share:
            when = _moment(start, close, rng)
        elif roll < share + late_share:
            when = _moment(round_.preference_closes_at, until, rng)
        else:
            continue
        settings = _choices(case, rng, candidates)
        by_phone = rng.random() < 0.05 and case.caseworker is not None
        actor = case.caseworker if by_phone else None
        for setting in settings:
            reasons = rng.choice(REASONS).format(name=case.child.first_name)
            preference_add(
                case=case,
                actor=actor,
                setting=setting,
                reasons=reasons,
                on_behalf=by_phone,
                now=when,
            )
        preferences_submit(case=case, actor=actor, on_behalf="phone" if by_phone else "", now=when)
        submitted += 1
    return submitted


def _can_meet(consultation: Consultation, rng: random.Random) -> bool:
    setting = consultation.setting
    need = consultation.case.child.primary_need
    if setting.kind in SettingKind.mainstream():
        chance = 0.55 if need in synthetic.SPECIALIST_NEEDS else 0.85
    else:
        chance = 0.85 if need in setting.designated_needs else 0.45
    return rng.random() < chance


PROGRAMME_SUBJECTS = [
    "IT",
    "Health and Social Care",
    "Engineering",
    "Business",
    "Sport",
    "Art and Design",
    "Construction",
    "Animal Care",
    "Hospitality and Catering",
    "Creative Media",
]
ENGLISH_AND_MATHS = ("English", "maths")


def demo_programmes(consultation: Consultation) -> list[ProgrammeOffer]:
    """What a college or school sixth form that can meet the need offers a young person: a
    Level 3 course with GCSE entry requirements, a Level 2 one below it, and sometimes an
    open-entry foundation course or one the provider must confirm (an audition). The
    panel's conditional offers are made between these.

    Drawn from the case and setting, not the demo's random stream, so every other draw of
    the demo stays as it was."""
    setting = consultation.setting
    college = setting.kind == SettingKind.FE_COLLEGE
    if consultation.case.round.phase != Phase.POST16 or not (
        college or setting.kind in SettingKind.mainstream()
    ):
        return []
    pick = random.Random(f"programmes:{consultation.case.reference}:{setting.urn}")
    subject = pick.choice(PROGRAMME_SUBJECTS)
    level2 = (
        Condition(count=4, min_grade="3")
        if pick.random() < 0.5
        else Condition(count=2, min_grade="3", including=("English",))
    )
    programmes = [
        ProgrammeOffer(
            f"Level 3 {subject} (Extended Diploma)",
            can_meet_need=True,
            entry=Condition(count=5, min_grade="4", including=ENGLISH_AND_MATHS),
        ),
        ProgrammeOffer(f"Level 2 {subject}", can_meet_need=True, entry=level2),
    ]
    third = pick.random()
    if third < 0.15:
        programmes.append(
            ProgrammeOffer(
                "Level 3 Performing Arts (audition)",
                can_meet_need=True,
                entry=Condition(provider_confirms=True),
            )
        )
    elif third < 0.6 and college:  # school sixth forms seldom run foundation courses
        programmes.append(
            ProgrammeOffer(f"Level 1 / Foundation {subject}", can_meet_need=True, entry=None)
        )
    return programmes


def stage_consult(
    *, round_: Round, rng: random.Random, actor: User, answered: float, keep_pending: set[int]
) -> None:
    """Consult after the window closes; ``answered`` of the settings reply within 15 days
    (settings in ``keep_pending`` never do, so a demo school contact has work to do)."""
    sent = round_.preference_closes_at + dt.timedelta(days=5)
    consultations_send_round(round_=round_, actor=actor, now=sent)
    pending = (
        Consultation.objects.filter(case__round=round_, status=ConsultationStatus.PENDING)
        .select_related("case__child", "case__round", "setting")
        .order_by("pk")
    )
    for consultation in pending:
        if consultation.setting_id in keep_pending or rng.random() >= answered:
            continue
        can_meet = _can_meet(consultation, rng)
        ground = "" if can_meet else rng.choices(list(REFUSALS), weights=[60, 15, 25])[0]
        consultation_respond(
            consultation=consultation,
            can_meet=can_meet,
            grounds=[ground] if ground else [],
            # Some special schools say only they can meet the need (first under the rule);
            # from the case, not the random stream, so the demo's other draws stay the same.
            only_setting=can_meet
            and consultation.setting.kind == SettingKind.SPECIAL
            and consultation.case_id % 4 == 0,
            text="" if can_meet else REFUSALS[ground],
            actor=actor,
            on_behalf=True,
            channel="email",
            programmes=demo_programmes(consultation) if can_meet else [],
            now=_moment(sent + dt.timedelta(hours=2), consultation.due_at, rng),
        )


def stage_new_arrivals(
    *, round_: Round, rng: random.Random, count: int, arrived: dt.datetime, actor: User | None
) -> int:
    """Children who moved into the area after consultations went out ("pupils new to the
    system"): their cases open late and are the ones the co-ordinators must chase."""
    from phasetransfer.cases.services import cases_open
    from phasetransfer.models import Child

    template = list(
        Case.objects.filter(round=round_).select_related("child").order_by("pk")[:count]
    )
    children = []
    for index, case in enumerate(template):
        child = case.child
        first, last = synthetic.pick_name(rng)
        children.append(
            Child.objects.create(
                first_name=first,
                last_name=last,
                date_of_birth=child.date_of_birth,
                ehcp_reference=f"{child.ehcp_reference}-NEW{index}",
                primary_need=child.primary_need,
                needs_summary=child.needs_summary,
                current_setting=child.current_setting,
                home_postcode=child.home_postcode,
                home_latitude=child.home_latitude,
                home_longitude=child.home_longitude,
                is_synthetic=True,
            )
        )
    opened = cases_open(
        round_=round_,
        children=children,
        caseworkers=[c.caseworker for c in template],
        actor=actor,
        now=arrived,
    )
    for new, old in zip(opened, template, strict=True):
        contact = old.contacts.filter(is_primary=True).first()
        if contact is not None:
            contact.pk = None
            contact.case = new
            contact.user = None
            contact.email = contact.email.replace("@", f"+new{new.pk}@") if contact.email else ""
            contact.save()
    return len(opened)


def stage_allocate(*, round_: Round, actor: User | None, now: dt.datetime) -> None:
    run = allocation_request(round_=round_, actor=actor, queue=False, now=now)
    allocation_execute(run_id=run.pk, now=now)

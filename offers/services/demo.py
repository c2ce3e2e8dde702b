"""The whole synthetic demo: real schools, invented families, every stage of the process.

The Year 7 round has its preference window open today, with about 60% of
families' preferences in, for the family journey. The post-16 round is further
on: consultations answered (some overdue), the model's proposals, panel
sessions; ``through`` says how far it goes (``decided``: every case decided and
signed off, so offer day can be rehearsed and run; ``after-offer-day``: its offer day was
five weeks ago, and families' answers, mediations and appeals have followed).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db.models import Count

from offers.services.demo_after import demo_after_offer_day, offer_day_weeks_before
from panels.models import Decision, Outcome
from panels.services.demo import demo_panels
from phasetransfer.core import clock
from phasetransfer.core.roles import Role, grant_role
from phasetransfer.demo.seed import DemoSummary, demo_seed
from phasetransfer.demo.stages import (
    stage_allocate,
    stage_consult,
    stage_invite,
    stage_new_arrivals,
    stage_preferences,
)
from phasetransfer.models import Case, Phase, Round, SettingContact, User

STAGES = [
    "identified",
    "invited",
    "preferences",
    "consulting",
    "proposed",
    "at-panel",
    "decided",
    "after-offer-day",
]
MEMBER_COUNT = 8


@dataclass
class FullDemo:
    base: DemoSummary
    stages: dict[str, str] = field(default_factory=dict)


def _members(chair: User) -> list[User]:
    """The demo's panel member plus invented head teachers and SENCOs to sit with them."""
    members = list(User.objects.filter(email="panelmember@kent-demo.example"))
    for index in range(1, MEMBER_COUNT):
        user, created = User.objects.get_or_create(
            email=f"panelmember{index:02d}@kent-demo.example",
            defaults={"full_name": f"Demo Panel Member {index}", "password": chair.password},
        )
        if created:
            grant_role(user, Role.PANEL_MEMBER)
        members.append(user)
    return members


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clock.LONDON)


def _later_stages(round_: Round, through: str, rng: random.Random, today: dt.date) -> None:
    staff = User.objects.get(email="caseworker07@kent-demo.example")
    stage_invite(round_=round_, actor=staff)
    if through == "invited":
        return
    stage_preferences(
        round_=round_,
        rng=rng,
        share=0.85,
        late_share=0.05,
        until=round_.preference_closes_at + dt.timedelta(days=4),
    )
    if through == "preferences":
        return
    senco_schools = set(SettingContact.objects.values_list("setting_id", flat=True))
    stage_consult(round_=round_, rng=rng, actor=staff, answered=0.92, keep_pending=senco_schools)
    if through == "consulting":
        return
    due = round_.preference_closes_at + dt.timedelta(days=21)
    stage_allocate(round_=round_, actor=staff, now=due + dt.timedelta(days=2))
    after = through == "after-offer-day"
    panels_today = today
    if after:
        # The round's offer day moves back to five weeks ago (a demo has no other way to
        # be past it), and its panels sat in the week before, as a real round's did.
        offer_day = offer_day_weeks_before(today)
        Round.objects.filter(pk=round_.pk).update(offer_day_at=offer_day)
        round_.refresh_from_db()
        panels_today = offer_day.date() - dt.timedelta(days=6)
    if through != "decided":
        # A few families new to Kent after the consultations went out: the cases the
        # co-ordinators' "at risk this week" view exists for, and after offer day the
        # children still without a place.
        stage_new_arrivals(
            round_=round_,
            rng=rng,
            count=6 if after else 12,
            actor=staff,
            arrived=_at(panels_today - dt.timedelta(days=10), 11),
        )
    if through == "proposed":
        return
    chair = User.objects.get(email="chair@kent-demo.example")
    demo_panels(
        round_=round_,
        chair=chair,
        members=_members(chair),
        today=panels_today,
        rng=rng,
        all_decided=through in ("decided", "after-offer-day"),
    )
    if after:
        # The demo's own family logins are left told but not yet answering, for a new
        # user to take through the steps themselves.
        logins = Case.objects.filter(round=round_, contacts__user__isnull=False)
        keep = set(logins.values_list("pk", flat=True))
        demo_after_offer_day(round_=round_, today=today, rng=rng, chair=chair, keep=keep)


def full_demo_seed(
    *,
    secondary_children: int = 1236,
    post16_children: int = 1400,
    seed: int = 2027,
    today: dt.date | None = None,
    through: str = "at-panel",
) -> FullDemo:
    if through not in STAGES:
        raise ValueError(f"--through must be one of {', '.join(STAGES)}")
    day = today or clock.today_in_london()
    base = demo_seed(
        secondary_children=secondary_children,
        post16_children=post16_children,
        seed=seed,
        today=day,
    )
    rng = random.Random(seed + 1)
    result = FullDemo(base=base)
    for round_ in base.rounds:
        if round_.phase == Phase.SECONDARY and through != "identified":
            stage_invite(round_=round_, actor=None)
            stage_preferences(round_=round_, rng=rng, share=0.6, until=_at(day, 8))
            result.stages[round_.name] = "preference window open, about 60% sent"
        elif round_.phase == Phase.POST16 and through != "identified":
            _later_stages(round_, through, rng, day)
            result.stages[round_.name] = through
            college = _college_contact(round_)
            if college is not None:
                base.logins.append(college)
    return result


def _college_contact(round_: Round) -> tuple[str, str] | None:
    """A login for the college with the most conditional offers: the provider's side of
    results day (confirming entry, importing its own students' results)."""
    busiest = (
        Decision.objects.filter(
            case__round=round_, outcome=Outcome.CONDITIONAL, superseded_by__isnull=True
        )
        .values("setting")
        .annotate(offers=Count("id"))
        .order_by("-offers", "setting")
        .first()
    )
    if busiest is None:
        return None
    chair = User.objects.get(email="chair@kent-demo.example")
    user = User.objects.create(
        email="college@kent-demo.example",
        full_name="Demo College Admissions",
        password=chair.password,
    )
    grant_role(user, Role.SCHOOL_CONTACT)
    setting = SettingContact.objects.create(
        setting_id=busiest["setting"], user=user, job_title="Admissions and SEN"
    ).setting
    return (f"School contact ({setting.name}, conditional offers)", user.email)

"""The demo's post-16 round a few weeks after its offer day, by the services staff use.

Every family was told on offer day (the release job, run at that moment). Since then most
have accepted; some asked for mediation or said they would appeal, and their caseworkers
have worked on it: mediations and SEND Tribunal appeals stand in every state, two changed
offers have gone out as amended releases, one order names a setting with no place left,
and the children the panels could not place are still waiting. Each step runs at the
moment it would have happened, so every date, task and audit event is where it would be.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

from offers.models import FamilyResponse, FollowUp, LetterKind, Mediation, Release
from offers.services.appeals import (
    AppealDetails,
    appeal_carry_out,
    appeal_decide,
    appeal_hearing,
    appeal_register,
)
from offers.services.followups import follow_up_done, follow_ups_no_answer
from offers.services.mediation import (
    mediation_agreed,
    mediation_approve,
    mediation_certificate,
    mediation_meeting,
    mediation_not_agreed,
    mediation_request,
    mediation_withdrawn,
)
from offers.services.outcomes import family_respond
from offers.services.release import release_complete, release_due
from panels.models import NAMING_OUTCOMES, Decision
from panels.selectors import places_left
from phasetransfer.core import clock
from phasetransfer.models import (
    Case,
    CaseState,
    Round,
    Setting,
    SettingKind,
    SettingPlaces,
    User,
    serving_phase,
)

# How families answered, as shares of those offered a place: the report's Year 7 figures
# (92% answered by the deadline, 9.7% appealed); the demo's answers are dealt out in these
# shares, and at least enough for every state of mediation and appeal to be shown.
MEDIATION_SHARE = 0.045
APPEAL_SHARE = 0.055
SILENT_SHARE = 0.10
MEDIATION_STATES = [
    "agreed",
    "not_agreed",
    "awaiting",
    "meeting",
    "ended",
    "requested",
    "withdrawn",
]
APPEAL_STATES = ["conceded", "order", "dismissed", "hearing", "lodged", "withdrawn", "carried_out"]
# Weeks from offer day to the demo's today: long enough for mediations to have ended and
# a quick appeal to be conceded or decided, short enough that families are still answering.
WEEKS_AFTER = 5


def offer_day_weeks_before(today: dt.date, weeks: int = WEEKS_AFTER) -> dt.datetime:
    """A Friday at 16:00, ``weeks`` or more before ``today``."""
    day = today - dt.timedelta(weeks=weeks)
    while day.weekday() != 4:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(16), tzinfo=clock.LONDON)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clock.LONDON)


def release_all(now: dt.datetime) -> int:
    """What the release job does at ``now``: publish every release due, each once."""
    summary = release_due(now=now)
    return sum(release_complete(release_id=pk, now=now) for pk in summary.dispatched)


@dataclass
class _Families:
    accepted: list[Case]
    mediation: list[Case]
    appeal: list[Case]
    silent: list[Case]


def _latest_release(case: Case) -> Release:
    return Release.objects.filter(case=case, completed_at__isnull=False).latest("number")


def _answered_on(case: Case) -> dt.date:
    latest = case.family_responses.latest("responded_at").responded_at
    return latest.astimezone(clock.LONDON).date()


def _answer(case: Case, answer: str, when: dt.datetime, wants_independent: bool) -> None:
    # A family with an account answers on their page; the others by phone or post, which
    # their caseworker records for them.
    contact = case.contacts.filter(user__isnull=False).first()
    actor = contact.user if contact and contact.user else case.caseworker
    assert actor is not None
    family_respond(
        case=case,
        release=_latest_release(case),
        actor=actor,
        answer=answer,
        wants_independent=wants_independent,
        now=when,
    )


def _families_answer(
    round_: Round, offer_day: dt.datetime, today: dt.date, rng: random.Random, keep: set[int]
) -> _Families:
    offered = list(
        Case.objects.filter(
            round=round_,
            state=CaseState.RELEASED,
            caseworker__isnull=False,
            releases__kind=LetterKind.OFFER,
        )
        .exclude(pk__in=keep)
        .order_by("reference")
    )
    rng.shuffle(offered)
    size = len(offered)
    mediation = max(len(MEDIATION_STATES), round(size * MEDIATION_SHARE))
    # A third of those who say they will appeal have not lodged it yet (see _appeals).
    appeal = max(len(APPEAL_STATES) * 3 // 2 + 1, round(size * APPEAL_SHARE))
    silent = round(size * SILENT_SHARE)
    families = _Families(
        mediation=offered[:mediation],
        appeal=offered[mediation : mediation + appeal],
        silent=offered[mediation + appeal : mediation + appeal + silent],
        accepted=offered[mediation + appeal + silent :],
    )
    answers = [
        *((c, FamilyResponse.Answer.MEDIATION) for c in families.mediation),
        *((c, FamilyResponse.Answer.APPEAL) for c in families.appeal),
        *((c, FamilyResponse.Answer.ACCEPT) for c in families.accepted),
    ]
    for case, answer in sorted(answers, key=lambda pair: pair[0].reference):
        days = rng.choice([0, 0, 1, 1, 2, 3, 4, 6, 8, 11, 15, 20])
        when = min(offer_day + dt.timedelta(days=days, hours=rng.randint(1, 5)), _at(today, 8))
        _answer(case, answer, when, wants_independent=rng.random() < 0.39)
    return families


def _tasks_done(round_: Round, today: dt.date) -> None:
    """Caseworkers tick their tasks within a few days; this week's are still open."""
    last_week = _at(today - dt.timedelta(days=7), 17)
    for task in FollowUp.objects.filter(
        case__round=round_, done_at__isnull=True, created_at__lt=last_week
    ).select_related("case__caseworker"):
        done_by = task.case.caseworker
        if done_by is not None:
            when = task.created_at + dt.timedelta(days=2)
            follow_up_done(follow_up=task, actor=done_by, note="Family phoned", now=when)


def _setting_with_places(round_: Round, case: Case, rng: random.Random) -> Setting:
    """A special school or college with a place for ``case`` (where mediation agreed)."""
    candidates = list(
        Setting.objects.filter(serving_phase(round_.phase))
        .filter(kind__in=[SettingKind.SPECIAL, SettingKind.FE_COLLEGE])
        .filter(pk__in=SettingPlaces.objects.filter(round=round_).values("setting_id"))
        .order_by("urn")
    )
    rng.shuffle(candidates)
    current = case.decisions.filter(superseded_by__isnull=True).first()
    for setting in candidates:
        if current and current.setting_id == setting.pk:
            continue
        if not places_left(round_=round_, setting=setting, exclude_case=case).over_if_named:
            return setting
    raise LookupError("No setting in the demo has a place left")


def _full_setting(round_: Round) -> Setting:
    """The setting named most often relative to its places, with none left."""
    named = Counter(
        Decision.objects.filter(
            case__round=round_,
            superseded_by__isnull=True,
            outcome__in=NAMING_OUTCOMES,
            setting__kind__in=[SettingKind.SPECIAL, *SettingKind.independent()],
        ).values_list("setting_id", flat=True)
    )
    places = dict(SettingPlaces.objects.filter(round=round_).values_list("setting_id", "places"))
    full = [pk for pk, count in named.items() if count >= places.get(pk, 0)]
    if not full:
        # Fill the busiest one to its last place: the demo needs an order it cannot meet.
        pk = named.most_common(1)[0][0]
        SettingPlaces.objects.filter(round=round_, setting_id=pk).update(places=named[pk])
        full = [pk]
    return Setting.objects.get(pk=sorted(full)[0])


def _mediations(
    cases: list[Case], offer_day: dt.date, today: dt.date, rng: random.Random, chair: User
) -> dict[str, Case]:
    """Each mediation state, in turn, over the families who asked for one."""
    states = MEDIATION_STATES
    shown: dict[str, Case] = {}
    for index, case in enumerate(cases):
        state = states[index % len(states)]
        worker = case.caseworker
        assert worker is not None
        answered = _answered_on(case)
        requested = max(offer_day + dt.timedelta(days=rng.randint(2, 6)), answered)
        if state == "requested":
            # Asked for recently, or (the first one) almost a month ago with nothing booked.
            requested = today - dt.timedelta(days=27 if "requested" not in shown else 3)
        elif state == "meeting":
            requested = today - dt.timedelta(days=12)
        requested = max(requested, answered)
        mediation = mediation_request(
            case=case, requested_on=requested, actor=worker, now=_at(requested)
        )
        shown.setdefault(state, case)
        if state in ("requested", "withdrawn"):
            if state == "withdrawn":
                ended = requested + dt.timedelta(days=6)
                mediation_withdrawn(
                    mediation=mediation, ended_on=ended, actor=worker, now=_at(ended)
                )
            continue
        meeting = requested + dt.timedelta(days=rng.randint(12, 24))
        if state == "meeting":
            meeting = today + dt.timedelta(days=rng.randint(2, 6))
        elif state in ("ended", "awaiting"):
            # Ended this week, the certificate or the approval awaited: due soon, or late.
            meeting = max(today - dt.timedelta(days=rng.randint(1, 5)), requested)
        mediation_meeting(mediation=mediation, meeting_on=meeting, actor=worker, now=_at(requested))
        if state == "meeting" or meeting >= today:
            continue
        _mediation_end(mediation, state, meeting, today, rng, chair)
    return shown


def _mediation_end(
    mediation: Mediation,
    state: str,
    ended: dt.date,
    today: dt.date,
    rng: random.Random,
    chair: User,
) -> None:
    worker = mediation.case.caseworker
    assert worker is not None
    if state in ("agreed", "awaiting"):
        setting = _setting_with_places(mediation.case.round, mediation.case, rng)
        mediation_agreed(
            mediation=mediation,
            ended_on=ended,
            setting=setting,
            reasons=(
                "The family and the council agreed the setting meets the needs in section F "
                "better than the one first named."
            ),
            actor=worker,
            now=_at(ended, 15),
        )
        if state == "agreed":
            approved = _at(min(ended + dt.timedelta(days=2), today), 11)
            mediation_approve(mediation=mediation, actor=chair, now=approved)
            release_all(approved + dt.timedelta(minutes=1))
        return
    mediation_not_agreed(
        mediation=mediation,
        ended_on=ended,
        certificate_issued_on=None,
        actor=worker,
        now=_at(ended),
    )
    if state == "not_agreed":
        issued = min(ended + dt.timedelta(days=2), today)
        mediation_certificate(mediation=mediation, issued_on=issued, actor=worker, now=_at(issued))


def _appeals(
    cases: list[Case], offer_day: dt.date, today: dt.date, rng: random.Random
) -> dict[str, Case]:
    """Each appeal state over the families who said they would appeal."""
    states = APPEAL_STATES
    shown: dict[str, Case] = {}
    full = _full_setting(cases[0].round) if cases else None
    over_capacity_named = False
    for index, case in enumerate(cases):
        state = states[index % len(states)]
        worker = case.caseworker
        assert worker is not None
        lodged = max(offer_day + dt.timedelta(days=rng.randint(3, 9)), _answered_on(case))
        appeal = appeal_register(
            case=case,
            details=AppealDetails(
                tribunal_reference=f"EH886/{offer_day:%y}/{10000 + index:05d}",
                lodged_on=lodged,
                placement_only=rng.random() < 0.8,
                independent_requested=rng.random() < 0.39,
            ),
            actor=worker,
            now=_at(lodged, 14),
        )
        shown.setdefault(state, case)
        if state == "lodged":
            continue
        hearing = lodged + dt.timedelta(weeks=16)
        appeal_hearing(
            appeal=appeal,
            hearing_on=hearing,
            response_due_on=appeal.response_due_on,
            actor=worker,
            now=_at(lodged + dt.timedelta(days=7)),
        )
        if state == "hearing":
            continue
        # A quick end: the council concedes, the family withdraws, or (for the demo's
        # sake) the Tribunal has already decided on the papers.
        decided = min(lodged + dt.timedelta(days=rng.randint(10, 18)), today)
        outcome = {
            "conceded": "conceded",
            "dismissed": "dismissed",
            "withdrawn": "withdrawn",
        }.get(state, "upheld")
        # One order names a setting with no place left (carried out, so the setting's
        # figures show it over capacity); the others name settings with a place.
        setting = None
        if state == "carried_out" and full is not None and not over_capacity_named:
            setting, over_capacity_named = full, True
        elif outcome in ("conceded", "upheld"):
            setting = _setting_with_places(case.round, case, rng)
        decided_appeal = appeal_decide(
            appeal=appeal,
            outcome=outcome,
            decided_on=decided,
            setting=setting,
            actor=worker,
            now=_at(decided, 16),
        )
        if state in ("conceded", "carried_out"):
            done = _at(min(decided + dt.timedelta(days=3), today), 11)
            appeal_carry_out(appeal=decided_appeal, actor=worker, now=done)
            release_all(done + dt.timedelta(minutes=1))
    return shown


def demo_after_offer_day(
    *, round_: Round, today: dt.date, rng: random.Random, chair: User, keep: set[int]
) -> dict[str, int]:
    """Offer day (every family told), then the weeks since, up to this morning.

    ``keep``: cases left at "told, no answer yet" for the demo's own logins to act on.
    """
    offer_day = round_.offer_day_at
    if offer_day is None:
        raise ValueError("The round has no offer day to have passed")
    released = release_all(offer_day + dt.timedelta(minutes=1))
    families = _families_answer(round_, offer_day, today, rng, keep)
    # The hourly job found the silent families this week: their tasks are still open.
    follow_ups_no_answer(now=_at(today - dt.timedelta(days=3), 7))
    _mediations(families.mediation, offer_day.date(), today, rng, chair)
    # A third of those who said they would appeal have not lodged one yet: their tasks
    # are on the caseworkers' queue.
    lodged = families.appeal[: len(families.appeal) * 2 // 3]
    _appeals(lodged, offer_day.date(), today, rng)
    _tasks_done(round_, today)
    # A demo cannot wait for August: its results day is today, for a new user to import the
    # demo's results file (the results-day page offers it) and watch the offers settle.
    Round.objects.filter(pk=round_.pk).update(results_day=today)
    return {
        "released": released,
        "accepted": len(families.accepted),
        "mediations": len(families.mediation),
        "appeals": len(lodged),
        "no answer": len(families.silent),
    }

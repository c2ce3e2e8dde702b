"""A realistic, synthetic Kent demo on top of the 529 real Kent schools.

Deterministic for a given seed and date: the same arguments give the same
children, contacts and places. Every invented record is flagged synthetic.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction

from phasetransfer.cases.services import PHASE_LETTERS, cases_open
from phasetransfer.cohort.schools import admissions_import, schools_import
from phasetransfer.core import clock, geo
from phasetransfer.core.roles import Role, grant_role
from phasetransfer.demo import synthetic
from phasetransfer.models import (
    Child,
    Contact,
    ContactRelationship,
    Need,
    Phase,
    Round,
    Setting,
    SettingContact,
    SettingKind,
    SettingPlaces,
    Sex,
    User,
    serving_phase,
)
from phasetransfer.models.choices import PHASE_ENTRY_AGE

KENT_SCHOOLS = geo.DATA_DIR / "kent-schools.csv"
# Who Kent's secondary schools admit (single-sex, selective): see phasetransfer/data/README.md.
KENT_ADMISSIONS = geo.DATA_DIR / "kent-secondary-admissions.csv"
DEMO_PASSWORD = "demo-phase-transfer-2027"
STAFF_DOMAIN = "kent-demo.example"
FAMILY_DOMAIN = "family.example"
SRP_URN_BASE = 990000
INVENTED_URN_BASE = 980000
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


class DemoAlreadyLoaded(Exception):
    pass


@dataclass
class DemoSummary:
    settings: int = 0
    rounds: list[Round] = field(default_factory=list)
    cases: int = 0
    places: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Context:
    rng: random.Random
    password_hash: str
    summary: DemoSummary


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    # ~111 km per degree of latitude, ~70 km per degree of longitude at Kent's latitude.
    return lat + rng.gauss(0, km / 111), lon + rng.gauss(0, km / 70)


def _synthetic_postcode(rng: random.Random, lat: float, lon: float) -> str:
    # The nearest Kent postcode district: the demo's families all live in Kent.
    kent = [
        (code, point)
        for code, point in geo.outcode_centroids().items()
        if geo.district_of(code) != geo.OUTSIDE
    ]
    outcode = min(kent, key=lambda item: geo.distance_km(lat, lon, item[1][0], item[1][1]))[0]
    inward = f"{rng.randint(1, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    return f"{outcode} {inward}"


def _designate_special_schools(ctx: _Context) -> None:
    needs = list(synthetic.NEED_SHARES)
    # Special schools lean towards the needs mainstream rarely meets.
    weights = [
        synthetic.NEED_SHARES[n] * (4 if n in synthetic.SPECIALIST_NEEDS else 1) for n in needs
    ]
    for school in Setting.objects.filter(kind=SettingKind.SPECIAL).order_by("urn"):
        chosen = set(ctx.rng.choices(needs, weights=weights, k=ctx.rng.randint(1, 3)))
        school.designated_needs = [n for n in Need.values if n in chosen]
        school.designations_synthetic = True
        school.save(update_fields=["designated_needs", "designations_synthetic", "updated_at"])


def _add_resourced_provisions(ctx: _Context, count: int = 24) -> None:
    hosts = list(
        Setting.objects.filter(kind__in=SettingKind.mainstream(), latitude__isnull=False)
        .filter(serving_phase(Phase.SECONDARY) | serving_phase(Phase.JUNIOR))
        .order_by("urn")
    )
    srp_needs = [Need.ASD, Need.ASD, Need.SLCN, Need.HI, Need.VI, Need.PD, Need.SPLD]
    for index, host in enumerate(ctx.rng.sample(hosts, count)):
        need = srp_needs[index % len(srp_needs)]
        Setting.objects.create(
            urn=SRP_URN_BASE + index,
            name=f"{host.name} Specialist Resource Provision ({need})",
            town=host.town,
            postcode=host.postcode,
            latitude=host.latitude,
            longitude=host.longitude,
            la_code=host.la_code,
            la_name=host.la_name,
            kind=SettingKind.RESOURCED_PROVISION,
            **{f"serves_{p}": host.serves(p) for p in Phase.values},
            designated_needs=[need],
            host=host,
            is_synthetic=True,
            designations_synthetic=True,
        )


def _add_invented_settings(ctx: _Context) -> None:
    centroids = geo.outcode_centroids()
    for index, (name, town, outcode, kind, needs, phases) in enumerate(synthetic.INVENTED_SETTINGS):
        lat, lon = _jitter(ctx.rng, *centroids[outcode], km=1.0)
        Setting.objects.create(
            urn=INVENTED_URN_BASE + index,
            name=name,
            town=town,
            postcode=_synthetic_postcode(ctx.rng, lat, lon),
            latitude=lat,
            longitude=lon,
            la_code="886",
            la_name="Kent",
            kind=kind,
            **{f"serves_{p}": p in phases for p in Phase.values},
            designated_needs=needs,
            is_synthetic=True,
            designations_synthetic=True,
        )


def _entry_year(today: dt.date) -> int:
    return today.year + 1 if today.month >= 3 else today.year


def _last_friday_before(day: dt.date) -> dt.date:
    candidate = day - dt.timedelta(days=1)
    while candidate.weekday() != 4:
        candidate -= dt.timedelta(days=1)
    return candidate


def _at_london(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clock.LONDON)


# Days before (negative) or after today when each demo round's preference window
# opens and closes: the Year 7 round is open now, for the family journey; the post-16
# round is months further on, so consultations, allocation and panels have happened.
WINDOWS = {Phase.SECONDARY: (-45, 14), Phase.POST16: (-150, -90)}


def _make_round(phase: str, entry_year: int, today: dt.date) -> Round:
    deadline = dt.date(entry_year, 3, 31) if phase == Phase.POST16 else dt.date(entry_year, 2, 15)
    opens, closes = WINDOWS[Phase(phase)]
    return Round.objects.create(
        name=f"{Phase(phase).label} transfer {entry_year} (synthetic demo)",
        phase=phase,
        entry_year=entry_year,
        preference_opens_at=_at_london(today + dt.timedelta(days=opens), 9),
        preference_closes_at=_at_london(today + dt.timedelta(days=closes), 17),
        offer_day_at=_at_london(_last_friday_before(deadline), 16),
        is_synthetic=True,
    )


def _places_for(setting: Setting, phase: str, rng: random.Random) -> int:
    capacity = setting.school_capacity
    if setting.kind == SettingKind.FE_COLLEGE:
        return rng.randint(140, 220)
    if setting.kind == SettingKind.RESOURCED_PROVISION:
        return rng.randint(6, 10)
    if setting.kind in SettingKind.independent():
        return rng.randint(6, 14)
    if setting.kind == SettingKind.SPECIAL:
        return rng.randint(14, 24) if phase == Phase.SECONDARY else rng.randint(10, 18)
    if phase == Phase.POST16:
        return rng.randint(2, 5)
    # Mainstream secondary: roughly 3% of a year group of an 11-16 roll.
    return max(3, round((capacity or 900) / 5 * 0.03) + rng.randint(0, 2))


def _add_places(ctx: _Context, round_: Round) -> None:
    settings = Setting.objects.filter(serving_phase(round_.phase)).order_by("urn")
    rows = [
        SettingPlaces(
            round=round_, setting=s, places=_places_for(s, round_.phase, ctx.rng), is_synthetic=True
        )
        for s in settings
    ]
    SettingPlaces.objects.bulk_create(rows)
    ctx.summary.places[round_.name] = sum(row.places for row in rows)


def _user(ctx: _Context, email: str, full_name: str, *roles: Role) -> User:
    user = User.objects.create(email=email, full_name=full_name, password=ctx.password_hash)
    for role in roles:
        grant_role(user, role)
    return user


def _staff(ctx: _Context, rounds: list[Round]) -> dict[int, list[User]]:
    admin = _user(ctx, f"admin@{STAFF_DOMAIN}", "Demo Administrator", Role.ADMINISTRATOR)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    ctx.summary.logins.append(("Administrator", admin.email))
    caseworkers: dict[int, list[User]] = {}
    number = 0
    for round in rounds:
        teams = 6 if round.phase == Phase.SECONDARY else 7
        caseworkers[round.pk] = []
        for _ in range(teams):
            number += 1
            first, last = synthetic.pick_name(ctx.rng)
            worker = _user(
                ctx, f"caseworker{number:02d}@{STAFF_DOMAIN}", f"{first} {last}", Role.CASEWORKER
            )
            caseworkers[round.pk].append(worker)
    ctx.summary.logins.append(("Caseworker", f"caseworker01@{STAFF_DOMAIN}"))
    chair = _user(ctx, f"chair@{STAFF_DOMAIN}", "Demo Panel Chair", Role.PANEL_CHAIR)
    ctx.summary.logins.append(("Panel chair", chair.email))
    member = _user(ctx, f"panelmember@{STAFF_DOMAIN}", "Demo Panel Member", Role.PANEL_MEMBER)
    ctx.summary.logins.append(("Panel member", member.email))
    coordinator = _user(
        ctx, f"coordinator@{STAFF_DOMAIN}", "Demo Data Co-ordinator", Role.COORDINATOR
    )
    ctx.summary.logins.append(("Data co-ordinator", coordinator.email))
    school = Setting.objects.filter(kind=SettingKind.SPECIAL).order_by("urn").first()
    if school is not None:
        contact = _user(ctx, f"senco@{STAFF_DOMAIN}", "Demo SENCO", Role.SCHOOL_CONTACT)
        SettingContact.objects.create(setting=school, user=contact, job_title="SENCO")
        ctx.summary.logins.append((f"School contact ({school.name})", contact.email))
    return caseworkers


def _current_setting(ctx: _Context, need: str, pools: dict[str, list[Setting]]) -> Setting:
    specialist = need in synthetic.SPECIALIST_NEEDS or ctx.rng.random() < 0.3
    pool = pools["special"] if specialist and pools["special"] else pools["mainstream"]
    return ctx.rng.choice(pool)


def _child(ctx: _Context, round_: Round, sequence: int, pools: dict[str, list[Setting]]) -> Child:
    need = synthetic.pick_need(ctx.rng)
    first, last = synthetic.pick_name(ctx.rng)
    current = _current_setting(ctx, need, pools)
    lat, lon = _jitter(ctx.rng, current.latitude or 51.27, current.longitude or 0.52, km=2.5)
    birth_year = round_.entry_year - PHASE_ENTRY_AGE[Phase(round_.phase)] - 1
    born = dt.date(birth_year, 9, 1) + dt.timedelta(days=ctx.rng.randint(0, 364))
    letter = PHASE_LETTERS[Phase(round_.phase)]
    return Child(
        first_name=first,
        last_name=last,
        date_of_birth=born,
        ehcp_reference=f"KCC-EHC-{round_.entry_year % 100:02d}{letter}{sequence:05d}",
        primary_need=need,
        needs_summary=synthetic.NEEDS_SUMMARY[Need(need)],
        current_setting=current,
        home_postcode=_synthetic_postcode(ctx.rng, lat, lon),
        home_latitude=lat,
        home_longitude=lon,
        # About 2% of children with a plan are looked after (England); from the sequence, not
        # the random stream, so every other draw of the demo stays as it was.
        looked_after=sequence % 50 == 17,
        # The synthetic first names alternate a boy's and a girl's name.
        sex=Sex.MALE if synthetic.FIRST_NAMES.index(first) % 2 == 0 else Sex.FEMALE,
        is_synthetic=True,
    )


def _contact_for(ctx: _Context, round_: Round, child: Child, sequence: int) -> dict[str, object]:
    letter = PHASE_LETTERS[Phase(round_.phase)].lower()
    young_person = round_.phase == Phase.POST16 and ctx.rng.random() < 0.4
    if young_person:
        name, relationship = child.full_name, ContactRelationship.YOUNG_PERSON
    else:
        name = f"{ctx.rng.choice(synthetic.FIRST_NAMES)} {child.last_name}"
        relationship = ctx.rng.choice(
            [ContactRelationship.PARENT] * 9 + [ContactRelationship.CARER]
        )
    # About one family in twelve has no email: they get letters.
    has_email = ctx.rng.random() >= 1 / 12
    return {
        "name": name,
        "relationship": relationship,
        "email": f"family-{letter}{sequence:05d}@{FAMILY_DOMAIN}" if has_email else "",
        "phone": f"07700 9{sequence % 100000:05d}",
        # Every other family gives a mobile for texts, in Ofcom's range kept for drama.
        "mobile": f"07700 900{sequence % 1000:03d}" if sequence % 2 == 0 else "",
        "address": f"{ctx.rng.randint(1, 120)} Synthetic Road, {child.current_setting.town}"
        if child.current_setting
        else "1 Synthetic Road, Kent",
        "postcode": child.home_postcode,
    }


def _cohort(ctx: _Context, round_: Round, size: int, caseworkers: list[User]) -> None:
    from_phase = Phase.JUNIOR if round_.phase == Phase.SECONDARY else Phase.SECONDARY
    base = Setting.objects.filter(latitude__isnull=False).filter(serving_phase(from_phase))
    pools = {
        "mainstream": list(base.filter(kind__in=SettingKind.mainstream()).order_by("urn")),
        "special": list(base.filter(kind=SettingKind.SPECIAL).order_by("urn")),
    }
    children = Child.objects.bulk_create(
        [_child(ctx, round_, n, pools) for n in range(1, size + 1)]
    )
    workers: list[User | None] = [caseworkers[i % len(caseworkers)] for i in range(size)]
    cases = cases_open(
        round_=round_, children=children, caseworkers=workers, actor=None, system_label="demo seed"
    )
    Contact.objects.bulk_create(
        Contact(case=case, is_primary=True, **_contact_for(ctx, round_, child, n))
        for n, (case, child) in enumerate(zip(cases, children, strict=True), start=1)
    )
    ctx.summary.cases += len(cases)


def _demo_families(ctx: _Context, rounds: list[Round]) -> None:
    """Give one case per round a family account, so the demo can sign in as a family."""
    for round, (email, role) in zip(
        rounds,
        [
            (f"parent@{FAMILY_DOMAIN}", Role.PARENT),
            (f"youngperson@{FAMILY_DOMAIN}", Role.YOUNG_PERSON),
        ],
        strict=False,
    ):
        contact = (
            Contact.objects.filter(case__round=round, is_primary=True)
            .exclude(email="")
            .order_by("case__reference")
            .first()
        )
        if contact is None:
            continue
        user = _user(ctx, email, contact.name, role)
        if role == Role.YOUNG_PERSON:
            contact.name = contact.case.child.full_name
            contact.relationship = ContactRelationship.YOUNG_PERSON
        contact.email = email
        contact.user = user
        contact.save()
        ctx.summary.logins.append((f"{role.value} ({contact.case.reference})", email))


def demo_seed(
    *,
    secondary_children: int = 1236,
    post16_children: int = 1400,
    seed: int = 2027,
    today: dt.date | None = None,
    schools_file: Path = KENT_SCHOOLS,
) -> DemoSummary:
    if Round.objects.filter(is_synthetic=True).exists():
        raise DemoAlreadyLoaded("The demo is already loaded.")
    day = today or clock.today_in_london()
    ctx = _Context(
        rng=random.Random(seed),
        password_hash=make_password(DEMO_PASSWORD, salt=string.ascii_letters[:22]),
        summary=DemoSummary(),
    )
    with transaction.atomic():
        report = schools_import(source=schools_file)
        if not report.ok:
            raise ValueError("The shipped schools file did not import: " + report.summary())
        if schools_file == KENT_SCHOOLS and KENT_ADMISSIONS.exists():
            admitted = admissions_import(source=KENT_ADMISSIONS)
            if not admitted.ok:
                raise ValueError(
                    "The shipped admissions file did not import: " + admitted.summary()
                )
        _designate_special_schools(ctx)
        _add_resourced_provisions(ctx)
        _add_invented_settings(ctx)
        entry_year = _entry_year(day)
        rounds = [
            _make_round(Phase.SECONDARY, entry_year, day),
            _make_round(Phase.POST16, entry_year, day),
        ]
        caseworkers = _staff(ctx, rounds)
        for round, size in zip(rounds, [secondary_children, post16_children], strict=True):
            _add_places(ctx, round)
            _cohort(ctx, round, size, caseworkers[round.pk])
        _demo_families(ctx, rounds)
    ctx.summary.settings = Setting.objects.count()
    ctx.summary.rounds = rounds
    return ctx.summary

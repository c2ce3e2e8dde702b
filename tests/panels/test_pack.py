"""The panel pack for a full session (40 cases): HTML and PDF, contents, queries, time."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from panels.models import Outcome, PackPdf, PanelCase, Recusal
from panels.services.decisions import DecisionInput, decision_record
from panels.services.pack_pdf import pack_pdf_render
from phasetransfer.models import Case, CaseState, Round
from tests.conftest import signed_in
from tests.factories import RoundFactory, SettingFactory
from tests.factories.consultations import ConsultationFactory
from tests.factories.panels import PanelMemberFactory, PanelSessionFactory, proposed_case
from tests.moments import PANEL_HAS_SAT, PANEL_SITS

pytestmark = pytest.mark.django_db
CASES = 40


@pytest.fixture
def full_session() -> tuple[Round, object]:
    round_ = RoundFactory()
    session = PanelSessionFactory(round=round_, starts_at=PANEL_SITS, case_limit=CASES)
    member = PanelMemberFactory(session=session, user__full_name="Pat Member")
    schools = SettingFactory.create_batch(8)
    for n in range(CASES):
        first, second = schools[n % 8], schools[(n + 3) % 8]
        case = proposed_case(
            round_,
            preferences=(first, second),
            proposal=second,
            child__needs_summary=f"Needs summary {n}: speech and language therapy weekly.",
        )
        ConsultationFactory(
            case=case,
            setting=first,
            status="cannot_meet",
            ground_unsuitable=True,
            response_text=f"Cannot meet need {n}: no quiet space",
            responded_at=PANEL_HAS_SAT,
        )
        pc = PanelCase.objects.create(
            session=session, case=case, proposal=case.proposals.get(), scheduled_at=PANEL_HAS_SAT
        )
        if n == 0:
            Recusal.objects.create(panel_case=pc, member=member, reason="Works at the school")
    return round_, session


def test_the_session_page_summarises_and_each_case_page_shows_everything_the_panel_reads(
    client: Client, full_session: tuple
) -> None:
    round_, session = full_session
    ordered = list(PanelCase.objects.filter(session=session).order_by("case__reference"))
    with time_machine.travel(PANEL_HAS_SAT, tick=False):
        signed_in(client, session.chair)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("panels-pack", args=[session.pk]))
        assert page.status_code == 200
        assert len(queries) < 30  # no query per case
        summary = page.content.decode()
        assert f"{CASES} cases in this session: 0 decided, {CASES} to decide." in summary
        assert summary.count('id="pack-cases"') == 1
        assert summary.count("panels-pack-case") == 0  # links resolved, none left raw
        assert 'class="app-pack-case"' not in summary  # the cases have their own pages
        first, second = ordered[0], ordered[1]
        url = reverse("panels-pack-case", args=[session.pk, first.case.pk])
        assert url in summary
        text = client.get(url).content.decode()
    case = first.case
    assert text.count('class="app-pack-case"') == 1
    assert case.reference in text
    assert "Needs summary 0: speech and language therapy weekly." in text
    assert "Autistic spectrum disorder" in text
    assert "Reason 1 for" in text  # the family's reasons
    assert "Cannot meet need 0: no quiet space" in text
    assert "Unsuitable for the child&#x27;s age, ability, aptitude or SEN" in text
    assert "The family&#x27;s preference 2" in text
    assert "Higher preference had no places left." in text
    assert "2.0 miles (straight line)" in text  # 3.2 km, in the miles families read
    assert "Mainstream school (academy or free school) (cost band 0)" in text
    assert "Pat Member does not take part: Works at the school" in text
    assert reverse("panels-decide", args=[session.pk, case.pk]) in text
    assert f"case 1 of {CASES}" in text
    assert reverse("panels-pack-case", args=[session.pk, second.case.pk]) in text  # next
    assert 'rel="prev"' not in text


def test_the_pack_pdf_is_rendered_once_off_the_request_and_served_stored(
    client: Client, full_session: tuple
) -> None:
    _, session = full_session
    url = reverse("panels-pack-pdf", args=[session.pk])
    with time_machine.travel(PANEL_HAS_SAT, tick=False):
        signed_in(client, session.chair)
        started = time.perf_counter()
        first = client.get(url)
        second = client.get(url)  # a double click, or a second tab
        asked = time.perf_counter() - started
        assert "Preparing the pack PDF" in first.content.decode()
        assert PackPdf.objects.count() == 1  # one render queued for both
        assert asked < 2  # nothing rendered in the requests
        assert second.status_code == 200
        rendered = pack_pdf_render(pdf_id=PackPdf.objects.get().pk)  # the worker
        assert rendered is not None
        assert pack_pdf_render(pdf_id=rendered.pk) is None  # a redelivery does nothing
        response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 20_000
    size = len(response.content) / 1024
    print(f"\n40-case pack PDF: {size:.0f} KiB, rendered in {rendered.seconds}s")
    # A decision changes the pack: the stored file is no longer served as it.
    first_case = PanelCase.objects.filter(session=session).order_by("case__reference").first()
    Case.objects.filter(pk=first_case.case_id).update(state=CaseState.AT_PANEL)
    with time_machine.travel(PANEL_HAS_SAT, tick=False):
        decision_record(
            panel_case=first_case,
            data=DecisionInput(outcome=Outcome.AGREE, ground="unsuitable", reasons="Agreed."),
            actor=session.chair,
            now=PANEL_HAS_SAT,
        )
        again = client.get(url)
    assert "Preparing the pack PDF" in again.content.decode()
    assert PackPdf.objects.count() == 2

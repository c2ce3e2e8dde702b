"""The chair's pages: record a decision per case, sign the session off, change a decision."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from panels.forms import DecisionForm
from panels.models import Decision, Outcome, PanelCase, PanelSession
from panels.pack import pack_entries
from panels.selectors import (
    PlacesLeft,
    current_decision,
    is_chair,
    panel_cases_for_user,
    places_left,
    programmes_of_case,
    session_for_user,
    setting_options,
    sign_off_readiness,
    suggested_ground,
)
from panels.services.decisions import (
    DecisionInput,
    DecisionRefused,
    decision_change,
    decision_record,
    session_sign_off,
)
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import Role
from phasetransfer.models import Phase, Setting
from phasetransfer.security.access_log import case_access_record

CHAIRS = (Role.PANEL_CHAIR,)


def _chaired(request: AuthenticatedRequest, session_id: int) -> PanelSession:
    session = session_for_user(request.user, session_id)
    if not is_chair(request.user, session):
        raise PermissionDenied
    return session


def _places(panel_case: PanelCase) -> list[PlacesLeft]:
    """Places left in the proposed setting and in each setting the family named."""
    case = panel_case.case
    settings = []
    if panel_case.proposal and panel_case.proposal.setting:
        settings.append(panel_case.proposal.setting)
    for preference in case.preferences.select_related("setting").order_by("rank"):
        if preference.setting and preference.setting not in settings:
            settings.append(preference.setting)
    return [places_left(round_=case.round, setting=s, exclude_case=case) for s in settings]


def _over_capacity(panel_case: PanelCase, data: DecisionInput) -> PlacesLeft | None:
    """The places of a setting named, when naming it would go over them. A conditional
    offer names two: either may be the one the young person takes."""
    named: list[Setting] = []
    if data.outcome in (Outcome.OTHER_SETTING, Outcome.CONDITIONAL) and data.setting:
        named.append(data.setting)
    elif data.outcome == Outcome.AGREE and panel_case.proposal and panel_case.proposal.setting:
        named.append(panel_case.proposal.setting)
    if data.outcome == Outcome.CONDITIONAL and data.otherwise_setting not in (None, *named):
        assert data.otherwise_setting is not None
        named.append(data.otherwise_setting)
    case = panel_case.case
    for setting in named:
        places = places_left(round_=case.round, setting=setting, exclude_case=case)
        if places.over_if_named:
            return places
    return None


def _refused(form: DecisionForm, refused: DecisionRefused) -> None:
    field = {"setting": "setting_choice"}.get(refused.field, refused.field)
    form.add_error(field if field in form.fields else None, str(refused))


def _record(
    request: AuthenticatedRequest, form: DecisionForm, panel_case: PanelCase
) -> tuple[Decision | None, PlacesLeft | None]:
    """Record the decision unless its setting is over capacity and that is not confirmed."""
    data = form.decision_input()
    over = _over_capacity(panel_case, data)
    if over is not None and not form.cleaned_data.get("over_capacity"):
        return None, over
    try:
        decision = decision_record(panel_case=panel_case, data=data, actor=request.user)
    except DecisionRefused as refused:
        _refused(form, refused)
        return None, None
    if over is not None:
        messages.warning(
            request, f"{over.setting.name} is now over its places for this round by {1 - over.left}"
        )
    return decision, None


def _after_decision(
    request: AuthenticatedRequest, session: PanelSession, panel_case: PanelCase
) -> HttpResponse:
    """Back to the case; a case that has left the session (deferred, or sent for a further
    consultation) has no page here any more, so on to the next case, or the session."""
    live = panel_cases_for_user(request.user, session)
    if live.filter(pk=panel_case.pk).exists():
        return redirect("panels-pack-case", session_id=session.pk, case_id=panel_case.case_id)
    messages.info(request, f"{panel_case.case.reference} has left this session.")
    following = (
        live.filter(case__reference__gt=panel_case.case.reference)
        .order_by("case__reference")
        .values_list("case_id", flat=True)
        .first()
    )
    if following is None:
        return redirect("panels-pack", session_id=session.pk)
    return redirect("panels-pack-case", session_id=session.pk, case_id=following)


def _proposes_a_setting(panel_case: PanelCase) -> bool:
    return panel_case.proposal is not None and panel_case.proposal.setting_id is not None


@role_required(*CHAIRS)
def decide(request: AuthenticatedRequest, session_id: int, case_id: int) -> HttpResponse:
    session = _chaired(request, session_id)
    panel_case = (
        PanelCase.objects.filter(session=session, case_id=case_id, removed_at=None)
        .select_related("case__round", "case__child", "proposal__setting", "session")
        .first()
    )
    if panel_case is None:
        raise Http404("No such case in this session")
    case_access_record(request=request, case=panel_case.case)
    current = current_decision(panel_case.case, session)
    changing = current is not None
    # The model's reasons (the consultation ground, the cost comparison with both figures,
    # whose claim came first) as a starting point the chair edits: they reach the letter.
    proposed = panel_case.proposal.reasons if panel_case.proposal and not changing else []
    form = DecisionForm(
        request.POST or None,
        changing=changing,
        options=setting_options(panel_case),
        has_proposal=_proposes_a_setting(panel_case),
        post16=panel_case.case.round.phase == Phase.POST16,
        initial={
            "reasons": "\n".join(reason["text"] for reason in proposed),
            "ground": suggested_ground(proposed),
        },
    )
    over = None
    # The page sends which decision it showed; a form posted without it is checked as before.
    shown = request.POST.get("shown_decision") if request.method == "POST" else None
    if shown is not None and shown != (str(current.pk) if current else ""):
        # The page was shown before the decision now recorded (a second click, or another
        # window): do not record again, or ask for a reason to change it; show it.
        messages.info(
            request,
            f"A decision for {panel_case.case.reference} was already recorded: "
            f"{current.get_outcome_display() if current else 'none now'}. Here it is.",
        )
        return redirect("panels-pack-case", session_id=session.pk, case_id=case_id)
    if request.method == "POST" and not session.is_signed_off and form.is_valid():
        decision, over = _record(request, form, panel_case)
        if decision is not None:
            messages.success(
                request,
                f"Decision recorded for {panel_case.case.reference}: "
                f"{decision.get_outcome_display()}",
            )
            return _after_decision(request, session, panel_case)
    entry = pack_entries(PanelCase.objects.filter(pk=panel_case.pk))[0]
    return render(
        request,
        "panels/decide.html",
        {
            "session": session,
            "entry": entry,
            "form": form,
            "current": current,
            "places": _places(panel_case),
            "over": over,
            "programmes": programmes_of_case(panel_case.case),
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(*CHAIRS)
def sign_off(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    session = _chaired(request, session_id)
    error = ""
    if request.method == "POST":
        try:
            approved = session_sign_off(session=session, actor=request.user)
        except DecisionRefused as refused:
            error = str(refused)
        else:
            messages.success(request, f"Session signed off: {approved} offer(s) approved")
            return redirect("panels-pack", session_id=session.pk)
    return render(
        request,
        "panels/sign_off.html",
        {
            "session": session,
            "readiness": sign_off_readiness(session),
            "error": error,
            "not_met_yet": not session.has_met(clock.now()),
        },
        status=400 if error else 200,
    )


@role_required(*CHAIRS)
def change(request: AuthenticatedRequest, decision_id: int) -> HttpResponse:
    decision = get_object_or_404(
        Decision.objects.select_related("session", "case__child", "setting"), pk=decision_id
    )
    session = _chaired(request, decision.session_id)
    case_access_record(request=request, case=decision.case)
    if Decision.objects.filter(supersedes=decision).exists():
        raise Http404("This decision has been changed already")
    panel_case = PanelCase.objects.filter(
        session=session, case=decision.case, removed_at=None
    ).first()
    form = DecisionForm(
        request.POST or None,
        changing=True,
        options=setting_options(panel_case) if panel_case else None,
        has_proposal=panel_case is not None and _proposes_a_setting(panel_case),
        post16=decision.case.round.phase == Phase.POST16,
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = decision_change(
                decision=decision, data=form.decision_input(), actor=request.user
            )
        except DecisionRefused as refused:
            _refused(form, refused)
        else:
            messages.success(
                request,
                f"Decision changed for {decision.case.reference}: {changed.get_outcome_display()}",
            )
            return redirect("panels-pack", session_id=session.pk)
    return render(
        request,
        "panels/change.html",
        {
            "session": session,
            "decision": decision,
            "form": form,
            "programmes": programmes_of_case(decision.case),
        },
        status=400 if request.method == "POST" else 200,
    )

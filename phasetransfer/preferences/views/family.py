"""The family's journey: one question per page, saved as they go, checked, then submitted."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from phasetransfer.allocation.selectors import policy_for
from phasetransfer.cases.selectors import case_for_family, cases_of_family
from phasetransfer.cohort.selectors import primary_contact
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import Role, has_role
from phasetransfer.core.visibility import outcome_visible
from phasetransfer.models import Case, Phase, Preference, Setting
from phasetransfer.preferences import services as prefs
from phasetransfer.preferences.forms import (
    ChooseSettingForm,
    ContactDetailsForm,
    OtherSettingForm,
    ReasonsForm,
    SearchForm,
    YesNoForm,
)
from phasetransfer.preferences.nearest import (
    distance_to,
    nearest_for_need,
    nearest_mainstream,
    nearest_selective,
    phase_settings,
)
from phasetransfer.preferences.selectors import (
    changed_since_sent,
    latest_submission,
    preferences_editable,
    settings_search_for,
    why_not_editable,
    window_is_open,
)
from phasetransfer.preferences.travel import travel_note
from phasetransfer.security.access_log import case_access_record

FAMILY = (Role.PARENT, Role.YOUNG_PERSON)


def _preferences(case: Case) -> list[Preference]:
    return list(case.preferences.select_related("setting").order_by("rank"))


def _context(
    request: HttpRequest,
    case: Case,
    *,
    preferences: list[Preference] | None = None,
    **extra: object,
) -> dict[str, object]:
    now = clock.now()
    return {
        "case": case,
        "editable": preferences_editable(case, now),
        "why_not_editable": why_not_editable(case, now),
        "window_open": window_is_open(case, now),
        "submission": latest_submission(case),
        "changed_since_sent": changed_since_sent(case),
        "preferences": _preferences(case) if preferences is None else preferences,
        "is_young_person": has_role(request.user, Role.YOUNG_PERSON),
        "outcome_visible": outcome_visible(case, now),
        **extra,
    }


def _read_only(request: HttpRequest, case: Case) -> HttpResponse | None:
    reason = why_not_editable(case)
    if not reason:
        return None
    messages.info(request, reason)
    return redirect("journey-case", reference=case.reference)


def _family_case(request: AuthenticatedRequest, reference: str) -> Case:
    """The signed-in family's case (404 for any other), its opening recorded."""
    case = case_for_family(user=request.user, reference=reference)
    if case is None:
        raise Http404("No such case")
    case_access_record(request=request, case=case)
    return case


@role_required(*FAMILY)
def case_overview(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _family_case(request, reference)
    return render(request, "phasetransfer/preferences/case.html", _context(request, case))


@role_required(*FAMILY)
def details(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _family_case(request, reference)
    form = YesNoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["answer"] == "no":
            return redirect("journey-details-change", reference=reference)
        prefs.details_confirm(case=case, actor=request.user)
        return redirect("journey-nearest", reference=reference)
    contact = primary_contact(case)
    return render(
        request,
        "phasetransfer/preferences/details.html",
        _context(request, case, form=form, contact=contact),
    )


@role_required(*FAMILY)
def details_change(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _family_case(request, reference)
    contact = primary_contact(case)
    initial = {"correction": case.details_correction}
    form = ContactDetailsForm(request.POST or None, instance=contact, initial=initial)
    if request.method == "POST" and form.is_valid():
        form.save()
        prefs.details_confirm(
            case=case, actor=request.user, correction=form.cleaned_data["correction"]
        )
        return redirect("journey-nearest", reference=reference)
    return render(
        request, "phasetransfer/preferences/details_change.html", _context(request, case, form=form)
    )


@role_required(*FAMILY)
def nearest(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _family_case(request, reference)
    pool = phase_settings(case.round.phase)  # one query for both lists
    mainstream = nearest_mainstream(case, limit=3, candidates=pool)
    selective = nearest_selective(case, limit=3, candidates=pool)
    for_need = nearest_for_need(case, limit=3, candidates=pool)
    return render(
        request,
        "phasetransfer/preferences/nearest.html",
        _context(
            request,
            case,
            mainstream=mainstream,
            selective=selective,
            for_need=for_need,
            travel=travel_note(case, mainstream[0] if mainstream else None),
        ),
    )


@role_required(*FAMILY)
def preference_list(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _family_case(request, reference)
    preferences = _preferences(case)
    context = _context(
        request,
        case,
        preferences=preferences,
        rows=[(p, distance_to(case, p.setting) if p.setting else None) for p in preferences],
        shown=",".join(str(p.pk) for p in preferences),
        can_add=len(preferences) < case.round.max_preferences,
        policy=policy_for(case.round),
    )
    return render(request, "phasetransfer/preferences/preferences.html", context)


@role_required(*FAMILY)
def preference_search(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _family_case(request, reference)
    if (blocked := _read_only(request, case)) is not None:
        return blocked
    form = SearchForm(request.GET or None)
    error = ""
    if request.method == "POST":
        choose = ChooseSettingForm(request.POST)
        setting = (
            Setting.objects.filter(urn=choose.cleaned_data["urn"]).first()
            if choose.is_valid()
            else None
        )
        if setting is None:
            error = "Choose a school or college from the list"
        else:
            try:
                added = prefs.preference_add(case=case, actor=request.user, setting=setting)
            except prefs.PreferenceRefused as refused:
                error = str(refused)
            else:
                return redirect("journey-reasons", reference=reference, pk=added.pk)
    found = None
    if form.is_valid() and form.cleaned_data["q"]:
        page = request.GET.get("page", "1")
        found = settings_search_for(
            case, query=form.cleaned_data["q"], page=int(page) if page.isdigit() else 1
        )
    return render(
        request,
        "phasetransfer/preferences/search.html",
        _context(
            request,
            case,
            form=form,
            found=found,
            phase=Phase(case.round.phase).label,
            error=error,
            searched=bool(request.GET.get("q")),
        ),
    )


@role_required(*FAMILY)
def preference_other(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _family_case(request, reference)
    if (blocked := _read_only(request, case)) is not None:
        return blocked
    form = OtherSettingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            prefs.preference_add(
                case=case,
                actor=request.user,
                other_name=form.cleaned_data["other_name"],
                other_details=form.cleaned_data["other_details"],
                reasons=form.cleaned_data["reasons"],
            )
        except prefs.PreferenceRefused as refused:
            form.add_error(refused.field or "other_name", str(refused))
        else:
            return redirect("journey-preferences", reference=reference)
    return render(
        request, "phasetransfer/preferences/other.html", _context(request, case, form=form)
    )


def _preference(case: Case, pk: int) -> Preference | None:
    """The case's preference with this id, or None if it is gone (removed in another tab)."""
    return case.preferences.select_related("setting").filter(pk=pk).first()


def _gone(reference: str) -> HttpResponse:
    return redirect("journey-preferences", reference=reference)


@role_required(*FAMILY)
def preference_reasons(request: AuthenticatedRequest, reference: str, pk: int) -> HttpResponse:
    case = _family_case(request, reference)
    if (blocked := _read_only(request, case)) is not None:
        return blocked
    preference = _preference(case, pk)
    if preference is None:
        messages.info(request, "That preference is no longer in your list.")
        return _gone(reference)
    form = ReasonsForm(request.POST or None, initial={"reasons": preference.reasons})
    if request.method == "POST" and form.is_valid():
        try:
            prefs.preference_set_reasons(
                preference=preference, reasons=form.cleaned_data["reasons"], actor=request.user
            )
        except prefs.PreferenceRefused as refused:
            form.add_error("reasons", str(refused))
        else:
            target = (
                "journey-check" if request.GET.get("next") == "check" else "journey-preferences"
            )
            return redirect(target, reference=reference)
    return render(
        request,
        "phasetransfer/preferences/reasons.html",
        _context(
            request,
            case,
            form=form,
            preference=preference,
            from_check=request.GET.get("next") == "check",
        ),
    )


@role_required(*FAMILY)
def preference_remove(request: AuthenticatedRequest, reference: str, pk: int) -> HttpResponse:
    case = _family_case(request, reference)
    if (blocked := _read_only(request, case)) is not None:
        return blocked
    preference = _preference(case, pk)
    if preference is None:
        messages.info(request, "That preference was already removed.")
        return _gone(reference)
    form = YesNoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["answer"] == "yes":
            try:
                prefs.preference_remove(case=case, preference_id=pk, actor=request.user)
            except prefs.PreferenceRefused as refused:
                messages.info(request, str(refused))
            else:
                messages.success(request, f"{preference.display_name} removed")
        return redirect("journey-preferences", reference=reference)
    form.fields["answer"].error_messages["required"] = "Select yes to remove this preference"
    return render(
        request,
        "phasetransfer/preferences/remove.html",
        _context(request, case, form=form, preference=preference),
    )


@require_POST
@role_required(*FAMILY)
def preference_move(request: AuthenticatedRequest, reference: str, pk: int) -> HttpResponse:
    case = _family_case(request, reference)
    if (blocked := _read_only(request, case)) is not None:
        return blocked
    shown = [int(part) for part in request.POST.get("shown", "").split(",") if part.isdigit()]
    try:
        prefs.preference_move(
            case=case,
            preference_id=pk,
            up=request.POST.get("direction") == "up",
            actor=request.user,
            shown=shown or None,
        )
    except prefs.PreferenceRefused as refused:
        messages.info(request, str(refused))
    return redirect("journey-preferences", reference=reference)


@role_required(*FAMILY)
def check_answers(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _family_case(request, reference)
    error = ""
    if request.method == "POST":
        try:
            prefs.preferences_submit(case=case, actor=request.user)
        except prefs.PreferenceRefused as refused:
            error = str(refused)
        else:
            return redirect("journey-confirmation", reference=reference)
    return render(
        request,
        "phasetransfer/preferences/check.html",
        _context(request, case, contact=primary_contact(case), error=error),
    )


@role_required(*FAMILY)
def confirmation(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _family_case(request, reference)
    context = _context(request, case)
    if context["submission"] is None:
        return redirect("journey-check", reference=reference)
    return render(request, "phasetransfer/preferences/confirmation.html", context)


@role_required(*FAMILY)
def home(request: AuthenticatedRequest) -> HttpResponse:
    cases = cases_of_family(user=request.user)
    return render(request, "phasetransfer/preferences/home.html", {"cases": cases})

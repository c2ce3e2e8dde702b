"""Staff pages for consultations: a round's progress, overdue lists, and one case's consultations.

Every LA staff role may look; caseworkers and administrators act (send, chase,
record a school's response on its behalf, withdraw, re-send, consult another
setting). Panel chairs read only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from phasetransfer.consultations.emails import consultations_chase
from phasetransfer.consultations.forms import AddConsultationForm, OnBehalfResponseForm, ReasonForm
from phasetransfer.consultations.selectors import (
    cases_waiting,
    consultation_row,
    consultations_overdue,
    due_day,
    last_chased,
    other_preferences,
    programme_rows,
    round_case_progress,
    round_setting_counts,
    settings_not_ruling_out,
)
from phasetransfer.consultations.services import (
    ConsultationRefused,
    consultation_add,
    consultation_resend,
    consultation_respond,
    consultation_withdraw,
    consultations_planned,
    round_check_sendable,
)
from phasetransfer.consultations.tasks import send_round_consultations
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import READ_ALL, Role, has_role
from phasetransfer.models import Case, Consultation, ConsultationStatus, Phase, Round, User
from phasetransfer.security.access_log import case_access_record, cases_access_record

STAFF = READ_ALL
ACTORS = (Role.CASEWORKER, Role.ADMINISTRATOR)
CASES_PER_PAGE = 100


@role_required(*STAFF)
def round_consultations(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    now = clock.now()
    progress = round_case_progress(round_=round_)
    page = Paginator(progress, CASES_PER_PAGE).get_page(request.GET.get("page"))
    cases_access_record(request=request, case_ids=[row.case.pk for row in page])
    context = {
        "round": round_,
        "settings": round_setting_counts(round_=round_, now=now),
        "page": page,
        "cases_total": len(progress),
        "cases_complete": sum(1 for p in progress if p.complete),
        "overdue_total": consultations_overdue(now=now, round_=round_).count(),
        "waiting_total": cases_waiting(round_=round_).count(),
        "other_preferences": other_preferences(round_=round_),
        "window_closed": now >= round_.preference_closes_at,
        "can_act": has_role(request.user, *ACTORS),
    }
    return render(request, "phasetransfer/consultations/round.html", context)


@role_required(*ACTORS)
@require_POST
def round_send(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    """Queue the round send: a whole round takes longer than a web request should.

    The task is idempotent and the service locks the round, so a double click
    queues two sends of which the second finds nothing to do.
    """
    round_ = get_object_or_404(Round, pk=round_id)
    try:
        round_check_sendable(round_=round_, now=clock.now())
    except ConsultationRefused as exc:
        messages.warning(request, str(exc))
    else:
        actor_id = request.user.pk
        transaction.on_commit(lambda: send_round_consultations.delay(round_.pk, actor_id))
        messages.success(
            request,
            "Sending consultations. A whole round takes a minute or two: refresh this page "
            "to see them arrive.",
        )
    return redirect("staff-consultations-round", round_id=round_.pk)


@role_required(*STAFF)
def round_waiting(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    """Cases not yet consulted, to send consultations for a selection of them."""
    round_ = get_object_or_404(Round, pk=round_id)
    waiting = cases_waiting(round_=round_)
    page = Paginator(waiting, CASES_PER_PAGE).get_page(request.GET.get("page"))
    cases_access_record(request=request, case_ids=[case.pk for case in page])
    try:
        round_check_sendable(round_=round_, now=clock.now())
    except ConsultationRefused as exc:
        not_yet = str(exc)
    else:
        not_yet = ""
    context = {
        "round": round_,
        "page": page,
        "not_yet": not_yet,
        "can_act": has_role(request.user, *ACTORS),
    }
    return render(request, "phasetransfer/consultations/waiting.html", context)


@role_required(*ACTORS)
@require_POST
def round_send_selected(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    """Send consultations for the cases ticked on the waiting list, after a confirmation
    that names each case and what it will consult; the send itself is the round send's
    task (idempotent, one per round at a time), limited to those cases."""
    round_ = get_object_or_404(Round, pk=round_id)
    back = redirect("staff-consultations-waiting", round_id=round_.pk)
    try:
        round_check_sendable(round_=round_, now=clock.now())
    except ConsultationRefused as exc:
        messages.warning(request, str(exc))
        return back
    wanted = {int(v) for v in request.POST.getlist("case") if v.isdigit()}
    chosen = list(cases_waiting(round_=round_).filter(pk__in=wanted).values_list("pk", flat=True))
    if not chosen:
        messages.error(
            request,
            "Select at least one case to consult. Cases already consulted are not on this list.",
        )
        return back
    if request.POST.get("confirm") != "yes":
        plan = consultations_planned(round_=round_, only=chosen)
        cases_access_record(request=request, case_ids=chosen)
        return render(
            request,
            "phasetransfer/consultations/send_confirm.html",
            {"round": round_, "plan": plan, "chosen": chosen},
        )
    actor_id = request.user.pk
    transaction.on_commit(
        lambda: send_round_consultations.delay(round_.pk, actor_id, sorted(chosen))
    )
    messages.success(
        request,
        f"Sending consultations for {len(chosen)} case{'s' if len(chosen) != 1 else ''}. "
        "Refresh this page in a minute: they leave this list once sent.",
    )
    return back


@role_required(*STAFF)
def round_overdue(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    now = clock.now()
    overdue = list(consultations_overdue(now=now, round_=round_))
    chased = last_chased(overdue)
    rows = [consultation_row(c, now=now, last_chased=chased.get(c.pk)) for c in overdue]
    cases_access_record(request=request, case_ids=[c.case_id for c in overdue])
    context = {"round": round_, "rows": rows, "can_act": has_role(request.user, *ACTORS)}
    return render(request, "phasetransfer/consultations/overdue.html", context)


@role_required(*ACTORS)
@require_POST
def round_chase(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    """Chase every overdue consultation, or a selection: a selection is confirmed first, on
    a page that says how many and which."""
    round_ = get_object_or_404(Round, pk=round_id)
    if "selection" not in request.POST:
        report = consultations_chase(round_=round_)
        messages.success(request, report.summary())
        return redirect("staff-consultations-overdue", round_id=round_.pk)
    wanted = {int(v) for v in request.POST.getlist("consultation") if v.isdigit()}
    overdue = [c for c in consultations_overdue(now=clock.now(), round_=round_) if c.pk in wanted]
    if not overdue:
        messages.error(request, "Select at least one overdue consultation to chase.")
        return redirect("staff-consultations-overdue", round_id=round_.pk)
    if request.POST.get("confirm") != "yes":
        cases_access_record(request=request, case_ids=[c.case_id for c in overdue])
        return render(
            request,
            "phasetransfer/consultations/chase_confirm.html",
            {"round": round_, "selected": overdue},
        )
    report = consultations_chase(round_=round_, only={c.pk for c in overdue})
    messages.success(request, report.summary())
    return redirect("staff-consultations-overdue", round_id=round_.pk)


@role_required(*STAFF)
def case_consultations(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = get_object_or_404(Case.objects.select_related("child", "round"), reference=reference)
    case_access_record(request=request, case=case)
    consultations = list(
        case.consultations.select_related("setting", "responded_by")
        .prefetch_related("programmes")
        .order_by("sent_at", "id")
    )
    replaced = {c.replaces_id for c in consultations if c.replaces_id}
    now = clock.now()
    rows = [
        consultation_row(c, now=now, replaced=c.pk in replaced, programmes=programme_rows(c))
        for c in consultations
    ]
    context = {
        "case": case,
        "child": case.child,
        "rows": rows,
        "preferences": case.preferences.select_related("setting").order_by("rank"),
        "not_ruling_out": settings_not_ruling_out(case),
        "can_act": has_role(request.user, *ACTORS),
    }
    return render(request, "phasetransfer/consultations/case.html", context)


def _consultation(consultation_id: int) -> Consultation:
    return get_object_or_404(
        Consultation.objects.select_related("case__child", "case__round", "setting"),
        pk=consultation_id,
    )


def _back_to_case(consultation: Consultation) -> HttpResponse:
    return redirect("staff-consultations-case", reference=consultation.case.reference)


@role_required(*ACTORS)
def respond(request: AuthenticatedRequest, consultation_id: int) -> HttpResponse:
    """Record a school's response given by email, phone, letter or in a meeting."""
    found = _consultation(consultation_id)
    case_access_record(request=request, case=found.case)
    if found.status != ConsultationStatus.PENDING:
        messages.info(request, "This consultation is not awaiting a response")
        return _back_to_case(found)
    form = OnBehalfResponseForm(
        request.POST if request.method == "POST" else None,
        programmes=found.case.round.phase == Phase.POST16,
    )
    if request.method == "POST" and form.is_valid():
        try:
            consultation_respond(
                consultation=found,
                can_meet=form.can_meet,
                grounds=form.cleaned_data["grounds"],
                only_setting=form.cleaned_data["only_setting"],
                text=form.cleaned_data["response_text"],
                actor=request.user,
                on_behalf=True,
                channel=form.cleaned_data["channel"],
                programmes=form.programmes,
            )
        except ConsultationRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Response from {found.setting.name} recorded")
            return _back_to_case(found)
    context = {"consultation": found, "due_day": due_day(found), "case": found.case, "form": form}
    return render(request, "phasetransfer/consultations/respond.html", context)


def _reason_action(
    request: AuthenticatedRequest,
    consultation_id: int,
    *,
    action: Callable[[Consultation, str, User], object],
    template: str,
    done: str,
) -> HttpResponse:
    found = _consultation(consultation_id)
    case_access_record(request=request, case=found.case)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            action(found, form.cleaned_data["reason"], request.user)
        except ConsultationRefused as exc:
            form.add_error("reason" if exc.field == "reason" else None, str(exc))
        else:
            messages.success(request, done.format(setting=found.setting.name))
            return _back_to_case(found)
    context = {"consultation": found, "case": found.case, "form": form}
    return render(request, template, context)


@role_required(*ACTORS)
def withdraw(request: AuthenticatedRequest, consultation_id: int) -> HttpResponse:
    return _reason_action(
        request,
        consultation_id,
        action=lambda c, reason, user: consultation_withdraw(
            consultation=c, reason=reason, actor=user
        ),
        template="phasetransfer/consultations/withdraw.html",
        done="Consultation with {setting} withdrawn",
    )


@role_required(*ACTORS)
def resend(request: AuthenticatedRequest, consultation_id: int) -> HttpResponse:
    return _reason_action(
        request,
        consultation_id,
        action=lambda c, reason, user: consultation_resend(
            consultation=c, reason=reason, actor=user
        ),
        template="phasetransfer/consultations/resend.html",
        done="Consultation re-sent to {setting} with a new due date",
    )


@role_required(*ACTORS)
def add(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """Consult a setting the family did not name: one the LA is considering (s39)."""
    case = get_object_or_404(Case.objects.select_related("child", "round"), reference=reference)
    case_access_record(request=request, case=case)
    form = AddConsultationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        setting = form.cleaned_data["urn"]
        try:
            consultation_add(
                case=case, setting=setting, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ConsultationRefused as exc:
            field = {"setting": "urn", "reason": "reason"}.get(exc.field)
            form.add_error(field, str(exc))
        else:
            messages.success(request, f"Consultation sent to {setting.name}")
            return redirect("staff-consultations-case", reference=case.reference)
    return render(request, "phasetransfer/consultations/add.html", {"case": case, "form": form})

"""Officers: the allocation policy, running the model, and its proposals with reasons."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from phasetransfer.allocation.comparison import comparison_chart
from phasetransfer.allocation.forms import PolicyForm
from phasetransfer.allocation.reservation import places_committed, rule_sentence
from phasetransfer.allocation.selectors import allocatable_count, holders_attach, policy_for
from phasetransfer.allocation.services import AllocationBusy, allocation_request, policy_save
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import Role
from phasetransfer.models import AllocationRun, Round, RunStatus
from phasetransfer.security.access_log import cases_access_record

OFFICERS = (Role.CASEWORKER, Role.PANEL_CHAIR, Role.ADMINISTRATOR)
CHANGERS = (Role.PANEL_CHAIR, Role.ADMINISTRATOR, Role.CASEWORKER)


@role_required(*OFFICERS)
def overview(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    policy = policy_for(round_)
    # The form gets its own copy: validating writes the posted values onto its instance,
    # and the page must state the policy as saved, not as typed.
    form = PolicyForm(request.POST or None, instance=policy_for(round_))
    if request.method == "POST" and form.is_valid():
        policy_save(round_=round_, values=form.policy_values(), actor=request.user)
        messages.success(request, "Allocation policy saved. Run the model to apply it.")
        return redirect("staff-allocation", round_id=round_id)
    runs = AllocationRun.objects.filter(round=round_)
    return render(
        request,
        "phasetransfer/allocation/overview.html",
        {
            "round": round_,
            "form": form,
            "policy": policy,
            "runs": runs[:10],
            "allocatable": allocatable_count(round_),
            "conditional_rule": rule_sentence(policy.conditional_places, policy.conditional_margin),
            "committed": places_committed(round_, policy=policy),
            "active": runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists(),
        },
    )


@require_POST
@role_required(*CHANGERS)
def run(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    try:
        started = allocation_request(round_=round_, actor=request.user)
    except AllocationBusy as busy:
        messages.error(request, str(busy))
        return redirect("staff-allocation", round_id=round_id)
    return redirect("staff-allocation-run", run_id=started.pk)


def _run_rule(allocation_run: AllocationRun) -> str:
    """The conditional-places rule as it was for the run (runs before it was a choice
    have none)."""
    snapshot = allocation_run.policy or {}
    if "conditional_places" not in snapshot:
        return ""
    return rule_sentence(snapshot["conditional_places"], snapshot.get("conditional_margin", 0))


@role_required(*OFFICERS)
def run_detail(request: AuthenticatedRequest, run_id: int) -> HttpResponse:
    allocation_run = get_object_or_404(AllocationRun.objects.select_related("round"), pk=run_id)
    proposals = allocation_run.proposals.select_related("case__child", "setting").order_by(
        "case__reference"
    )
    only = request.GET.get("show", "")
    if only == "not-first":
        proposals = proposals.exclude(preference_rank=1)
    elif only == "unplaced":
        proposals = proposals.filter(setting__isnull=True)
    page = Paginator(proposals, 50).get_page(request.GET.get("page"))
    cases_access_record(request=request, case_ids=[proposal.case_id for proposal in page])
    policies = (allocation_run.report or {}).get("policies") or []
    holders_attach(allocation_run, list(page))
    return render(
        request,
        "phasetransfer/allocation/run.html",
        {
            "run": allocation_run,
            "page": page,
            "show": only,
            "policies": policies,
            "policy_chart": comparison_chart(policies) if policies else None,
            "conditional_rule": _run_rule(allocation_run),
            "running": allocation_run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
        },
    )

"""The family's outcome pages: what they were told (each release and its letter), their answer."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from offers.models import FamilyResponse, Release
from offers.selectors import (
    after_offer_day,
    release_letter_pdf,
    release_published,
    releases_published,
)
from offers.services.letters import offer_terms
from offers.services.outcomes import ResponseRefused, family_respond
from phasetransfer.cases.selectors import case_for_family
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import Role, has_role
from phasetransfer.core.visibility import outcome_visible
from phasetransfer.models import (
    AccessAction,
    Case,
)
from phasetransfer.security.access_log import case_access_record

FAMILY = (Role.PARENT, Role.YOUNG_PERSON)


class ResponseForm(forms.Form):
    answer = forms.ChoiceField(
        choices=FamilyResponse.Answer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what you want to do"},
    )
    wants_independent = forms.BooleanField(
        required=False, label="I would like an independent school or college"
    )
    comments = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea,
        label="Anything you want to tell us (optional)",
    )
    # The release the page showed, so an answer to an outdated offer is refused.
    release = forms.IntegerField(widget=forms.HiddenInput)


def _family_case(request: AuthenticatedRequest, reference: str, action: str | None = None) -> Case:
    """The family's case once its outcome is visible, its opening recorded."""
    case = case_for_family(user=request.user, reference=reference)
    if case is None or not outcome_visible(case):
        # Before the moment the outcome does not exist, as far as families are concerned.
        raise Http404("No outcome yet")
    case_access_record(request=request, case=case, action=action)
    return case


@role_required(*FAMILY)
def outcome(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """What the family was told, as published: the latest release, and the ones before it."""
    case = _family_case(request, reference)
    releases = releases_published(case)
    current = releases[-1] if releases else None
    form = ResponseForm(request.POST or None, initial={"release": current.pk if current else None})
    if request.method == "POST" and current is not None and form.is_valid():
        answered = Release.objects.filter(case=case, pk=form.cleaned_data["release"]).first()
        try:
            if answered is None:
                raise ResponseRefused("Read your letter, then tell us what you want to do.")
            family_respond(
                case=case,
                release=answered,
                actor=request.user,
                answer=form.cleaned_data["answer"],
                wants_independent=form.cleaned_data["wants_independent"],
                comments=form.cleaned_data["comments"],
            )
        except ResponseRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "Thank you. We have recorded your answer.")
            return redirect("offers-outcome", reference=reference)
    decision = current.decision if current else None
    is_young_person = has_role(request.user, Role.YOUNG_PERSON)
    # In the letter's words: to the young person, or to a parent or carer about them by name.
    about = None if is_young_person else case.child.first_name
    return render(
        request,
        "offers/outcome.html",
        {
            "case": case,
            "release": current,
            "decision": decision,
            "terms": offer_terms(decision, about=about) if decision else None,
            "earlier": list(reversed(releases[:-1])),
            "responses": case.family_responses.filter(release=current) if current else [],
            "story": after_offer_day(case, clock.today_in_london()),
            "form": form,
            "is_young_person": is_young_person,
        },
        status=400 if form.errors else 200,
    )


@role_required(*FAMILY)
def letter_pdf(
    request: AuthenticatedRequest, reference: str, number: int | None = None
) -> HttpResponse:
    """The letter a release published (the latest, or release ``number``): the same bytes,
    whenever it is downloaded."""
    case = _family_case(request, reference, action=AccessAction.DOWNLOAD)
    release = release_published(case, number)
    if release is None:
        raise Http404("The letter is being prepared")
    response = HttpResponse(release_letter_pdf(release), content_type="application/pdf")
    suffix = f"-{release.number}" if release.is_amended else ""
    response["Content-Disposition"] = f'inline; filename="{case.reference}-letter{suffix}.pdf"'
    return response

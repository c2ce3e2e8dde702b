from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from phasetransfer.access import role_required
from phasetransfer.models import Case, CaseState, Round
from phasetransfer.roles import READ_ALL

STAFF = READ_ALL


@role_required(*STAFF)
def rounds(request: HttpRequest) -> HttpResponse:
    counts = {
        (row["round"], row["state"]): row["n"]
        for row in Case.objects.values("round", "state").annotate(n=Count("id"))
    }
    rows = [
        {
            "round": r,
            "total": sum(n for (round_id, _), n in counts.items() if round_id == r.pk),
            "states": [
                (state.label, counts[(r.pk, state.value)])
                for state in CaseState
                if (r.pk, state.value) in counts
            ],
        }
        for r in Round.objects.all()
    ]
    return render(request, "phasetransfer/staff/rounds.html", {"rows": rows})

"""Notify's delivery-status callback, and the caseworker's list of messages that did not
arrive."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import READ_ALL
from phasetransfer.delivery.selectors import undelivered
from phasetransfer.delivery.services import ReceiptRefused, delivery_receipt_record
from phasetransfer.models import Round
from phasetransfer.security.access_log import cases_access_record


def _bearer_ok(request: HttpRequest) -> bool:
    expected = settings.NOTIFY_CALLBACK_TOKEN
    given = request.headers.get("Authorization", "")
    if not expected or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given.removeprefix("Bearer ").encode(), expected.encode())


@csrf_exempt
@require_POST
def notify_callback(request: HttpRequest) -> HttpResponse:
    """Notify POSTs one receipt per message, with the bearer token the council set."""
    if not _bearer_ok(request):
        return JsonResponse({"error": "missing or wrong bearer token"}, status=401)
    try:
        payload = json.loads(request.body)
        if not isinstance(payload, dict):
            raise ReceiptRefused("the body is not a JSON object")
        known = delivery_receipt_record(payload)
    except (ValueError, ReceiptRefused) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if not known:
        return JsonResponse({"error": "no such notification"}, status=404)
    return JsonResponse({"result": "recorded"})


@role_required(*READ_ALL)
def round_undelivered(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    """Contacts whose messages did not arrive, newest first: fixed while it still matters."""
    round_ = get_object_or_404(Round, pk=round_id)
    rows = undelivered(round_=round_)
    cases_access_record(request=request, case_ids=[row.case_id for row in rows if row.case_id])
    return render(
        request, "phasetransfer/delivery/undelivered.html", {"round": round_, "rows": rows}
    )

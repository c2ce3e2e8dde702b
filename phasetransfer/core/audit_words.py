"""Audit events in plain English, with what changed: "Preference removed: Knole Academy
(preference 2)", not `preference.removed`.

Events store ids and codes (never free text about a child); this turns them into words when
a page shows them. An action with no wording here is still shown, made readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from phasetransfer.models import AuditEvent, CaseState, Setting

ACTIONS = {
    "case.opened": "Case opened",
    "case.reassigned": "Caseworker changed",
    "details.confirmed": "The family confirmed their details",
    "details.correction_reported": "The family reported a correction to their details",
    "invitation.issued": "Invitation sent to the family",
    "invitation.redeemed": "The family linked their account",
    "reminder.sent": "Reminder sent to the family",
    "preference.added": "Preference added",
    "preference.moved": "Preference moved",
    "preference.removed": "Preference removed",
    "preferences.submitted": "Preferences sent by the family",
    "preferences.submitted_on_behalf": "Preferences entered by staff for the family",
    "consultation.sent": "School or college consulted",
    "consultation.answered": "The school or college answered the consultation",
    "consultation.answered_on_behalf": "The school's answer recorded by staff",
    "consultation.chased": "School or college chased for an answer",
    "consultation.replaced": "Consultation sent again",
    "consultation.resent": "Consultation email sent again",
    "consultation.withdrawn": "Consultation withdrawn",
    "panel.scheduled": "Placed in a panel session",
    "panel.removed": "Taken out of a panel session",
    "panel.recused": "A panel member stood aside",
    "panel.decision": "Panel decision recorded",
    "panel.decision_changed": "Panel decision changed",
    "outcome.family_response": "The family answered the offer",
    "follow_up.done": "Task done",
    "results.imported": "Exam results imported",
}
STATUS_WORDS = {"can_meet": "can meet the needs", "cannot_meet": "cannot meet the needs"}


@dataclass(frozen=True)
class EventText:
    event: AuditEvent
    text: str


def _readable(action: str) -> str:
    words = action.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def action_text(action: str, to_state: str = "") -> str:
    """The event's kind in words (the trail page, where details are not loaded)."""
    if action.startswith("state.") and to_state:
        return f"Moved to {_state(to_state)}"
    return ACTIONS.get(action, _readable(action))


def _state(code: str) -> str:
    try:
        return str(CaseState(code).label)
    except ValueError:
        return code


def _setting_part(data: Mapping[str, Any], names: Mapping[int, str]) -> list[str]:
    setting = data.get("setting")
    if isinstance(setting, int):
        return [names.get(setting, f"URN {setting}")]
    if setting == "other":
        return ["a school or college not in the list"]
    return [setting] if isinstance(setting, str) and setting else []


def _rank_part(data: Mapping[str, Any]) -> list[str]:
    if "from" in data and "to" in data:
        return [f"from preference {data['from']} to {data['to']}"]
    return [f"preference {data['rank']}"] if "rank" in data else []


def _answer_part(data: Mapping[str, Any]) -> list[str]:
    parts = [STATUS_WORDS[data["status"]]] if data.get("status") in STATUS_WORDS else []
    if data.get("grounds"):
        parts.append("grounds: " + ", ".join(str(g) for g in data["grounds"]))
    if data.get("only_setting"):
        parts.append("only it can meet the needs")
    return parts


def _sent_part(data: Mapping[str, Any]) -> list[str]:
    parts = []
    if "receipt" in data:
        count = data.get("count")
        parts.append(f"receipt {data['receipt']}" + (f", {count} named" if count else ""))
    if data.get("late"):
        parts.append("late")
    return parts


def _details(data: Mapping[str, Any], names: Mapping[int, str]) -> list[str]:
    """What changed, from the event's ids and codes."""
    codes = [
        str(data[key]).replace("_", " ")
        for key in ("answer", "outcome", "kind", "channel")
        if data.get(key)
    ]
    return [
        *_setting_part(data, names),
        *_rank_part(data),
        *_answer_part(data),
        *_sent_part(data),
        *codes,
    ]


def describe(events: Iterable[AuditEvent]) -> list[EventText]:
    """Each event with a sentence saying what happened and what changed."""
    events = list(events)
    urns = {e.data.get("setting") for e in events if isinstance(e.data.get("setting"), int)}
    names = dict(Setting.objects.filter(urn__in=urns).values_list("urn", "name")) if urns else {}
    described = []
    for event in events:
        text = action_text(event.action, event.to_state)
        if event.to_state and not event.action.startswith("state."):
            text += f" ({_state(event.from_state) if event.from_state else 'new'} to "
            text += f"{_state(event.to_state)})"
        elif event.action.startswith("state.") and event.from_state:
            text += f" (from {_state(event.from_state)})"
        details = _details(event.data or {}, names)
        if details:
            text += ": " + "; ".join(details)
        described.append(EventText(event, text))
    return described

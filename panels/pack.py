"""The panel pack and the minutes: what is read about each case, built in a few queries.

Callers pass the panel cases / decisions a user may see (``panels.selectors``); nothing
here widens that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.template.loader import render_to_string

from panels.models import Decision, Ground, PanelCase, PanelSession, Recusal, SettingType
from phasetransfer.consultations.selectors import (
    ProgrammeRow,
    consultations_live,
    ground_labels,
    programme_rows,
)
from phasetransfer.core import clock
from phasetransfer.core.csv_safe import csv_text
from phasetransfer.models import (
    Need,
    Preference,
    Proposal,
    Setting,
    SettingKind,
)


@dataclass
class ConsultationLine:
    setting: str
    status: str
    grounds: list[str]
    text: str
    responded_at: Any
    due_at: Any
    programmes: tuple[ProgrammeRow, ...] = ()  # a post-16 answer's, as staff read them


@dataclass
class PackEntry:
    panel_case: PanelCase
    need: str
    preferences: list[Preference]
    consultations: list[ConsultationLine]
    proposal: Proposal | None
    proposal_label: str
    cost_band: str
    reasons: list[dict[str, Any]]
    recusals: list[Recusal]
    decision: Decision | None = None
    history: list[Decision] = field(default_factory=list)

    @property
    def case(self) -> Any:
        return self.panel_case.case


def _band_key(kind: str) -> str:
    if kind in SettingKind.independent():
        return "band_independent"
    return {
        SettingKind.RESOURCED_PROVISION: "band_resourced",
        SettingKind.SPECIAL: "band_special",
        SettingKind.FE_COLLEGE: "band_college",
    }.get(SettingKind(kind), "band_mainstream")


def cost_band(proposal: Proposal | None) -> str:
    """The kind of the proposed setting, with the cost band the run's policy gave it."""
    if proposal is None or proposal.setting is None:
        return ""
    kind = proposal.setting.kind
    label = SettingKind(kind).label if kind in SettingKind.values else kind
    band = (proposal.run.policy or {}).get(_band_key(kind))
    return f"{label} (cost band {band})" if band is not None else label


def proposal_label(proposal: Proposal | None) -> str:
    if proposal is None:
        return "No proposal"
    if proposal.setting is None:
        return "The model could not place the child: no setting proposed"
    if proposal.is_fallback:
        return "Nearest suitable setting (not named by the family)"
    if proposal.preference_rank:
        return f"The family's preference {proposal.preference_rank}"
    return "Not one of the family's preferences"


def _consultations(case_ids: list[int]) -> dict[int, list[ConsultationLine]]:
    rows = (
        consultations_live()
        .filter(case_id__in=case_ids)
        .select_related("setting")
        .prefetch_related("programmes")
        .order_by("case_id", "sent_at", "id")
    )
    found: dict[int, list[ConsultationLine]] = defaultdict(list)
    for c in rows:
        found[c.case_id].append(
            ConsultationLine(
                setting=c.setting.name,
                status=c.get_status_display(),
                grounds=ground_labels(c),
                text=c.response_text,
                responded_at=c.responded_at,
                due_at=c.due_at,
                programmes=programme_rows(c),
            )
        )
    return found


def pack_entries(panel_cases: QuerySet[PanelCase]) -> list[PackEntry]:
    """One entry per panel case, in case reference order."""
    rows = list(
        panel_cases.select_related(
            "session", "case__child", "case__round", "proposal__setting", "proposal__run"
        )
        .prefetch_related(
            Prefetch(
                "case__preferences",
                queryset=Preference.objects.select_related("setting").order_by("rank"),
            ),
            Prefetch("recusals", queryset=Recusal.objects.select_related("member__user")),
        )
        .order_by("case__reference")
    )
    case_ids = [pc.case_id for pc in rows]
    consultations = _consultations(case_ids)
    decisions: dict[int, list[Decision]] = defaultdict(list)
    for decision in (
        Decision.objects.filter(case_id__in=case_ids, session_id__in={pc.session_id for pc in rows})
        .select_related("setting", "decided_by")
        .order_by("decided_at", "id")
    ):
        decisions[decision.case_id].append(decision)
    entries = []
    for pc in rows:
        child = pc.case.child
        history = decisions.get(pc.case_id, [])
        entries.append(
            PackEntry(
                panel_case=pc,
                need=Need(child.primary_need).label if child.primary_need in Need.values else "",
                preferences=list(pc.case.preferences.all()),
                consultations=consultations.get(pc.case_id, []),
                proposal=pc.proposal,
                proposal_label=proposal_label(pc.proposal),
                cost_band=cost_band(pc.proposal),
                reasons=list(pc.proposal.reasons) if pc.proposal else [],
                recusals=list(pc.recusals.all()),
                decision=history[-1] if history else None,
                history=history,
            )
        )
    return entries


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    import weasyprint  # imported late: slow to import, and only these pages need it

    html = render_to_string(template, context)
    return bytes(weasyprint.HTML(string=html).write_pdf())


# --- Minutes --------------------------------------------------------------------------

MINUTES_COLUMNS = [
    "case_reference",
    "child",
    "status",
    "outcome",
    "setting_urn",
    "setting_name",
    "setting_type",
    "ground",
    "ground_label",
    "reasons",
    "change_reason",
    "decided_at",
    "decided_by",
    "recusals",
]


@dataclass
class MinuteLine:
    decision: Decision
    superseded: bool
    recusals: list[Recusal]

    def values(self) -> dict[str, str]:
        d = self.decision
        setting: Setting | None = d.setting
        return {
            "case_reference": d.case.reference,
            "child": d.case.child.full_name,
            "status": "superseded" if self.superseded else "current",
            "outcome": d.get_outcome_display(),
            "setting_urn": str(setting.urn) if setting else "",
            "setting_name": setting.name if setting else "",
            "setting_type": SettingType(d.setting_type).label if d.setting_type else "",
            "ground": d.ground,
            "ground_label": Ground(d.ground).label if d.ground else "",
            "reasons": d.reasons,
            "change_reason": d.change_reason,
            "decided_at": f"{d.decided_at.astimezone(clock.LONDON):%Y-%m-%d %H:%M}",
            "decided_by": str(d.decided_by),
            "recusals": "; ".join(f"{r.member.user} ({r.reason})" for r in self.recusals),
        }


def minute_lines(session: PanelSession, decisions: QuerySet[Decision]) -> list[MinuteLine]:
    rows = list(
        decisions.select_related("case__child", "setting", "decided_by")
        .annotate(is_superseded=Exists(Decision.objects.filter(supersedes=OuterRef("pk"))))
        .order_by("case__reference", "decided_at", "id")
    )
    recusals: dict[int, list[Recusal]] = defaultdict(list)
    for recusal in Recusal.objects.filter(
        panel_case__session=session, panel_case__case_id__in=[d.case_id for d in rows]
    ).select_related("member__user", "panel_case"):
        recusals[recusal.panel_case.case_id].append(recusal)
    return [MinuteLine(d, bool(d.is_superseded), recusals.get(d.case_id, [])) for d in rows]


def minutes_csv(lines: Iterable[MinuteLine]) -> str:
    rows = (line.values() for line in lines)
    return csv_text(MINUTES_COLUMNS, ([row[column] for column in MINUTES_COLUMNS] for row in rows))

"""The panel's decisions, sign-off, and changes to signed-off decisions.

Recording (``decision_record``), before sign-off, by the session's chair:

* agree / name another setting / name a type only: the case moves AT_PANEL -> DECIDED;
* defer: the case leaves the session (its placement is removed with the reason) and
  goes back to PROPOSED; the next scheduling puts it in a *later* session;
* further consultation: the case leaves the session, the setting is consulted (or
  re-consulted) and the case goes back to CONSULTING.

A decision already recorded can be replaced until sign-off: the new decision
supersedes the old and says why. A decided case cannot be deferred (there is no way
back to "proposed" from "decided"); ask for a further consultation instead.

Signing off (``session_sign_off``) needs every case of the session decided; each
DECIDED case becomes OFFER_APPROVED and the decisions are final: ``decision_record``
refuses. A later change (``decision_change``) is a new decision that supersedes the
signed-off one with a reason: the case is reopened (OFFER_APPROVED -> DECIDED) and, for
a placement, approved again at once (the session's sign-off still stands); for a
further consultation it goes back to CONSULTING.

SEN offer day. From the moment until every family of the round has been told, nothing here
changes a decision of the round (``offer_day_publishing``): what is being published must
stay what it is. Afterwards a change reaches the family as an amended release (``offers``):
a published decision can be changed (``decision_change``: the case is approved again and
the next release tells the family), and a case the family was told had no decision yet is
decided by its panel as any other (it is "before the panel" like one at panel) and, once
signed off, published.

Conditional offers (post-16). Colleges and sixth forms decide on courses by exam results in
August, but the council must name a placement by 31 March. So a post-16 panel may make a
conditional offer: one setting and programme if a structured condition is met (passes at a
grade, or "the provider confirms"), otherwise another setting or programme. It is a final
decision, published on offer day like any other (the young person has an answer, and the
appeal rights attach to it as made); ``offers/services/settlement.py`` settles it on results
day with a change that names the branch (``settled``), which reaches the family as an
amended release. While a conditional offer is a case's current decision, its
``ConditionalHold`` tells the allocation which places it holds.

Grounds. Naming any setting other than the family's first preference (agreeing a
proposal that is not it, or naming another setting) needs a statutory ground, s39(4)
Children and Families Act 2014, and the panel's reasons in words. Naming the family's
first preference instead of the proposal needs reasons but no ground: nothing the
family asked for was refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from panels.models import (
    FINAL_OUTCOMES,
    NAMING_OUTCOMES,
    Decision,
    Ground,
    Outcome,
    PanelCase,
    PanelSession,
    SettingType,
)
from panels.selectors import current_decision, sign_off_readiness
from phasetransfer.cases.state import (
    IllegalTransition,
    case_amend_decision,
    case_approve_offer,
    case_record_decision,
    case_reopen_decision,
    case_unschedule,
    cases_move_bulk,
)
from phasetransfer.consultations.selectors import consultations_current, programmes_offered
from phasetransfer.consultations.services import (
    ConsultationRefused,
    consultation_add,
    consultation_resend,
    programme_name_key,
)
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.conditions import Condition
from phasetransfer.core.visibility import offer_day_publishing
from phasetransfer.models import (
    Case,
    CaseState,
    ConditionalHold,
    Phase,
    Preference,
    Round,
    Setting,
    User,
)

REASONS_MAX = 5000
PROGRAMME_MAX = 200
GROUND_NEEDED = "Select the ground for not naming the family's first preference"
PUBLISHING = (
    "SEN offer day has begun and families are being told their outcomes now, so no decision "
    "of this round can change until every family has been told (usually a few minutes). "
    "Then make the change: the family will be told of it."
)
# A case the family was told had no decision yet is still before its panel.
BEFORE_PANEL = (CaseState.AT_PANEL, CaseState.NO_DECISION_YET)
# Published decisions a change reaches the family about (an amended release).
PUBLISHED = (CaseState.RELEASED, CaseState.ACCEPTED, CaseState.APPEALED)


class DecisionRefused(Exception):
    """A decision the rules do not allow; the message is shown to the user as is."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DecisionInput:
    outcome: str
    setting: Setting | None = None  # another setting, or the setting to consult further
    setting_type: str = ""
    ground: str = ""
    reasons: str = ""
    change_reason: str = ""
    # A change the council carries out rather than chooses (a SEND Tribunal order, a
    # concession, a mediation agreement with the family): it refuses no preference on the
    # council's own grounds, so no statutory ground is asked for.
    carried_out: bool = False
    # Post-16: the course or programme at the setting named (the "if met" branch's).
    programme: str = ""
    # A conditional offer (post-16): ``setting``/``programme`` if ``condition`` is met,
    # otherwise ``otherwise_setting``/``otherwise_programme``. ``condition_from_programme``:
    # the condition is the entry requirements the provider gave for ``programme`` in its
    # consultation answer.
    condition: Condition | None = None
    condition_from_programme: bool = False
    otherwise_setting: Setting | None = None
    otherwise_programme: str = ""
    likely_met: bool = True
    # Settling a conditional offer on results day (Settled.MET / NOT_MET): names the branch's
    # setting, carried out rather than chosen (the ground was given with the offer).
    settled: str = ""


@dataclass(frozen=True)
class _Named:
    """What a valid decision names: its setting (or the one consulted), and for a
    conditional offer the other branch's setting and the condition resolved."""

    setting: Setting | None
    otherwise: Setting | None = None
    condition: Condition | None = None


def first_preference(case: Case) -> Preference | None:
    return case.preferences.select_related("setting").order_by("rank").first()


def needs_ground(case: Case, named: Setting | None) -> bool:
    """Does naming ``named`` leave the family's first preference unnamed?"""
    first = first_preference(case)
    if first is None:
        return False  # the family named nothing: no preference was refused
    return named is None or first.setting_id != named.pk


def _named(panel_case: PanelCase, data: DecisionInput) -> Setting | None:
    if data.outcome == Outcome.AGREE:
        proposal = panel_case.proposal
        if proposal is None or proposal.setting is None:
            raise DecisionRefused(
                "There is no proposed setting to agree: name a setting or a type of setting.",
                "outcome",
            )
        return proposal.setting
    if data.outcome in (Outcome.OTHER_SETTING, Outcome.FURTHER_CONSULTATION, Outcome.CONDITIONAL):
        if data.setting is None:
            raise DecisionRefused("Choose the setting, or enter the URN of another", "setting")
        if not data.setting.serves(panel_case.case.round.phase):
            raise DecisionRefused(
                f"{data.setting.name} does not take children into this phase.", "setting"
            )
        return data.setting
    return None


def _check_outcome(panel_case: PanelCase, data: DecisionInput, named: Setting | None) -> None:
    if data.outcome not in Outcome.values:
        raise DecisionRefused("Choose what the panel decided", "outcome")
    proposal = panel_case.proposal
    if (
        data.outcome == Outcome.OTHER_SETTING
        and not data.settled
        and proposal
        and named is not None
        and proposal.setting_id == named.pk
    ):
        raise DecisionRefused(
            f"{named.name} is the proposed setting: choose 'Agree the proposal'.", "setting"
        )
    if data.outcome == Outcome.TYPE_ONLY and data.setting_type not in SettingType.values:
        raise DecisionRefused("Choose the type of setting", "setting_type")
    if data.ground and data.ground not in Ground.values:
        raise DecisionRefused("Choose one of the grounds", "ground")


def _condition(case: Case, data: DecisionInput, named: Setting) -> Condition:
    """The conditional offer's condition: as entered, or the provider's entry requirements
    for the programme named (from its consultation answer)."""
    if not data.condition_from_programme:
        if data.condition is None:
            raise DecisionRefused(
                "Enter the condition: the passes needed, or that the provider confirms",
                "condition_kind",
            )
        return data.condition
    wanted = programme_name_key(data.programme)
    for programme in programmes_offered(case, named):
        if programme_name_key(programme.name) == wanted:
            if programme.entry_requirements is None:
                raise DecisionRefused(
                    f"{named.name} gave '{programme.name}' as open entry: there is no condition "
                    "to meet, so make an offer without conditions, or enter the condition.",
                    "condition_kind",
                )
            return Condition.from_json(programme.entry_requirements)
    programme_name = data.programme.strip() or "this programme"
    raise DecisionRefused(
        f"{named.name} gave no entry requirements for '{programme_name}' "
        "in its consultation answer: enter the condition instead.",
        "condition_kind",
    )


def _conditional(panel_case: PanelCase, data: DecisionInput, named: Setting | None) -> _Named:
    """Check a conditional offer's branches (module docstring, 'Conditional offers')."""
    case = panel_case.case
    if case.round.phase != Phase.POST16:
        raise DecisionRefused("Conditional offers are for post-16 transfers only.", "outcome")
    assert named is not None  # _named refuses a conditional offer without its setting
    otherwise = data.otherwise_setting
    if otherwise is None:
        raise DecisionRefused(
            "Choose the setting for when the entry requirements are not met", "otherwise_choice"
        )
    if not otherwise.serves(case.round.phase):
        raise DecisionRefused(
            f"{otherwise.name} does not take young people into this phase.", "otherwise_choice"
        )
    for field, text in (
        ("programme", data.programme),
        ("otherwise_programme", data.otherwise_programme),
    ):
        if len(text.strip()) > PROGRAMME_MAX:
            raise DecisionRefused(f"A programme must be {PROGRAMME_MAX} characters or fewer", field)
    if otherwise.pk == named.pk:
        if not data.programme.strip() or not data.otherwise_programme.strip():
            raise DecisionRefused(
                "Both branches name the same setting: name the programme for each",
                "otherwise_programme" if data.programme.strip() else "programme",
            )
        if programme_name_key(data.programme) == programme_name_key(data.otherwise_programme):
            raise DecisionRefused(
                "The two branches are the same programme at the same setting: make an offer "
                "without conditions instead.",
                "otherwise_programme",
            )
    return _Named(named, otherwise, _condition(case, data, named))


def _check_reasons(panel_case: PanelCase, data: DecisionInput, named: _Named) -> None:
    reasons = data.reasons.strip()
    if len(reasons) > REASONS_MAX:
        raise DecisionRefused(f"Reasons must be {REASONS_MAX} characters or fewer", "reasons")
    placement = data.outcome in NAMING_OUTCOMES or data.outcome == Outcome.CONDITIONAL
    # A conditional offer refuses the first preference if either branch does not name it.
    branches = [named.setting]
    if data.outcome == Outcome.CONDITIONAL:
        branches.append(named.otherwise)
    ground_needed = (
        placement
        and not data.carried_out
        and not data.settled
        and any(needs_ground(panel_case.case, s) for s in branches)
    )
    if ground_needed and not data.ground:
        raise DecisionRefused(GROUND_NEEDED, "ground")
    explain = ground_needed or data.outcome != Outcome.AGREE
    if explain and not reasons:
        raise DecisionRefused("Give the panel's reasons", "reasons")


def decision_check(*, panel_case: PanelCase, data: DecisionInput) -> _Named:
    """Validate a decision; returns what it names (or consults). Raises DecisionRefused."""
    setting = _named(panel_case, data)
    _check_outcome(panel_case, data, setting)
    named = (
        _conditional(panel_case, data, setting)
        if data.outcome == Outcome.CONDITIONAL
        else _Named(setting)
    )
    _check_reasons(panel_case, data, named)
    return named


def _row(
    *,
    panel_case: PanelCase,
    data: DecisionInput,
    named: _Named,
    actor: User,
    now: dt.datetime,
    supersedes: Decision | None,
) -> Decision:
    conditional = data.outcome == Outcome.CONDITIONAL
    placement = data.outcome in NAMING_OUTCOMES or conditional
    keeps_ground = placement or data.outcome == Outcome.TYPE_ONLY
    try:
        with transaction.atomic():
            decision = Decision.objects.create(
                case=panel_case.case,
                session=panel_case.session,
                outcome=data.outcome,
                setting=named.setting,
                setting_type=data.setting_type if data.outcome == Outcome.TYPE_ONLY else "",
                ground=data.ground if keeps_ground else "",
                reasons=data.reasons.strip(),
                decided_by=actor,
                decided_at=now,
                supersedes=supersedes,
                change_reason=data.change_reason.strip() if supersedes else "",
                programme=data.programme.strip() if placement else "",
                condition=named.condition.to_json() if conditional and named.condition else None,
                otherwise_setting=named.otherwise if conditional else None,
                otherwise_programme=data.otherwise_programme.strip() if conditional else "",
                likely_met=data.likely_met if conditional else True,
                settled=data.settled,
            )
            _keep_hold(decision)
            return decision
    except IntegrityError:  # another change superseded the same decision first
        raise DecisionRefused("The decision changed meanwhile; reload and try again.") from None


def _keep_hold(decision: Decision) -> None:
    """The allocation's projection of the case's current decision (ConditionalHold): present
    exactly while it is a conditional offer, so the places it holds follow every change."""
    if decision.is_conditional:
        assert decision.setting is not None
        assert decision.otherwise_setting is not None
        ConditionalHold.objects.update_or_create(
            case_id=decision.case_id,
            defaults={
                "met_setting": decision.setting,
                "otherwise_setting": decision.otherwise_setting,
                "likely_met": decision.likely_met,
            },
        )
    else:
        ConditionalHold.objects.filter(case_id=decision.case_id).delete()


def _audit(decision: Decision, *, actor: User, now: dt.datetime, action: str) -> None:
    audit_record(
        case=decision.case,
        action=action,
        actor=actor,
        reason=decision.change_reason,
        data={
            "decision": decision.pk,
            "session": decision.session_id,
            "outcome": decision.outcome,
            "setting": decision.setting.urn if decision.setting else None,
            "setting_type": decision.setting_type,
            "ground": decision.ground,
            "supersedes": decision.supersedes_id,
            **(
                {
                    "condition": decision.condition,
                    "otherwise_setting": decision.otherwise_setting.urn,
                    "likely_met": decision.likely_met,
                }
                if decision.is_conditional and decision.otherwise_setting
                else {}
            ),
            **({"settled": decision.settled} if decision.settled else {}),
        },
        now=now,
    )


def _leave_session(panel_case: PanelCase, *, reason: str, now: dt.datetime) -> None:
    PanelCase.objects.filter(pk=panel_case.pk, removed_at=None).update(
        removed_at=now, removed_reason=reason[:200]
    )


def _consult(case: Case, setting: Setting, *, actor: User, reason: str, now: dt.datetime) -> None:
    """Consult ``setting`` again (a fresh clock) or for the first time; moves to CONSULTING."""
    current = consultations_current(case).filter(setting=setting).order_by("-sent_at").first()
    try:
        if current is not None:
            consultation_resend(consultation=current, reason=reason, actor=actor, now=now)
        else:
            consultation_add(case=case, setting=setting, actor=actor, reason=reason, now=now)
    except ConsultationRefused as refused:
        raise DecisionRefused(str(refused), "setting") from None


def _transition_summary(decision: Decision) -> str:
    return f"Panel decision: {decision.get_outcome_display()}"


def _apply(
    decision: Decision, panel_case: PanelCase, *, state: str, actor: User, now: dt.datetime
) -> None:
    """Move the case as the outcome says, from ``state`` (before the panel, or DECIDED)."""
    case = panel_case.case
    outcome = decision.outcome
    reason = decision.reasons or decision.get_outcome_display()
    if outcome in FINAL_OUTCOMES and state in BEFORE_PANEL:
        case_record_decision(case=case, actor=actor, reason=_transition_summary(decision), now=now)
    elif outcome == Outcome.DEFER:
        if state not in BEFORE_PANEL:
            raise DecisionRefused(
                "A decided case cannot be deferred: request a further consultation instead, "
                "or record another decision.",
                "outcome",
            )
        _leave_session(panel_case, reason=f"Deferred: {reason}", now=now)
        if state == CaseState.AT_PANEL:
            case_unschedule(
                case=case, actor=actor, reason=f"Deferred by the panel: {reason}", now=now
            )
        # A case told "no decision yet" stays so; the next allocation proposes it again.
    elif outcome == Outcome.FURTHER_CONSULTATION:
        _leave_session(panel_case, reason=f"Further consultation: {reason}", now=now)
        assert decision.setting is not None
        _consult(case, decision.setting, actor=actor, reason=f"Panel: {reason}", now=now)


def _check_not_publishing(round_: Round, now: dt.datetime) -> None:
    if offer_day_publishing(round_, now):
        raise DecisionRefused(PUBLISHING)


def decision_record(
    *,
    panel_case: PanelCase,
    data: DecisionInput,
    actor: User,
    now: dt.datetime | None = None,
) -> Decision:
    """Record the panel's decision for one case of an open session (module docstring)."""
    moment = now or clock.now()
    named = decision_check(panel_case=panel_case, data=data)
    with transaction.atomic():
        session = PanelSession.objects.select_for_update().get(pk=panel_case.session_id)
        if session.is_signed_off:
            raise DecisionRefused(
                "This session has been signed off: its decisions are final. Record a change "
                "with a reason instead."
            )
        _check_not_publishing(session.round, moment)
        live = PanelCase.objects.filter(pk=panel_case.pk, removed_at=None).exists()
        state = Case.objects.values_list("state", flat=True).get(pk=panel_case.case_id)
        if not live or state not in (*BEFORE_PANEL, CaseState.DECIDED):
            raise DecisionRefused("This case is no longer before this panel.")
        previous = current_decision(panel_case.case, session)
        if state == CaseState.DECIDED and previous is None:
            raise DecisionRefused("This case was decided elsewhere.")
        if previous is not None and not data.change_reason.strip():
            raise DecisionRefused(
                "A decision is already recorded: say why you are changing it", "change_reason"
            )
        decision = _row(
            panel_case=panel_case,
            data=data,
            named=named,
            actor=actor,
            now=moment,
            supersedes=previous,
        )
        try:
            _apply(decision, panel_case, state=state, actor=actor, now=moment)
        except IllegalTransition as exc:
            raise DecisionRefused(str(exc)) from None
        action = "panel.decision_changed" if decision.supersedes_id else "panel.decision"
        _audit(decision, actor=actor, now=moment, action=action)
    return decision


def decision_change(
    *,
    decision: Decision,
    data: DecisionInput,
    actor: User,
    now: dt.datetime | None = None,
) -> Decision:
    """Change a signed-off decision: a new decision supersedes it, with the reason.

    Before offer day the case is approved again at once. After it (once every family of the
    round has been told) a published decision can be changed too: the case is approved
    again and the release job tells the family, in an amended release.
    """
    moment = now or clock.now()
    if not data.change_reason.strip():
        raise DecisionRefused("Say why the decision is changing", "change_reason")
    if data.outcome == Outcome.DEFER:
        raise DecisionRefused(
            "A signed-off decision cannot be deferred: request a further consultation or "
            "name a setting or type.",
            "outcome",
        )
    panel_case = (
        PanelCase.objects.filter(session=decision.session, case=decision.case)
        .select_related("case__round", "session", "proposal__setting")
        .order_by("-scheduled_at", "-id")
        .first()
    )
    if panel_case is None:
        raise DecisionRefused("The case's placement in this session is missing.")
    named = decision_check(panel_case=panel_case, data=data)
    with transaction.atomic():
        session = PanelSession.objects.select_for_update().get(pk=decision.session_id)
        if not session.is_signed_off:
            raise DecisionRefused("The session is not signed off: record the decision instead.")
        _check_not_publishing(session.round, moment)
        if Decision.objects.filter(supersedes=decision).exists():
            raise DecisionRefused("This decision has already been changed.")
        state = Case.objects.values_list("state", flat=True).get(pk=decision.case_id)
        if state not in (CaseState.OFFER_APPROVED, *PUBLISHED):
            raise DecisionRefused(
                f"The case is {CaseState(state).label.lower()}: its decision cannot be changed "
                "here."
            )
        try:
            if state in PUBLISHED:
                case_amend_decision(
                    case=decision.case, actor=actor, reason=data.change_reason.strip(), now=moment
                )
            case_reopen_decision(
                case=decision.case, actor=actor, reason=data.change_reason.strip(), now=moment
            )
            changed = _row(
                panel_case=panel_case,
                data=data,
                named=named,
                actor=actor,
                now=moment,
                supersedes=decision,
            )
            if changed.outcome in FINAL_OUTCOMES:
                case_approve_offer(case=decision.case, actor=actor, now=moment)
            else:
                _apply(changed, panel_case, state=CaseState.DECIDED, actor=actor, now=moment)
        except IllegalTransition as exc:
            raise DecisionRefused(str(exc)) from None
        _audit(changed, actor=actor, now=moment, action="panel.decision_changed")
    return changed


def session_sign_off(*, session: PanelSession, actor: User, now: dt.datetime | None = None) -> int:
    """Make the session's decisions final and approve its decided cases' offers."""
    moment = now or clock.now()
    with transaction.atomic():
        locked = PanelSession.objects.select_for_update().get(pk=session.pk)
        if locked.is_signed_off:
            raise DecisionRefused("This session is already signed off.")
        if not locked.has_met(moment):
            raise DecisionRefused("The panel has not met yet: sign it off after it sits.")
        _check_not_publishing(locked.round, moment)
        readiness = sign_off_readiness(locked)
        if readiness.waiting:
            raise DecisionRefused(
                f"{readiness.waiting} case(s) have no decision yet: decide or defer them first."
            )
        PanelSession.objects.filter(pk=locked.pk, signed_off_at=None).update(
            signed_off_at=moment, signed_off_by=actor
        )
        approved = cases_move_bulk(
            name="approve_offer",
            case_ids=readiness.decided,
            actor=actor,
            reason=f"Panel session {locked.pk} signed off",
            now=moment,
        )
    session.refresh_from_db()
    return approved

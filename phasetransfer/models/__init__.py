from phasetransfer.models.access_log import AccessAction, AuditRetention, CaseAccess
from phasetransfer.models.allocation import (
    AllocationPolicy,
    AllocationRun,
    ConditionalHold,
    ConditionalPlaces,
    Objective,
    OversubscriptionRule,
    Proposal,
    RunStatus,
)
from phasetransfer.models.api import ApiCall, ApiClient
from phasetransfer.models.cases import AuditEvent, Case, CaseState, Child, Contact
from phasetransfer.models.choices import (
    AdmissionsPolicy,
    ConsultationGround,
    ContactRelationship,
    Need,
    Phase,
    SchoolGender,
    SettingKind,
    Sex,
)
from phasetransfer.models.consultations import Consultation, ConsultationStatus, ProgrammeAnswer
from phasetransfer.models.invitations import Invitation, InvitationChannel, LinkAttempt
from phasetransfer.models.ops import Heartbeat, Lease
from phasetransfer.models.outbox import (
    UNDELIVERED,
    Channel,
    DeliveryStatus,
    EmailStatus,
    OutboundEmail,
    Provider,
)
from phasetransfer.models.preferences import Preference, PreferenceSubmission
from phasetransfer.models.rounds import Round, statutory_deadline_for
from phasetransfer.models.settings import Setting, SettingContact, SettingPlaces, serving_phase
from phasetransfer.models.users import User

__all__ = [
    "AccessAction",
    "AllocationPolicy",
    "AdmissionsPolicy",
    "AllocationRun",
    "ConditionalHold",
    "ConditionalPlaces",
    "Objective",
    "OversubscriptionRule",
    "ApiCall",
    "ApiClient",
    "AuditEvent",
    "AuditRetention",
    "Case",
    "CaseAccess",
    "CaseState",
    "Child",
    "Consultation",
    "ConsultationGround",
    "ConsultationStatus",
    "ProgrammeAnswer",
    "Contact",
    "ContactRelationship",
    "Channel",
    "DeliveryStatus",
    "EmailStatus",
    "Heartbeat",
    "Invitation",
    "InvitationChannel",
    "Lease",
    "LinkAttempt",
    "Need",
    "OutboundEmail",
    "Provider",
    "UNDELIVERED",
    "Phase",
    "Preference",
    "PreferenceSubmission",
    "Proposal",
    "Round",
    "RunStatus",
    "Setting",
    "SettingContact",
    "SchoolGender",
    "SettingKind",
    "Sex",
    "SettingPlaces",
    "User",
    "serving_phase",
    "statutory_deadline_for",
]

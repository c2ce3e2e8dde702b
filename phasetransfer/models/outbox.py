"""Emails the service owes someone, written in the same transaction as the change that owes them.

A row is unique by ``key`` (what the email is for), so asking twice for the
same email gives one row and one email. Workers claim a row with a
conditional update before sending it. docs/email-delivery.md says what each
status promises.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (will retry)"
    ABANDONED = "abandoned", "Gave up"
    # Handed to the SMTP server, but its answer never came (a timeout, a dropped
    # connection, a worker that died): never resent automatically, only by a person.
    UNKNOWN = "unknown", "May have been delivered"
    SUPPRESSED = "suppressed", "Not sent: recipient not allowed in this deployment"


class Channel(models.TextChoices):
    """How a message reaches someone: the same outbox row, whichever way it goes."""

    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    LETTER = "letter", "Posted letter"


class Provider(models.TextChoices):
    """Who was given the message: what "exactly once" can promise depends on it
    (docs/email-delivery.md)."""

    SMTP = "smtp", "SMTP server"
    NOTIFY = "notify", "GOV.UK Notify"


class DeliveryStatus(models.TextChoices):
    """GOV.UK Notify's own statuses, as its delivery receipts report them."""

    CREATED = "created", "Handed to Notify"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    PERMANENT_FAILURE = "permanent-failure", "Not delivered: the address or number is wrong"
    TEMPORARY_FAILURE = "temporary-failure", "Not delivered: inbox full or phone off"
    TECHNICAL_FAILURE = "technical-failure", "Not delivered: a technical problem"
    # Letters.
    ACCEPTED = "accepted", "Letter accepted for printing"
    RECEIVED = "received", "Letter posted"
    CANCELLED = "cancelled", "Letter cancelled"
    VALIDATION_FAILED = "validation-failed", "Letter refused: it does not meet Notify's rules"


# What did not reach the person, for the caseworker's list.
UNDELIVERED = (
    DeliveryStatus.PERMANENT_FAILURE,
    DeliveryStatus.TEMPORARY_FAILURE,
    DeliveryStatus.TECHNICAL_FAILURE,
    DeliveryStatus.VALIDATION_FAILED,
)


class OutboundEmail(models.Model):
    """One message the service owes someone: an email, a text message or a posted letter
    (``channel``). The name stays from when email was the only channel."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=6, choices=Channel.choices, default=Channel.EMAIL)
    to = models.CharField(
        max_length=254,
        help_text="One recipient per message, never CC: an email address, a mobile number, "
        "or for a letter the addressee's name (the address is in the PDF).",
    )
    attachment = models.BinaryField(
        null=True, blank=True, help_text="A letter's PDF, as Notify prints and posts it."
    )
    provider = models.CharField(max_length=6, choices=Provider.choices, blank=True)
    notify_id = models.UUIDField(null=True, blank=True, unique=True)
    delivery_status = models.CharField(max_length=20, choices=DeliveryStatus.choices, blank=True)
    delivery_updated_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    case = models.ForeignKey(
        "phasetransfer.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
    )
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        help_text="The attempt holding the row: its every later write is conditional on it.",
    )
    handed_over_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=(
            "Committed just before the current attempt gave the message to the SMTP server: "
            "from then on an attempt that stops without an answer may have delivered it."
        ),
    )
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # The last time a person asked for the email again (Retry on the officer's page).
    resent_at = models.DateTimeField(null=True, blank=True)
    resent_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resend_note = models.CharField(max_length=300, blank=True)
    resends_after_unknown = models.PositiveSmallIntegerField(
        default=0,
        help_text="How many times a person chose to send again an email that may have arrived.",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EmailStatus.values), name="email_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="email_sent_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="unknown") | Q(handed_over_at__isnull=False),
                name="email_unknown_was_handed_over",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def kind_label(self) -> str:
        """What the message was about, in the words a caseworker uses."""
        return KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())


KIND_LABELS = {
    "invitation": "Invitation to name schools",
    "reminder": "Reminder to name schools",
    "preferences_receipt": "Receipt for the family's preferences",
    "offer_day": "SEN offer day: outcome ready or changed",
    "consultation_batch": "Consultation sent to the school",
    "consultation_sent": "Consultation sent to the school",
    "consultation_withdrawn": "Consultation withdrawn",
    "consultation_chaser": "Reminder to the school to answer",
    "two_factor_enrolment": "Setting up sign-in codes",
}

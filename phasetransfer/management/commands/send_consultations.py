from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from phasetransfer.consultations.services import ConsultationRefused, consultations_send_round
from phasetransfer.core.rounds import RoundNotFound, round_by_key


class Command(BaseCommand):
    help = (
        "Consult every setting each family named, and each child's nearest mainstream school, "
        "for a round whose preference window has closed. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--round",
            dest="round_key",
            required=True,
            help="Round id or phase-year, e.g. secondary-2027",
        )

    def handle(self, *args: Any, round_key: str, **options: Any) -> None:
        try:
            target = round_by_key(round_key)
            report = consultations_send_round(round_=target, actor=None)
        except (RoundNotFound, ConsultationRefused) as exc:
            raise CommandError(f"Not sent: {exc}") from None
        for name in report.settings_without_contact:
            self.stdout.write(f"warning: {name} has no school contact: send by another route")
        if report.nothing_to_consult:
            refs = ", ".join(report.nothing_to_consult)
            self.stdout.write(f"warning: nothing to consult for {refs}")
        self.stdout.write(self.style.SUCCESS(report.summary()))

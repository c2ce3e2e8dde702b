"""Printing an import report the same way for every importer command."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from phasetransfer.core.csvfile import ImportReport


def print_report(command: BaseCommand, report: ImportReport) -> None:
    for warning in report.warnings:
        command.stdout.write(f"warning: {warning}")
    for error in report.errors:
        command.stderr.write(f"error: {error}")
    if not report.ok:
        raise CommandError(report.summary())
    command.stdout.write(command.style.SUCCESS(report.summary()))

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from phasetransfer.api.scopes import Scope, parse_scopes
from phasetransfer.api.services import (
    ApiClientRefused,
    api_client_create,
    api_client_deactivate,
)


class Command(BaseCommand):
    help = (
        "Create an API client and print its token once (only a hash is kept), "
        "or --deactivate one. Scopes: " + ", ".join(s.value for s in Scope)
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who calls, e.g. 'Capita One'")
        parser.add_argument(
            "--scopes", default="", help="Comma-separated, e.g. cases:read,decisions:read"
        )
        parser.add_argument(
            "--deactivate",
            action="store_true",
            help="Switch the client's token off (its calls stay in the log)",
        )

    def handle(self, *args: Any, name: str, scopes: str, deactivate: bool, **_: Any) -> None:
        try:
            if deactivate:
                client = api_client_deactivate(name=name)
                self.stdout.write(f"Deactivated {client.name}: its token no longer works.")
                return
            client, token = api_client_create(name=name, scopes=parse_scopes(scopes))
        except (ApiClientRefused, ValueError) as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(f"Created {client.name} with scopes: {', '.join(client.scopes)}")
        self.stdout.write("Its token (shown only now; store it in the client's secret store):")
        self.stdout.write(token)

from django.apps import AppConfig


class PhaseTransferConfig(AppConfig):
    name = "phasetransfer"
    verbose_name = "Phase transfer"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from phasetransfer.roles import sync_role_groups

        # Groups and their permissions follow the code: re-synced after every migrate.
        post_migrate.connect(sync_role_groups, sender=self)

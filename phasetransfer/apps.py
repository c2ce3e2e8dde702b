from django.apps import AppConfig


class PhaseTransferConfig(AppConfig):
    name = "phasetransfer"
    verbose_name = "Phase transfer"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # Load the Celery app with Django (not in the package __init__), so that
        # phasetransfer.allocation stays importable without Django or Celery.
        from phasetransfer.config import celery  # noqa: F401
        from phasetransfer.core.roles import sync_role_groups

        # Groups and their permissions follow the code: re-synced after every migrate.
        post_migrate.connect(sync_role_groups, sender=self)

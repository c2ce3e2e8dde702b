import os
import pkgutil

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phasetransfer.config.settings")

app = Celery("phasetransfer")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _task_packages() -> list[str]:
    """Every installed app, and every stage folder of phasetransfer (each may have tasks.py)."""
    from django.conf import settings

    import phasetransfer

    stages = [
        f"phasetransfer.{module.name}"
        for module in pkgutil.iter_modules(phasetransfer.__path__)
        if module.ispkg
    ]
    return [*settings.INSTALLED_APPS, *stages]


app.autodiscover_tasks(_task_packages)

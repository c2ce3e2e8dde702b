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

EMAIL_TASKS = frozenset({"phasetransfer.send_email"})


def route_task(name: str, *args: object, **kwargs: object) -> dict[str, str] | None:
    """Emails go to the default queue's ``-email`` twin, which every worker also consumes.

    A backlog of thousands of emails (offer day, a bulk send) then never holds up the
    release job or an amended release behind it. A function rather than a fixed table, so a
    queue chosen at run time (each test worker has its own) keeps its email twin.
    """
    if name in EMAIL_TASKS:
        return {"queue": f"{app.conf.task_default_queue}-email"}
    return None

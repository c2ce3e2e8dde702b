from django.apps import AppConfig


class PanelsConfig(AppConfig):
    name = "panels"

    def ready(self) -> None:
        # The core's co-ordination board reads panel dates, the panel cut-off and
        # decisions through providers, because the core never imports panels.
        from panels import coordination
        from phasetransfer.coordination.milestones import (
            register_decided_settings,
            register_panel_cutoff,
            register_panel_dates,
        )

        register_panel_dates(coordination.panel_dates)
        register_panel_cutoff(coordination.panel_cutoff)
        register_decided_settings(coordination.decided_settings)

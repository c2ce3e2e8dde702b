from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "offers"

    def ready(self) -> None:
        # The core's co-ordination board and round figures read what families were told,
        # mediations, appeals and conditional offers through providers, because the core
        # never imports offers.
        from offers import coordination
        from phasetransfer.coordination.providers import (
            register_appeals,
            register_conditional_offers,
            register_mediations,
            register_releases,
        )

        register_releases(coordination.releases)
        register_mediations(coordination.mediations)
        register_appeals(coordination.appeals)
        register_conditional_offers(coordination.conditional_offers)

"""Data co-ordination: every case's progress against the deadlines, workload and round figures.

The core never imports panels or offers. What the board needs from panels (panel dates,
the last panel day, decisions) and from offers (releases, mediations, appeals and their
orders) is registered by ``panels.apps.PanelsConfig.ready`` and
``offers.apps.OffersConfig.ready`` through the small registry in
:mod:`phasetransfer.coordination.providers`.
"""

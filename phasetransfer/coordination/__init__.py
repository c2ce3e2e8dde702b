"""Data co-ordination: every case's progress against the deadlines, workload and round figures.

The core never imports panels or offers. What the board needs from panels (panel dates,
the last panel day, decisions) is registered here by ``panels.apps.PanelsConfig.ready``
through the small registry in :mod:`phasetransfer.coordination.milestones`.
"""

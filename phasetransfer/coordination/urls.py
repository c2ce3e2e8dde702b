"""Co-ordination pages, mounted under /staff/ by phasetransfer.config.urls."""

from django.urls import URLPattern, path

from phasetransfer.coordination import views

urlpatterns: list[URLPattern] = [
    path("progress/", views.progress_index, name="coordination-progress"),
    path(
        "rounds/<int:round_id>/progress/",
        views.progress,
        name="coordination-round-progress",
    ),
    path(
        "rounds/<int:round_id>/progress.csv",
        views.progress_export,
        name="coordination-progress-export",
    ),
    path("rounds/<int:round_id>/week/", views.week, name="coordination-week"),
    path("rounds/<int:round_id>/workload/", views.workload_view, name="coordination-workload"),
    path("rounds/<int:round_id>/figures/", views.figures_view, name="coordination-figures"),
]

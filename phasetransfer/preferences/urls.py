"""Routes of preferences: the family's journey under /family/, staff entry on their behalf."""

from django.urls import URLPattern, path

from phasetransfer.preferences.views import family, staff

urlpatterns: list[URLPattern] = [
    path("family/", family.home, name="family-home"),
    path("family/<str:reference>/", family.case_overview, name="journey-case"),
    path("family/<str:reference>/details/", family.details, name="journey-details"),
    path(
        "family/<str:reference>/details/change/",
        family.details_change,
        name="journey-details-change",
    ),
    path("family/<str:reference>/nearest/", family.nearest, name="journey-nearest"),
    path("family/<str:reference>/preferences/", family.preference_list, name="journey-preferences"),
    path(
        "family/<str:reference>/preferences/search/",
        family.preference_search,
        name="journey-search",
    ),
    path(
        "family/<str:reference>/preferences/other/", family.preference_other, name="journey-other"
    ),
    path(
        "family/<str:reference>/preferences/<int:pk>/reasons/",
        family.preference_reasons,
        name="journey-reasons",
    ),
    path(
        "family/<str:reference>/preferences/<int:pk>/remove/",
        family.preference_remove,
        name="journey-remove",
    ),
    path(
        "family/<str:reference>/preferences/<int:pk>/move/",
        family.preference_move,
        name="journey-move",
    ),
    path("family/<str:reference>/check/", family.check_answers, name="journey-check"),
    path("family/<str:reference>/confirmation/", family.confirmation, name="journey-confirmation"),
    path(
        "staff/cases/<str:reference>/preferences/",
        staff.enter_on_behalf,
        name="staff-on-behalf",
    ),
]

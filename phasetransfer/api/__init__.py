"""The core's REST API (DRF): cases, preferences, rounds, cohort import; clients and scopes.

Panels (``panels/api.py``) and offers (``offers/api.py``) own their endpoints and build
on the pieces here: authentication, scope permission, call audit, pagination, filters.
The project URL conf (``phasetransfer/config/urls.py``) wires them all under ``/api/``.
"""

"""OpenAPI post-processing: every operation documents the JSON errors it can answer with.

drf-spectacular documents what views return when all goes well; the API's errors are
DRF's JSON bodies, added here once for all endpoints so clients (and schemathesis) can
rely on their shape.
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "What went wrong, in words.",
}
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "description": "The invalid query parameters, each with what is wrong with it.",
}
_STANDARD = {
    "401": "No credentials, or a wrong or inactive token.",
    "403": "Signed in, but without the scope (or role) this endpoint needs.",
    "404": "Not found (or not visible to this caller).",
}


def _json(ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def add_error_responses(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, description in _STANDARD.items():
                responses.setdefault(code, _json("Error", description))
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                responses.setdefault("400", _json("FieldErrors", "Invalid query parameters."))
            if method in ("post", "put", "patch"):
                unsupported = _json("Error", "A body type the endpoint does not take.")
                responses.setdefault("415", unsupported)
    return result

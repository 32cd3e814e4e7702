"""OpenAPI post-processing: document the error answers every endpoint can give.

drf-spectacular describes the success responses only; integrations code against the error
shape too (and the schemathesis run in the suite checks every answer against the schema).
"""

from __future__ import annotations

from cases import ageing

VALIDATION_ERROR = {
    "type": "object",
    "description": "Invalid input (DRF's shape): keys are field names, `non_field_errors`, or the names of unknown "
    "query parameters; values are lists of messages (nested objects for list or nested fields). Messages are in "
    "the language of the Accept-Language header (Chinese by default, English on request).",
    "additionalProperties": {},
}
ERROR_DETAIL = {
    "type": "object",
    "description": "An error with one message.",
    "properties": {"detail": {"type": "string", "description": "What went wrong."}},
    "required": ["detail"],
}
COMMON = {
    "400": ("ValidationError", "Invalid input or unknown query parameters."),
    "401": ("ErrorDetail", "Not authenticated: send `Authorization: Token <key>` or a session cookie."),
    "403": ("ErrorDetail", "Authenticated, but this role may not do this."),
    "404": ("ErrorDetail", "Not found, or not visible to this user, or an invalid page."),
    "406": ("ErrorDetail", "The Accept header asks for a format the endpoint cannot give."),
    "429": ("ErrorDetail", "Too many requests from this token; see Retry-After."),
}
WRITES = {
    "405": ("ErrorDetail", "Method not allowed."),
    "413": ("ErrorDetail", "The request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE."),
    "415": ("ErrorDetail", "Send JSON (application/json)."),
}


PATH_PARAMETERS = {
    "id": "Database id of the object.",
    "code": "Code of the division, e.g. civil-1.",
    "username": "Username of the person.",
    "format": "Answer format: json for errors, else the file's own format (the default).",
}


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    schemas.setdefault("ErrorDetail", ERROR_DETAIL)
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                # Path parameters say the same everywhere (not the model's "unique integer value …").
                named = parameter.get("in") == "path" or not parameter.get("description")
                if named and parameter.get("name") in PATH_PARAMETERS:
                    parameter["description"] = PATH_PARAMETERS[parameter["name"]]
            answers = dict(COMMON)
            if method in ("post", "put", "patch"):
                answers.update(WRITES)
            for code, (name, description) in answers.items():
                operation["responses"].setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
                    },
                )
    return result


# Choice sets named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] (import paths must name a module attribute).
AGING_LEVEL_CHOICES = ageing.Level.CHOICES

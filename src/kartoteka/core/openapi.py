"""Pieces of the OpenAPI document that ninja cannot infer from a return type: file bodies."""

from typing import Any

BINARY = {"type": "string", "format": "binary"}


def file_response(description: str, *media_types: str, status: int = 200) -> dict[str, Any]:
    """`openapi_extra` for an operation that answers `status` with a file of these types."""
    return {
        "responses": {
            str(status): {
                "description": description,
                "content": {media_type: {"schema": BINARY} for media_type in media_types},
            }
        }
    }


def one_of(*values: object) -> dict[str, Any]:
    """`json_schema_extra` documenting the values a text field takes; the service still checks
    them and answers its own field error."""
    return {"enum": list(values)}

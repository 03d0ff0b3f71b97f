"""The API's documentation page loads Swagger UI from our own static files."""

from django.test import Client


def test_api_docs_use_local_swagger_files(db):
    html = Client().get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html
    assert "<script>" not in html  # no inline script: the CSP would refuse it


def test_swagger_files_are_served(db):
    assert Client().get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_no_two_schemas_of_the_api_share_a_name():
    # The OpenAPI document names each schema by its class name: two apps' classes of the same
    # name become one, and an answer is then documented with the other app's schema.
    import typing

    from pydantic import BaseModel

    import kartoteka.urls  # noqa: F401  (mounts every app's router on the API)
    from kartoteka.api import api

    seen: dict[str, set[str]] = {}
    visited: set[type] = set()

    def walk(annotation) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in visited:
                return
            visited.add(annotation)
            where = f"{annotation.__module__}.{annotation.__qualname__}"
            seen.setdefault(annotation.__name__, set()).add(where)
            for field in annotation.model_fields.values():
                walk(field.annotation)
        for argument in typing.get_args(annotation):
            walk(argument)

    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.models, *operation.response_models.values()]:
                    walk(model)
    shared = {
        name: where
        for name, where in seen.items()
        if len(where) > 1 and not name.startswith(("Ninja", "Param", "Body", "Query", "Path"))
    }
    assert not shared

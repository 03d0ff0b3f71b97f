"""The API's documentation page loads Swagger UI from our own static files."""

from django.test import Client


def test_api_docs_use_local_swagger_files(db):
    html = Client().get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html
    assert "<script>" not in html  # no inline script: the CSP would refuse it


def test_swagger_files_are_served(db):
    assert Client().get("/static/ninja/swagger-ui-bundle.js").status_code == 200

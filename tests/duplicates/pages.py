"""Lets page tests run whether or not the web app's base layout exists yet."""

import pytest
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

FALLBACK_BASE = (
    "<!doctype html><title>{% block title %}{% endblock %}</title>"
    "{% for m in messages %}<p>{{ m }}</p>{% endfor %}{% block content %}{% endblock %}"
)


@pytest.fixture
def layout(settings, tmp_path):
    """Use web/base.html when the web app ships it; otherwise a bare stand-in."""
    try:
        get_template("web/base.html")
    except TemplateDoesNotExist:
        (tmp_path / "web").mkdir()
        (tmp_path / "web" / "base.html").write_text(FALLBACK_BASE)
        settings.TEMPLATES = [
            {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
        ]

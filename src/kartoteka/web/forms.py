"""Form errors as templates read them."""

from collections.abc import Mapping


def form_errors(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Field errors keyed so templates can read them: "__all__" → "general", dots → "__"."""
    return {
        ("general" if key == "__all__" else key.replace(".", "__")): list(messages)
        for key, messages in errors.items()
    }

import pytest


@pytest.fixture(autouse=True)
def _own_file_storage(settings, tmp_path):
    """Each test gets an empty file storage, so storage dumps see only its own files."""
    settings.MEDIA_ROOT = tmp_path / "files"

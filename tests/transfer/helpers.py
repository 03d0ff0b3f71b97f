"""Shared steps of the transfer tests: write a file, upload it, run it."""

from pathlib import Path

from kartoteka.transfer import services
from kartoteka.transfer.models import Import


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def upload(actor, path: Path, **options) -> Import:
    imp = services.upload_import(actor, upload=path, file_name=path.name)
    if options:
        imp = services.configure_import(actor, imp, **options)
    return imp


def run(actor, path: Path, **options) -> Import:
    """Upload, configure and run an import to the end (tasks run inline in tests)."""
    imp = upload(actor, path, **options)
    services.start_import(actor, imp)
    return services.run_import(imp.pk)

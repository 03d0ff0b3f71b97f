"""Shared steps of the transfer tests: write a file, upload it, run it."""

from pathlib import Path

import pytest

from kartoteka.core import bulkload
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


class WorkerKilled(BaseException):
    """Stands for the process being killed: nothing after it runs, not even except blocks."""


def run_until_killed(
    imp: Import, monkeypatch, *, batch_size: int, killed_at_batch: int, per_commit: int = 1
) -> None:
    """Run the import in batches of `batch_size` rows, `per_commit` batches to a transaction
    (on SQLite), and "kill" it as batch `killed_at_batch` is written: the transactions committed
    before it stay, the rest is not written."""
    monkeypatch.setattr(services, "BATCH_SIZE", batch_size)
    monkeypatch.setattr(bulkload, "SQLITE_BATCHES_PER_COMMIT", per_commit)
    real_commit = services._commit_batch
    calls = []

    def dying_commit(*args, **kwargs):
        calls.append(1)
        if len(calls) == killed_at_batch:
            raise WorkerKilled
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(services, "_commit_batch", dying_commit)
    with pytest.raises(WorkerKilled):
        services.run_import(imp.pk)
    monkeypatch.setattr(services, "_commit_batch", real_commit)

"""Benchmark: uploading big files to a contact through the API streams them to storage.

For each size, posts a multipart body read from disk through Django's WSGI handler (as a web
server would pass it on) and measures the peak Python heap (tracemalloc) and the wall time
(a separate run without tracemalloc, which slows allocation). Writes
bench/results/upload_memory.json. Run: .venv/bin/python bench/upload_memory.py
"""

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

MB = 1024 * 1024
SIZES_MB = (10, 100, 250)
ROUNDS = 3
BOUNDARY = "kartotekaboundary"
RESULTS = Path(__file__).resolve().parent / "results" / "upload_memory.json"


def write_multipart_body(path: Path, size: int, *, filename: str = "scan.pdf") -> int:
    """A multipart/form-data body with one `file` field, written to disk in 1 MB blocks."""
    block = (b"%PDF-1.7\n" + bytes(range(256)) * 4096)[:MB]
    with open(path, "wb") as body:
        body.write(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
            f"\r\nContent-Type: application/pdf\r\n\r\n".encode()
        )
        for _ in range(size // MB):
            body.write(block)
        body.write(block[: size % MB])
        body.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return path.stat().st_size


def post_streamed(path: Path, url: str, token: str):
    """POST the body in `path` to `url` the way a WSGI server does: a stream, not a buffer."""
    from django.test.client import ClientHandler

    with open(path, "rb") as stream:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": url,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            "CONTENT_LENGTH": str(path.stat().st_size),
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "wsgi.input": stream,
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        return ClientHandler(enforce_csrf_checks=False)(environ)


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kt-bench-upload-"))
    os.environ["KARTOTEKA_DATA_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ["KARTOTEKA_MAX_UPLOAD_BYTES"] = str(max(SIZES_MB) * MB + MB)
    os.environ.setdefault("KARTOTEKA_ALLOWED_HOSTS", "testserver")  # the test client's host
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    import django

    django.setup()
    try:
        _run(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(workdir: Path) -> None:
    from django.core.management import call_command

    from kartoteka.accounts.services import create_token, create_user
    from kartoteka.contacts.services import create_contact
    from kartoteka.core.scope import SYSTEM

    call_command("migrate", verbosity=0)
    user = create_user(SYSTEM, username="bench", role="admin")
    _row, token = create_token(SYSTEM, user)
    contact = create_contact(user, data={"email": "bench@example.com"})
    url = f"/api/v1/contacts/{contact.pk}/files"
    body = workdir / "body.bin"
    rows = []
    for size_mb in SIZES_MB:
        write_multipart_body(body, size_mb * MB)
        peaks, seconds = [], []
        for _ in range(ROUNDS):
            tracemalloc.start()
            response = post_streamed(body, url, token)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            assert response.status_code == 201, response.content
            started = time.perf_counter()
            response = post_streamed(body, url, token)
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 201, response.content
        median_seconds = statistics.median(seconds)
        rows.append(
            {
                "size_mb": size_mb,
                "rounds": ROUNDS,
                "peak_python_heap_mib_median": round(statistics.median(peaks) / MB, 2),
                "seconds_median": round(median_seconds, 3),
                "mb_per_second_median": round(size_mb / median_seconds, 1),
            }
        )
        print(rows[-1])
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"benchmark": "upload_memory", "python": sys.version.split()[0], "results": rows},
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

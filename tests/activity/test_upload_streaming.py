"""A 250 MB upload streams to storage: peak Python memory stays a small fraction of its size."""

import tracemalloc

from django.core.files.storage import default_storage
from django.test.client import ClientHandler

from kartoteka.activity.models import ContactFile
from kartoteka.api import api  # noqa: F401  (routes mounted before the first request)

SIZE = 250 * 1024 * 1024
BOUNDARY = "kartotekaboundary"


def _write_multipart_body(path, size: int) -> int:
    """A multipart/form-data body with one file field, written to disk in 1 MB blocks."""
    block = (b"%PDF-1.7\n" + bytes(range(256)) * 4096)[: 1024 * 1024]
    with open(path, "wb") as body:
        body.write(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"'
            f"\r\nContent-Type: application/pdf\r\n\r\n".encode()
        )
        for _ in range(size // len(block)):
            body.write(block)
        body.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return path.stat().st_size


def _post_streamed(path, length: int, url: str, token: str):
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
            "CONTENT_LENGTH": str(length),
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "wsgi.input": stream,
            "wsgi.url_scheme": "http",
            "wsgi.errors": None,
        }
        return ClientHandler(enforce_csrf_checks=False)(environ)


def test_250_mb_upload_streams_without_a_memory_spike(sales_api, contact, settings, tmp_path):
    settings.KARTOTEKA_MAX_UPLOAD_BYTES = 300 * 1024 * 1024
    body = tmp_path / "body.bin"
    length = _write_multipart_body(body, SIZE)
    tracemalloc.start()
    try:
        response = _post_streamed(
            body, length, f"/api/v1/contacts/{contact.pk}/files", sales_api.token
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.content
    stored = ContactFile.objects.get()
    assert stored.size == SIZE
    assert default_storage.size(stored.file.name) == SIZE
    assert peak < 16 * 1024 * 1024, f"peak Python memory {peak / 2**20:.1f} MiB"


def test_upload_over_the_default_limit_stops_streaming_and_stores_nothing(
    sales_api, contact, settings, tmp_path
):
    settings.KARTOTEKA_MAX_UPLOAD_BYTES = 8 * 1024 * 1024
    body = tmp_path / "body.bin"
    length = _write_multipart_body(body, 32 * 1024 * 1024)
    response = _post_streamed(body, length, f"/api/v1/contacts/{contact.pk}/files", sales_api.token)
    assert response.status_code == 422
    assert not ContactFile.objects.exists()

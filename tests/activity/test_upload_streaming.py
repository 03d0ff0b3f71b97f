"""A 250 MB upload streams to storage: peak Python memory stays a small fraction of its size."""

import tracemalloc

from bench.upload_memory import post_streamed, write_multipart_body
from django.core.files.storage import default_storage

from kartoteka.activity.models import ContactFile

SIZE = 250 * 1024 * 1024


def test_250_mb_upload_streams_without_a_memory_spike(sales_api, contact, settings, tmp_path):
    settings.KARTOTEKA_MAX_UPLOAD_BYTES = 300 * 1024 * 1024
    body = tmp_path / "body.bin"
    write_multipart_body(body, SIZE)
    tracemalloc.start()
    try:
        response = post_streamed(body, f"/api/v1/contacts/{contact.pk}/files", sales_api.token)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.content
    stored = ContactFile.objects.get()
    assert stored.size == SIZE
    assert default_storage.size(stored.file.name) == SIZE
    assert peak < 16 * 1024 * 1024, f"peak Python memory {peak / 2**20:.1f} MiB"


def test_upload_over_the_limit_stops_streaming_and_stores_nothing(
    sales_api, contact, settings, tmp_path
):
    settings.KARTOTEKA_MAX_UPLOAD_BYTES = 8 * 1024 * 1024
    body = tmp_path / "body.bin"
    write_multipart_body(body, 32 * 1024 * 1024)
    response = post_streamed(body, f"/api/v1/contacts/{contact.pk}/files", sales_api.token)
    assert response.status_code == 422
    assert not ContactFile.objects.exists()

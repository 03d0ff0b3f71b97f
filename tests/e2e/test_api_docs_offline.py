"""/api/docs renders with every outside host blocked: Swagger UI comes from django-ninja's
own static files, not from a CDN."""

from urllib.parse import urlsplit

from playwright.sync_api import expect

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def test_api_docs_render_the_operations_with_the_internet_blocked(page):
    blocked: list[str] = []

    def only_local(route):
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_local)
    page.goto(f"{page.base_url}/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/me").first).to_be_visible()
    assert page.locator(".opblock").count() > 10
    assert blocked == []

"""Tags wear a colour of a fixed, readable palette: chosen from the name for a new tag, changed
by admins in Settings or through the API, and shown by one chip everywhere."""

import pytest

from kartoteka.contacts import services as contact_services
from kartoteka.contacts import tag_colors
from kartoteka.contacts.models import Tag
from kartoteka.core.errors import InvalidInput


def _luminance(code: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(code[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("code", tag_colors.COLORS)
def test_white_text_on_every_palette_colour_has_a_contrast_of_at_least_4_5(code):
    assert (1.05) / (_luminance(code) + 0.05) >= 4.5


def test_a_new_tag_gets_the_palette_colour_its_name_gives(sales, contact):
    contact_services.add_tags(sales, contact, names=["Trade Fair"])
    tag = Tag.objects.get(name="Trade Fair")
    assert tag.color == tag_colors.color_for("trade fair")
    assert tag.color in tag_colors.PALETTE


def test_names_spread_over_the_palette():
    assert len({tag_colors.color_for(f"tag {n}") for n in range(60)}) > len(tag_colors.COLORS) // 2


def test_update_tag_refuses_a_colour_outside_the_palette(admin, sales, contact):
    contact_services.add_tags(sales, contact, names=["vip"])
    with pytest.raises(InvalidInput):
        contact_services.update_tag(admin, Tag.objects.get(), color="#ffff00")


def test_chip_escapes_the_name_and_shows_an_unknown_colour_grey():
    html = tag_colors.chip("<b>x</b>", "#123456")
    assert "&lt;b&gt;" in html
    assert "background: #475569" in html


def test_api_lists_tags_with_their_colours(admin_api, admin, contact):
    contact_services.add_tags(admin, contact, names=["vip"])
    assert admin_api.get("/api/v1/tags").json() == [
        {"name": "vip", "color": tag_colors.color_for("vip")}
    ]


def test_api_recolours_a_tag(admin_api, admin, contact):
    contact_services.add_tags(admin, contact, names=["vip"])
    response = admin_api.patch("/api/v1/tags/VIP", {"color": "#be185d"})
    assert response.status_code == 200
    assert response.json() == {"name": "vip", "color": "#be185d"}
    detail = admin_api.get(f"/api/v1/contacts/{contact.pk}").json()["tag_details"][0]
    assert detail["color"] == "#be185d"


def test_api_refuses_a_colour_outside_the_palette_naming_the_field(admin_api, admin, contact):
    contact_services.add_tags(admin, contact, names=["vip"])
    response = admin_api.patch("/api/v1/tags/vip", {"color": "#123456"})
    assert response.status_code == 422
    assert "color" in response.content.decode()


def test_sales_user_cannot_recolour_a_tag_through_the_api(sales_api, sales, contact):
    contact_services.add_tags(sales, contact, names=["vip"])
    assert sales_api.patch("/api/v1/tags/vip", {"color": "#be185d"}).status_code == 403


def test_api_answers_404_for_an_unknown_tag(admin_api):
    assert admin_api.patch("/api/v1/tags/nope", {"color": "#be185d"}).status_code == 404

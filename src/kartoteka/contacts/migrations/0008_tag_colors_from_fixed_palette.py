"""Tags wear one of a fixed palette of readable colours: a tag still in the old default grey
gets the colour its name gives it (as a new tag would), any other colour the nearest one of the
palette. The palette and the choice by name are copied here, as they are today."""

import hashlib

from django.db import migrations, models

PALETTE = [
    ("#b91c1c", "Red"),
    ("#c2410c", "Orange"),
    ("#a16207", "Brown"),
    ("#15803d", "Green"),
    ("#0f766e", "Teal"),
    ("#0e7490", "Cyan"),
    ("#1d4ed8", "Blue"),
    ("#4338ca", "Indigo"),
    ("#6d28d9", "Violet"),
    ("#a21caf", "Purple"),
    ("#be185d", "Pink"),
    ("#475569", "Grey"),
]
COLORS = [code for code, _label in PALETTE]
OLD_DEFAULT = "#64748b"


def _by_name(name: str) -> str:
    digest = hashlib.blake2b(name.casefold().encode(), digest_size=4).digest()
    return COLORS[int.from_bytes(digest, "big") % len(COLORS)]


def _rgb(code: str) -> tuple[int, int, int]:
    return int(code[1:3], 16), int(code[3:5], 16), int(code[5:7], 16)


def _nearest(code: str) -> str:
    try:
        red, green, blue = _rgb(code)
    except ValueError:
        return COLORS[-1]
    return min(
        COLORS,
        key=lambda c: sum((a - b) ** 2 for a, b in zip(_rgb(c), (red, green, blue), strict=True)),
    )


def to_palette(apps, schema_editor):
    Tag = apps.get_model("contacts", "Tag")
    changed = []
    for tag in Tag.objects.exclude(color__in=COLORS).only("pk", "name", "color").iterator():
        color = tag.color.lower()
        tag.color = _by_name(tag.name) if color in (OLD_DEFAULT, "") else _nearest(color)
        changed.append(tag)
    Tag.objects.bulk_update(changed, ["color"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0007_bulk_change"),
    ]

    operations = [
        migrations.RunPython(to_palette, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="tag",
            name="color",
            field=models.CharField(choices=PALETTE, default="#475569", max_length=7),
        ),
    ]

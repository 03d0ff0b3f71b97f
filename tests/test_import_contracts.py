"""The import contract of our own (tests/import_contracts.py) breaks on what it forbids and
keeps what apps may do."""

import importlib
import sys

import grimp
import pytest

from tests.import_contracts import PublishedOnlyContract


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A package `shop` with apps `orders` and `stock`, whose orders/views.py is the test's."""
    monkeypatch.syspath_prepend(str(tmp_path))
    root = tmp_path / "shop"
    for app in ("orders", "stock"):
        (root / app).mkdir(parents=True)
        (root / app / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "stock" / "services.py").write_text(
        "def reserve():\n    pass\n\n\ndef _count():\n    pass\n"
    )
    (root / "stock" / "bulk.py").write_text("def load():\n    pass\n")
    (root / "stock" / "_cache.py").write_text("")
    (root / "orders" / "bulk.py").write_text("")

    def check(views: str) -> bool:
        (root / "orders" / "views.py").write_text(views)
        # Each test's `shop` is a new folder: forget the one an earlier test imported.
        for name in [m for m in sys.modules if m == "shop" or m.startswith("shop.")]:
            del sys.modules[name]
        importlib.invalidate_caches()
        contract = PublishedOnlyContract(
            name="published only",
            session_options={"root_packages": ["shop"]},
            contract_options={"container": "shop", "unpublished": ["bulk", "views"]},
        )
        return contract.check(grimp.build_graph("shop", cache_dir=None), verbose=False).kept

    return check


def test_an_app_may_use_another_apps_services(project):
    assert project("from shop.stock.services import reserve\n")


def test_an_app_may_use_its_own_unpublished_modules(project):
    assert project("from shop.orders import bulk\n")


def test_another_apps_unpublished_module_breaks_the_contract(project):
    assert not project("from shop.stock import bulk\n")


def test_another_apps_underscored_module_breaks_the_contract(project):
    assert not project("import shop.stock._cache\n")


def test_an_underscored_name_of_another_app_breaks_the_contract(project):
    assert not project("from shop.stock.services import (\n    reserve,\n    _count,\n)\n")

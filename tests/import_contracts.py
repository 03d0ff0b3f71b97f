"""An import-linter contract its own types cannot say: apps use each other only through what
they publish. lint-imports loads it (pyproject.toml, [tool.importlinter] contract_types)."""

import ast
import importlib.util

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils


class PublishedOnlyContract(Contract):
    """No app under `container` imports another app's unpublished parts: a module named in
    `unpublished` (its doors, its bulk writer, its relations), a module whose name starts with
    an underscore, or an underscored name from a module of another app.

    Configuration options:
        - container: the package whose child packages are the apps.
        - shared: apps every app may use whole (the shared kernel).
        - unpublished: module names (the last part) that only their own app imports.
        - ignore_imports: imports to leave out, as in import-linter's own contracts.
    """

    type_name = "published_only"

    container = fields.StringField()
    shared = fields.ListField(subfield=fields.StringField(), required=False)
    unpublished = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(
        contract_utils.AlertLevel, default=contract_utils.AlertLevel.ERROR
    )

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore
            unmatched_alerting=self.unmatched_ignore_imports_alerting,  # type: ignore
        )
        container = str(self.container)
        unpublished = set(self.unpublished)  # type: ignore
        depth = container.count(".") + 1

        def app(module: str) -> str | None:
            parts = module.split(".")
            if len(parts) <= depth or parts[:depth] != container.split("."):
                return None
            root = ".".join(parts[: depth + 1])
            return root if graph.find_children(root) else None  # a package, not a module

        broken = []
        for importer in sorted(graph.modules):
            importer_app = app(importer)
            if importer_app is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                imported_app = app(imported)
                if imported_app in (None, importer_app, *(self.shared or [])):
                    continue
                tail = imported.split(".")[imported_app.count(".") + 1 :]
                if any(_private(part) or part in unpublished for part in tail):
                    broken.append((importer, imported, "an unpublished module"))
                for name in _underscored_names(importer, imported):
                    broken.append((importer, f"{imported}.{name}", "an underscored name"))
        return ContractCheck(
            kept=not broken,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"broken": broken},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, what in check.metadata["broken"]:
            output.print_error(f"{importer} imports {imported}, {what} of another app.")
            output.new_line()


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _underscored_names(importer: str, imported: str) -> list[str]:
    """Underscored names `importer` takes from `imported` with `from … import …`."""
    spec = importlib.util.find_spec(importer)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return []
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    return [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == imported and node.level == 0
        for alias in node.names
        if _private(alias.name)
    ]

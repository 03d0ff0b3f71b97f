"""The `kartoteka` command. Each app may add subcommands in its own cli.py via `register`."""

import argparse
import importlib
import os
import sys

from kartoteka.core.errors import CommandError


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    import django

    django.setup()


def build_parser() -> argparse.ArgumentParser:
    from django.conf import settings

    parser = argparse.ArgumentParser(prog="kartoteka", description="Kartoteka CRM")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for app in settings.INSTALLED_APPS:
        if not app.startswith("kartoteka."):
            continue
        try:
            module = importlib.import_module(f"{app}.cli")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.cli":
                raise
            continue
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        _setup_django()
    except Exception as exc:  # a bad environment value, an unreachable database…
        print(f"kartoteka: cannot start: {exc}", file=sys.stderr)
        return 2
    from kartoteka.core.errors import KartotekaError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.handler(args)
    except (CommandError, KartotekaError) as exc:
        print(f"kartoteka {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())

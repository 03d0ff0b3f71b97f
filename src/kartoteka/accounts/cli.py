"""CLI: init, createuser, token create."""

import argparse
import getpass
import sys

from django.core.management import call_command

from kartoteka.accounts.models import Role, User
from kartoteka.accounts.services import create_token, create_user, unlock_sign_in
from kartoteka.core.errors import CommandError
from kartoteka.core.scope import SYSTEM


def register(commands: argparse._SubParsersAction) -> None:
    init = commands.add_parser(
        "init", help="create or upgrade the database; create the first admin"
    )
    init.add_argument("--admin", default="", help="username of the first admin (asked if missing)")
    init.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the admin's password from standard input",
    )
    init.set_defaults(handler=run_init)

    createuser = commands.add_parser("createuser", help="create a team member")
    createuser.add_argument("username")
    createuser.add_argument("--role", required=True, choices=Role.values)
    createuser.add_argument("--email", default="")
    createuser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    createuser.set_defaults(handler=run_createuser)

    unlock = commands.add_parser(
        "unlock", help="let a locked account or address sign in again at once"
    )
    unlock.add_argument("username", nargs="?", default="", help="the locked account")
    unlock.add_argument("--address", default="", help="a locked IP address")
    unlock.set_defaults(handler=run_unlock)

    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    token_create = token_commands.add_parser(
        "create", help="create a token and print it (shown once)"
    )
    token_create.add_argument("username")
    token_create.add_argument("--name", default="cli")
    token_create.set_defaults(handler=run_token_create)


def migrate_quietly() -> None:
    call_command("migrate", interactive=False, verbosity=0)


def _read_password(from_stdin: bool, *, prompt: str = "Password: ") -> str | None:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("no password on standard input")
        return password
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if first != getpass.getpass("Again: "):
            raise CommandError("the two passwords differ")
        return first
    return None


def run_init(args: argparse.Namespace) -> int:
    migrate_quietly()
    if User.objects.filter(role=Role.ADMIN).exists():
        print("Database is up to date; an admin exists.")
        return 0
    username = args.admin or (input("Admin username: ").strip() if sys.stdin.isatty() else "")
    if not username:
        raise CommandError("no admin yet: run `kartoteka init --admin NAME --password-stdin`")
    password = _read_password(args.password_stdin)
    if not password:
        raise CommandError("the first admin needs a password (--password-stdin)")
    create_user(SYSTEM, username=username, role=Role.ADMIN, password=password)
    print(f"Database ready; admin {username!r} created.")
    return 0


def run_createuser(args: argparse.Namespace) -> int:
    migrate_quietly()
    password = _read_password(args.password_stdin)
    user = create_user(
        SYSTEM, username=args.username, role=args.role, password=password, email=args.email
    )
    print(f"Created {user.role} {user.username!r}.")
    return 0


def run_token_create(args: argparse.Namespace) -> int:
    user = User.objects.filter(username__iexact=args.username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user named {args.username!r}")
    _row, token = create_token(SYSTEM, user, name=args.name)
    print(token)
    return 0


def run_unlock(args: argparse.Namespace) -> int:
    if not args.username and not args.address:
        raise CommandError("name the account to unlock, or --address IP")
    removed = unlock_sign_in(SYSTEM, username=args.username, address=args.address)
    what = " and ".join(
        part
        for part in (
            f"account {args.username!r}" if args.username else "",
            f"address {args.address}" if args.address else "",
        )
        if part
    )
    if removed:
        print(f"Unlocked {what}.")
    else:
        print(f"Nothing to unlock: {what} had no recent failed sign-ins.")
    return 0

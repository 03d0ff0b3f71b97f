"""What merge and forget do with the team's tables and django-axes' sign-in lockouts (which
accounts configures); declared from the app's ready()."""

from kartoteka.core.relations import TEAM, declare


def declare_relations() -> None:
    declare(
        not_swept={
            "accounts.User": TEAM,
            "accounts.ApiToken": TEAM,
            "axes.AccessAttempt": TEAM,
            "axes.AccessLog": TEAM,
            "axes.AccessFailureLog": TEAM,
        },
    )

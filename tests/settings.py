"""Settings for the test suite: the project's settings with background tasks run inline."""

import os

os.environ.setdefault("KARTOTEKA_TASKS", "immediate")

from kartoteka.settings import *  # noqa: E402,F403

# Failed-token counts stay in this process; tests/conftest.py empties them before each test
# (failed sign-ins live in the database and go with each test's rollback).
CACHES = {  # noqa: F405
    **CACHES,  # noqa: F405
    "throttle": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "throttle",
    },
}

# A password hash costs a quarter of a CPU second with the real hasher's million iterations,
# and nearly every test signs in or makes users: the suite uses the fast hasher Django's
# documentation recommends for tests (the real one is Django's own, tested upstream).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

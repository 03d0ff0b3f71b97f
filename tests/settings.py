"""Settings for the test suite: the project's settings with background tasks run inline."""

import os

os.environ.setdefault("KARTOTEKA_TASKS", "immediate")

from kartoteka.settings import *  # noqa: E402,F403

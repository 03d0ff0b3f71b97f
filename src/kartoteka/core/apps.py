import datetime as dt

from django.apps import AppConfig
from django.db.backends.signals import connection_created

# Planner statistics go stale as contacts come and go; an import or the demo refreshes them
# at once, this catches every other kind of growth.
STATISTICS_EVERY = dt.timedelta(hours=24)


class CoreConfig(AppConfig):
    name = "kartoteka.core"
    label = "core"

    def ready(self) -> None:
        from kartoteka.core import database, schedule, tasks

        connection_created.connect(database.use_secure_delete)

        schedule.every(
            STATISTICS_EVERY, "core.planner_statistics", tasks.refresh_planner_statistics
        )

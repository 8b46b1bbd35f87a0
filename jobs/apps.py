from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def _create_cache_table(**kwargs: object) -> None:
    """The shared cache's table (rate-limit and sign-in counters), made with the schema."""

    call_command("createcachetable", database=kwargs.get("using", "default"), verbosity=0)


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        post_migrate.connect(_create_cache_table, sender=self, dispatch_uid="lectern-cache-table")

"""Create an API key for a user and print it, once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.api import keys


class Command(BaseCommand):
    help = "Create an API key for USER and print it (it is stored hashed and never shown again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="The user name.")
        parser.add_argument("--name", default="", help="A label to tell keys apart.")

    def handle(self, *args: object, **options: object) -> None:
        users = get_user_model()
        try:
            user = users.objects.get(**{users.USERNAME_FIELD: options["user"]})
        except users.DoesNotExist:
            raise CommandError(f"No user {options['user']!r}.") from None
        created = keys.api_key_create(user=user, name=str(options["name"] or ""))
        # Only the key on stdout, so that scripts can capture it; the note goes to stderr.
        self.stdout.write(created.token)
        self.stderr.write(
            f"Key {created.key.prefix}… for {user}: keep it now, it is not shown again."
        )

"""Create the demo account on a fresh install and print its login, once."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create a 'demo' superuser when no user exists yet, and print its password once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")

    def handle(self, *args: object, **options: object) -> None:
        users = get_user_model()
        if users.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(
            username=str(options["username"]), email="demo@localhost", password=password
        )
        banner = "=" * 60
        self.stdout.write(
            f"\n{banner}\n  Lectern demo account (shown only this once)\n"
            f"  username: {options['username']}\n  password: {password}\n"
            f"  It is a superuser: it may also open the admin at /admin/.\n"
            f"  Change it with: .venv/bin/python manage.py changepassword {options['username']}\n"
            f"{banner}\n"
        )

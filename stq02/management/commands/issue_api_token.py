from django.core.management.base import BaseCommand, CommandError

from stq02.models import ApiToken, Role, User


class Command(BaseCommand):
    help = "Issue an API token to an API client account. The token is printed once and stored only as a digest."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="default")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if user.role != Role.API_CLIENT:
            raise CommandError(f"{username} is not an API client account (role {user.role})")
        if user.unit_id is None:
            raise CommandError(f"{username} has no unit: an API client must be bound to one")
        _token, raw = ApiToken.issue(user=user, name=name)
        self.stdout.write(raw)

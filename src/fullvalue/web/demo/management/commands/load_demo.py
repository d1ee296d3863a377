"""``load_demo``: build the demo world if the database is empty, and print the demo logins."""

from django.core.management.base import BaseCommand

from fullvalue.web.demo.models import DemoMarker
from fullvalue.web.demo.world import DEMO_PASSWORD, LOGINS, TEAM_LOGINS, build_demo_world
from fullvalue.web.organisations.models import Organisation


class Command(BaseCommand):
    """Load the demo world once; always print the logins."""

    help = "Build the deterministic demo world in an empty database and print demo logins."

    def add_arguments(self, parser):
        """``--quiet`` prints nothing but errors."""
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, **options):
        """Build (if empty) and print."""
        if DemoMarker.objects.exists():
            status = "Demo world already loaded."
        elif Organisation.objects.exists():
            self.stderr.write("The database has data that is not the demo world; not loading.")
            return
        else:
            build_demo_world()
            status = "Demo world loaded."
        if options["quiet"]:
            return
        self.stdout.write(status)
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for login in [*LOGINS, *TEAM_LOGINS]:
            extra = "  + code: script/demo-code " + login.email if login.needs_code else ""
            self.stdout.write(
                f"  {login.role.label:<24} {login.email:<40} {login.organisation}{extra}"
            )

from django.apps import AppConfig


class WebConfig(AppConfig):
    """The pages that compose several apps: the root URLconf, home pages, the menu, demo data."""

    name = "web"
    verbose_name = "Рабочее место"

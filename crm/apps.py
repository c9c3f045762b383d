from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "Оргструктура и доступ"

    def ready(self):
        # The e-mail copies of notifications are the core's own outbox handler.
        from crm import notifications  # noqa: F401 - registers the handler on import

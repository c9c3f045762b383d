from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Интеграции"

    def ready(self):
        # Each outside system registers its outbox handlers once the models are loaded.
        from integrations.yandex_disk import handlers

        handlers.register()

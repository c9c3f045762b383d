from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = "Сделки"

    def ready(self):
        # Sections this app adds to the cards of the apps below it (crm/cards.py).
        from deals import cards

        cards.register()

from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = "Дела и календари"

    def ready(self):
        # Sections this app adds to the cards of the apps below it (crm/cards.py).
        from activities import cards

        cards.register()

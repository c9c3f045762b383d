from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Лиды"

    def ready(self):
        # The client card's «объединить» comes from here: clients sit below leads (crm/cards.py).
        from leads import cards

        cards.register()

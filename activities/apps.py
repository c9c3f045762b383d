from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = "Дела и календари"

    def ready(self):
        # Sections this app adds to the cards of the apps below it (crm/cards.py).
        from activities import cards, services
        from crm import relink  # registered here, at start-up, like the card sections

        cards.register()
        # A converted lead's «дела» follow it to the client and the deal (leads/services.lead_convert).
        relink.contribute("lead.converted", services.lead_activities_to_client)

from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Лиды"

    def ready(self):
        # The client card's «объединить» comes from here: clients sit below leads (crm/cards.py).
        from leads import cards

        cards.register()
        # A deal's contract, signed in `deals` (below), marks the request the deal came from.
        from crm import relink  # registered here, at start-up, like the card sections
        from leads import services  # models are ready only now

        relink.contribute("deal.contract_signed", services.leads_of_signed_deal)

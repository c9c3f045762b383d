from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Интеграции"

    def ready(self):
        # Each outside system registers its outbox handlers once the models are loaded.
        # and the client card gets its Disk folder section (crm/cards.py).
        from integrations import cards
        from integrations.caldav import handlers as caldav_handlers  # the calendar mirror follows «activity.changed»
        from integrations.documents import cards as document_cards  # the deal card's «Документы» block
        from integrations.documents import handlers as document_handlers  # made on workers from the outbox
        from integrations.mail import cards as mail_cards  # «Письма» on the client's card, «Написать» on the deal's
        from integrations.mail import handlers as mail_handlers  # mailboxes read and letters sent on workers
        from integrations.mango import cards as mango_cards  # «Звонки» on the client's and the lead's cards
        from integrations.mango import handlers as mango_handlers  # calls assembled on workers from events
        from integrations.yandex_disk import handlers  # registered once the models are loaded

        handlers.register()
        caldav_handlers.register()
        document_handlers.register()
        mango_handlers.register()
        mail_handlers.register()
        cards.register()
        document_cards.register()
        mango_cards.register()
        mail_cards.register()

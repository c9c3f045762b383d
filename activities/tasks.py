"""Beat jobs of «Мои дела»: thin, calling the services."""

from celery import shared_task

from activities import services


@shared_task(name="activities.tasks.clients_mark_abandoned_task")
def clients_mark_abandoned_task() -> int:
    """Clients left with no planned activity past the grace period become abandoned."""
    return services.clients_mark_abandoned()


@shared_task(name="activities.tasks.pool_hand_out_task")
def pool_hand_out_task() -> int:
    """Hand pool clients out for reanimation by each branch head's rule."""
    return services.pool_hand_out()

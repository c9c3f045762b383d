from celery import shared_task

from integrations.caldav import services


@shared_task(name="caldav.readback_task")
def readback_task() -> dict:
    return services.readback_all()

from celery import shared_task

from integrations.mail import services


@shared_task(name="mail.poll_all_task")
def poll_all_task() -> int:
    return services.poll_all()

from django.db import migrations


def diskjobs_into_outbox(apps, schema_editor):
    """Every Disk job, done, pending or failed, becomes a row of the core's outbox: nothing is lost."""
    DiskJob = apps.get_model("integrations", "DiskJob")
    OutboxJob = apps.get_model("crm", "OutboxJob")
    rows = []
    for job in DiskJob.objects.order_by("id").iterator():
        is_client = job.kind == "client"
        rows.append(
            OutboxJob(
                kind="disk.client" if is_client else "disk.payments",
                key=str(job.client_id if is_client else job.manager_id),
                reason=job.reason,
                status=job.status,
                attempts=job.attempts,
                next_attempt_at=job.next_attempt_at,
                last_error=job.last_error,
                created_at=job.created_at,
                done_at=job.done_at,
            )
        )
        if len(rows) >= 1000:
            OutboxJob.objects.bulk_create(rows)
            rows = []
    OutboxJob.objects.bulk_create(rows)


def outbox_into_diskjobs(apps, schema_editor):
    DiskJob = apps.get_model("integrations", "DiskJob")
    OutboxJob = apps.get_model("crm", "OutboxJob")
    for job in OutboxJob.objects.filter(kind__startswith="disk.").order_by("id").iterator():
        is_client = job.kind == "disk.client"
        DiskJob.objects.create(
            kind="client" if is_client else "payments",
            client_id=int(job.key) if is_client else None,
            manager_id=None if is_client else int(job.key),
            reason=job.reason,
            status=job.status,
            attempts=job.attempts,
            next_attempt_at=job.next_attempt_at,
            last_error=job.last_error,
            created_at=job.created_at,
            done_at=job.done_at,
        )
    OutboxJob.objects.filter(kind__startswith="disk.").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_alter_clientfolder_client_alter_diskjob_client_and_more"),
        ("crm", "0010_outbox"),
    ]

    operations = [
        migrations.RunPython(diskjobs_into_outbox, outbox_into_diskjobs),
        migrations.DeleteModel(name="DiskJob"),
    ]

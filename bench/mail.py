"""Reading mail: the time to poll N mailboxes with nothing new, and with M new letters among them.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE crm_mail_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_mail_bench \\
        .venv/bin/python -m bench.mail --mailboxes 50 --letters 1000

The database is emptied and migrated first. A real IMAP server (pymap, from the tests' stand-ins) holds
the mailboxes on loopback; each mailbox is connected through the CRM's own check (IMAP and SMTP login).
Polls run in this process one after another, exactly as a worker runs them (`integrations.mail.services.
poll`): the figures are the wall time of polling every mailbox once, and the median per mailbox.

1. Nothing new: every mailbox polled (login, SELECT, UID SEARCH, logout), no letter stored.
2. M new letters, spread evenly, from the addresses of the clients' cards (every one becomes an inbound
   «Письмо» with its activity): every mailbox polled once; the script checks every letter is stored once.
"""

import argparse
import os
import statistics
import time
from email.message import EmailMessage


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mailboxes", type=int, default=50)
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    args = parser.parse_args()

    from cryptography.fernet import Fernet

    os.environ.update(
        {"MAIL_ENABLED": "1", "MAIL_ALLOW_LOOPBACK": "1", "MAIL_SECRET_KEY": Fernet.generate_key().decode()}
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from activities.models import Activity
    from crm import services as crm_services
    from crm.roles import Role
    from integrations.mail import services
    from integrations.models import MailMessage
    from tests.factories import make_client
    from tests.standins.mail_servers import ImapServer, SmtpServer

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    branch = crm_services.branch_create(by=None, name="Москва", city="Москва")
    people = [
        crm_services.user_create(
            by=None,
            username=f"bench.m{n}",
            full_name=f"Менеджер {n:02d} Бенчевич",
            role=Role.MANAGER,
            branch=branch,
            password="x" * 12,
        )  # fmt: skip
        for n in range(args.mailboxes)
    ]
    clients = [
        make_client(manager=people[n % len(people)], last_name=f"Письмов{n}", email=f"client{n}@client.test")
        for n in range(args.clients)
    ]
    users = {f"m{n}@crm.test": f"password-{n}" for n in range(args.mailboxes)}
    imap = ImapServer(users).start()
    smtp = SmtpServer(users).start()
    try:
        mailboxes = [
            services.mailbox_connect(
                by=person,
                username=address,
                password=password,
                imap_host=imap.host,
                imap_port=imap.port,
                smtp_host=smtp.host,
                smtp_port=smtp.port,
                security="plain",
            )  # fmt: skip
            for person, (address, password) in zip(people, users.items(), strict=True)
        ]
        for mailbox in mailboxes:
            services.poll(mailbox.pk)  # the first look: remember where each mailbox is

        def poll_all() -> tuple[float, list[float]]:
            each = []
            started = time.monotonic()
            for mailbox in mailboxes:
                t = time.monotonic()
                services.poll(mailbox.pk)
                each.append(time.monotonic() - t)
            return time.monotonic() - started, each

        poll_all()  # warm-up
        idle_total, idle_each = poll_all()
        print(
            f"{args.mailboxes} mailboxes, nothing new: all polled in {idle_total:.2f} s, "
            f"median {statistics.median(idle_each) * 1000:.0f} ms per mailbox"
        )

        addresses = list(users.items())
        delivered = time.monotonic()
        for n in range(args.letters):
            address, password = addresses[n % len(addresses)]
            letter = EmailMessage()
            letter["From"] = clients[n % len(clients)].email
            letter["To"] = address
            letter["Subject"] = f"Вопрос {n}"
            letter["Message-ID"] = f"<bench-{n}@client.test>"
            letter.set_content(f"Добрый день, это письмо {n}.")
            imap.deliver(address, password, letter.as_bytes())
        print(f"{args.letters} letters delivered to the IMAP server in {time.monotonic() - delivered:.1f} s")
        busy_total, busy_each = poll_all()
        stored = MailMessage.objects.filter(message_id__startswith="<bench-").count()
        activities = Activity.objects.filter(kind="email", direction="inbound").count()
        print(
            f"{args.mailboxes} mailboxes, {args.letters} new letters: all polled in {busy_total:.2f} s "
            f"({args.letters / busy_total:.0f} letters/s), median {statistics.median(busy_each) * 1000:.0f} ms "
            f"per mailbox; stored {stored}, inbound «Письмо» activities {activities}"
        )
        if stored != args.letters or activities != args.letters:
            raise SystemExit(1)
    finally:
        imap.close()
        smtp.close()


if __name__ == "__main__":
    main()

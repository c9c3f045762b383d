"""Concurrent wrong passwords for one login: at most LOGIN_FAILURE_LIMIT of them are checked."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connections

from crm import services
from crm.errors import InvalidCredentials, LoginThrottled
from crm.models import AuditEntry, LoginFailure, User
from tests.factories import TEST_PASSWORD

ATTEMPTS = 30


@pytest.fixture
def password_checks(monkeypatch):
    """Counts real password checks; each takes a while, as the production hasher does."""
    checks = []
    lock = threading.Lock()
    original = User.check_password

    def slow_counting_check(user, raw_password):
        with lock:
            checks.append(raw_password)
        time.sleep(0.05)  # Widens the race the way a 0.3 s hasher does in production.
        return original(user, raw_password)

    monkeypatch.setattr(User, "check_password", slow_counting_check)
    return checks


def attempt_all_at_once(*, username: str, password: str, count: int) -> list:
    start = threading.Barrier(count)
    outcomes = []
    lock = threading.Lock()

    def attempt(n: int):
        try:
            start.wait()
            try:
                services.login_attempt(username=username, password=password, ip=f"10.0.0.{n + 1}")
                outcome = "ok"
            except (InvalidCredentials, LoginThrottled) as exc:
                outcome = type(exc).__name__
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_passwords_check_at_most_the_limit(manager_msk, password_checks):
    limit = settings.LOGIN_FAILURE_LIMIT
    outcomes = attempt_all_at_once(username="manager.msk", password="wrong", count=ATTEMPTS)

    assert len(outcomes) == ATTEMPTS
    assert len(password_checks) == limit
    assert outcomes.count("InvalidCredentials") == limit
    assert outcomes.count("LoginThrottled") == ATTEMPTS - limit
    assert LoginFailure.objects.filter(username="manager.msk").count() == limit
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).count() == limit
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_LOCKED).count() == ATTEMPTS - limit


@pytest.mark.django_db(transaction=True)
def test_right_password_is_refused_while_locked_after_a_burst(manager_msk, password_checks):
    attempt_all_at_once(username="Manager.MSK", password="wrong", count=ATTEMPTS)
    checked = len(password_checks)

    with pytest.raises(LoginThrottled):
        services.login_attempt(username="manager.msk", password=TEST_PASSWORD, ip="10.0.1.1")
    assert len(password_checks) == checked
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN).exists()


@pytest.mark.django_db(transaction=True)
def test_success_forgives_earlier_failures_not_guesses_admitted_during_it(manager_msk, monkeypatch):
    original = User.check_password
    right_is_being_checked, release = threading.Event(), threading.Event()

    def held_check(user, raw_password):
        if raw_password == TEST_PASSWORD:
            right_is_being_checked.set()
            release.wait(10)
        return original(user, raw_password)

    monkeypatch.setattr(User, "check_password", held_check)
    with pytest.raises(InvalidCredentials):
        services.login_attempt(username="manager.msk", password="wrong", ip="10.0.3.1")
    signed_in = []

    def sign_in():
        try:
            signed_in.append(services.login_attempt(username="manager.msk", password=TEST_PASSWORD, ip="10.0.3.2"))
        finally:
            connections.close_all()

    thread = threading.Thread(target=sign_in)
    thread.start()
    assert right_is_being_checked.wait(10)
    with pytest.raises(InvalidCredentials):
        services.login_attempt(username="manager.msk", password="guess", ip="10.0.3.3")
    release.set()
    thread.join(10)

    assert signed_in == [manager_msk]
    assert list(LoginFailure.objects.values_list("ip", flat=True)) == ["10.0.3.3"]

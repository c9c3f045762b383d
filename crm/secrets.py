"""Passwords the CRM must use but never show (app passwords for Yandex.Calendar and Yandex.Mail), kept
encrypted with a Fernet key from the settings. Each integration names its own key and its own wording."""

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretKeyMissing(Exception):
    """No key in the settings: nothing can be connected (the message says which setting, in Russian)."""


class SecretUnreadable(Exception):
    """The stored token does not decrypt: the key was changed since it was saved."""


class Vault:
    def __init__(self, setting: str, missing: str):
        self.setting = setting
        self.missing = missing  # the Russian reason shown when the key is not set

    def _fernet(self) -> Fernet:
        key = getattr(settings, self.setting, "")
        if not key:
            raise SecretKeyMissing(self.missing)
        return Fernet(key.encode() if isinstance(key, str) else key)

    def encrypt(self, secret: str) -> str:
        return self._fernet().encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet().decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(self.setting) from None

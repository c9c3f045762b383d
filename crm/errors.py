"""Domain errors: raised by services, turned into form errors or API 400s at the edge."""


class DomainError(Exception):
    """A refused change. `message` is Russian and shown to the user as is."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class LoginThrottled(DomainError):
    def __init__(self, retry_after_seconds: int):
        minutes = max(1, -(-retry_after_seconds // 60))
        super().__init__(
            f"Слишком много неудачных попыток входа. Попробуйте снова через {minutes} мин.",
            code="throttled",
        )
        self.retry_after_seconds = retry_after_seconds


class InvalidCredentials(DomainError):
    def __init__(self):
        super().__init__("Неверный логин или пароль.", code="invalid_credentials")

"""Mango's VPBX API, the CRM's side: signed commands and queries to MANGO_API_URL.

Every request is a form POST of `vpbx_api_key`, `sign` and `json`, with the same signature Mango puts
on its events (sha256 of key + json + salt). Mango answers with a `result` code in the JSON body;
1000 is success. The base address is a setting, so the stand-in in tests and the real PBX are one
setting apart. Network trouble and Mango's 5xx are worth a retry (TransientError); a refused key,
signature or parameter needs a person (PermanentError). Only workers call this: a page never waits on Mango.
"""

import hashlib
import json

import requests
from django.conf import settings

from crm import outbox

RESULT_OK = 1000
TIMEOUT = (5, 30)  # connect, read: a recording may take a while to come
# Mango's refusals that another try will not change: a bad key or signature, bad or missing parameters.
REFUSED = {
    3100: "неверные параметры команды",
    3101: "команда отправлена не POST-запросом",
    3102: "подпись не сходится с ключом и солью",
    3103: "не хватает параметра",
    3104: "неверный формат параметра",
    3105: "неверный ключ доступа (vpbx_api_key)",
    3300: "не найдено",
    3320: "запись разговора не найдена",
    4001: "команда не поддерживается",
}


def sign(api_key: str, json_text: str, api_salt: str) -> str:
    """Mango's signature, the same both ways: sha256 hex of key + json text + salt."""
    return hashlib.sha256(f"{api_key}{json_text}{api_salt}".encode()).hexdigest()


def _form(payload: dict) -> dict:
    json_text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return {
        "vpbx_api_key": settings.MANGO_API_KEY,
        "sign": sign(settings.MANGO_API_KEY, json_text, settings.MANGO_API_SALT),
        "json": json_text,
    }


def post(path: str, payload: dict, *, allow_redirects: bool = True) -> requests.Response:
    """POST a signed request to Mango; returns the response once Mango has not refused it."""
    if not settings.MANGO_ENABLED or not settings.MANGO_API_KEY or not settings.MANGO_API_SALT:
        raise outbox.PermanentError("Mango не подключена: задайте MANGO_ENABLED, MANGO_API_KEY и MANGO_API_SALT")
    url = settings.MANGO_API_URL.rstrip("/") + "/" + path.strip("/")
    try:
        response = requests.post(url, data=_form(payload), timeout=TIMEOUT, allow_redirects=allow_redirects)
    except requests.RequestException as exc:
        raise outbox.TransientError(f"Mango недоступна: {exc.__class__.__name__}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise outbox.TransientError(f"Mango ответила {response.status_code}")
    code = result_code(response)
    if code is not None and code != RESULT_OK:
        reason = REFUSED.get(code, "отказ")
        raise outbox.PermanentError(f"Mango отказала в {path}: {code} — {reason}")
    if response.status_code >= 400:
        raise outbox.PermanentError(f"Mango отказала в {path}: HTTP {response.status_code}")
    return response


def result_code(response: requests.Response) -> int | None:
    """The `result` Mango put in a JSON answer, or None for other bodies (a file, a CSV)."""
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    code = data.get("result") if isinstance(data, dict) else None
    return int(code) if isinstance(code, int | str) and str(code).isdigit() else None

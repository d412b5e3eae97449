"""Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a client
that once logged in to an account keeps a cookie naming it, and its attempts on that account
are counted on their own (throttling.py).

Why: a per-account limit that counted everyone's failures together would hand a stranger a
switch that locks the owner out for as long as the stranger keeps guessing. With device cookies
the stranger's failures lock out only clients the account has never logged in from; the
owner's own browsers and apps go on, each with its own budget of failures.

The cookie is no credential: it holds a random id and an HMAC of the id and the account under
SECRET_KEY, so it cannot be forged or moved to another account, and stealing one gains only that
device's few guesses. It is sent only to the token endpoint (HttpOnly, SameSite=Strict, Secure
over HTTPS), and a new one comes with every login. HTTPS is the request's scheme or, behind a
proxy that ends TLS (the service itself then sees plain HTTP), PUBLIC_BASE_URL's.
"""

import base64
import hashlib
import hmac
import secrets

from fastapi import Request, Response

from {{ cookiecutter.package_name }}.core.settings import Settings

COOKIE = "device"
DEVICE_ID_LENGTH = 22  # secrets.token_urlsafe(16)
SECONDS_PER_DAY = 86_400


def _mac(device: str, account: str, settings: Settings) -> str:
    key = settings.secret_key.get_secret_value().encode()
    message = f"device cookie\n{account}\n{device}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def trusted_device(request: Request, account: str, settings: Settings) -> str | None:
    """The id of the caller's device when its cookie is one this service issued for `account`;
    None for any other client (no cookie, another account's, forged, or cookies off)."""
    cookie = request.cookies.get(COOKIE)
    if settings.device_cookie_days == 0 or cookie is None:
        return None
    device, _, mac = cookie.partition(".")
    if len(device) != DEVICE_ID_LENGTH:
        return None
    return device if hmac.compare_digest(mac, _mac(device, account, settings)) else None


def set_device_cookie(
    request: Request, response: Response, account: str, settings: Settings
) -> None:
    """After a login to `account`: a new cookie for the caller's device."""
    if settings.device_cookie_days == 0:
        return
    device = secrets.token_urlsafe(16)
    response.set_cookie(
        COOKIE,
        f"{device}.{_mac(device, account, settings)}",
        max_age=settings.device_cookie_days * SECONDS_PER_DAY,
        path=request.url.path,
        secure=request.url.scheme == "https" or settings.public_base_url.startswith("https://"),
        httponly=True,
        samesite="strict",
    )

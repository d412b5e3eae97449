"""No lockout by strangers: a client that logged in to an account before (its device cookie)
is counted apart from clients that never did, so failures from strangers lock out only
strangers. The cookie cannot be forged or moved to another account."""

from httpx import AsyncClient

from {{ cookiecutter.package_name }}.auth.devices import COOKIE
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.users.models import User

from tests.helpers import PASSWORD, log_in, settings_changed

WRONG = "wrong password!"


async def _device_cookie(client: AsyncClient, email: str) -> str:
    """Log in as `email`; the device cookie the client got for it."""
    response = await log_in(client, email, PASSWORD)
    assert response.status_code == 200, response.text
    cookie = client.cookies.get(COOKIE)
    assert cookie
    return cookie


async def _fail_until_locked(client: AsyncClient, email: str) -> None:
    for _ in range(get_settings().login_max_failures_per_account):
        assert (await log_in(client, email, WRONG)).status_code == 401
    assert (await log_in(client, email, PASSWORD)).status_code == 429


async def test_a_strangers_failures_do_not_lock_out_the_owners_device(
    async_client: AsyncClient, user: User
) -> None:
    owners = await _device_cookie(async_client, user.email)
    async_client.cookies.clear()  # the stranger has none
    await _fail_until_locked(async_client, user.email)
    async_client.cookies.set(COOKIE, owners)
    assert (await log_in(async_client, user.email, PASSWORD)).status_code == 200
    # The owner on a new device is a stranger too, until a password reset (or an unlock).
    async_client.cookies.clear()
    assert (await log_in(async_client, user.email, PASSWORD)).status_code == 429


async def test_the_owners_device_has_a_limit_of_its_own(
    async_client: AsyncClient, user: User
) -> None:
    await _device_cookie(async_client, user.email)
    await _fail_until_locked(async_client, user.email)
    async_client.cookies.clear()
    assert (await log_in(async_client, user.email, PASSWORD)).status_code == 200


async def test_a_forged_or_another_accounts_cookie_counts_as_a_strangers(
    async_client: AsyncClient, user: User, admin: User
) -> None:
    admins = await _device_cookie(async_client, admin.email)
    device, _, mac = admins.partition(".")
    owners = await _device_cookie(async_client, user.email)
    async_client.cookies.clear()
    await _fail_until_locked(async_client, user.email)
    forged = [admins, f"{owners.partition('.')[0]}.{mac}", f"{device}.", "x" * 5_000, ""]
    for cookie in forged:
        async_client.cookies.set(COOKIE, cookie)
        assert (await log_in(async_client, user.email, PASSWORD)).status_code == 429, cookie


async def test_the_cookie_goes_only_to_the_token_endpoint_and_script_cannot_read_it(
    async_client: AsyncClient, user: User
) -> None:
    response = await log_in(async_client, user.email, PASSWORD)
    set_cookie = response.headers["set-cookie"].lower()
    days = get_settings().device_cookie_days
    for attribute in ("httponly", "samesite=strict", "path=/token", f"max-age={days * 86_400}"):
        assert attribute in set_cookie
    assert "secure" not in set_cookie  # plain HTTP: a browser would drop a Secure cookie
    failed = await log_in(async_client, user.email, WRONG)
    assert "set-cookie" not in failed.headers


async def test_the_cookie_is_secure_behind_a_proxy_that_ends_tls(
    async_client: AsyncClient, user: User
) -> None:
    """The proxy speaks HTTPS to clients and plain HTTP to the service: PUBLIC_BASE_URL says so."""
    with settings_changed(public_base_url="https://service.example"):
        response = await log_in(async_client, user.email, PASSWORD)
    assert "secure" in response.headers["set-cookie"].lower().split("; ")


async def test_device_cookies_turned_off_count_every_client_as_a_stranger(
    async_client: AsyncClient, user: User
) -> None:
    owners = await _device_cookie(async_client, user.email)
    async_client.cookies.clear()
    with settings_changed(device_cookie_days=0):
        response = await log_in(async_client, user.email, PASSWORD)
        assert "set-cookie" not in response.headers
        await _fail_until_locked(async_client, user.email)
        async_client.cookies.set(COOKIE, owners)
        assert (await log_in(async_client, user.email, PASSWORD)).status_code == 429

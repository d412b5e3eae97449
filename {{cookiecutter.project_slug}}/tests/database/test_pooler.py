"""DATABASE_POOLER: an unknown value stops the service at start-up, naming the allowed values.

That the engine works behind PgBouncer is proven by the whole suite, run with DATABASE_URL on a
PgBouncer in transaction mode and DATABASE_POOLER=pgbouncer (the template's `scale` session).
"""

from {{ cookiecutter.package_name }}.database.pooler import POOLERS

from tests.processes import run


async def test_unknown_pooler_stops_the_start_naming_the_allowed_values() -> None:
    started = await run(
        *("uvicorn", "{{ cookiecutter.package_name }}.main:app", "--port", "0"),
        environment={"DATABASE_POOLER": "pgpool"},
    )
    assert started.returncode != 0
    assert "DATABASE_POOLER: Input should be" in started.stderr, started.stderr
    assert " or ".join(repr(pooler) for pooler in POOLERS) in started.stderr, started.stderr

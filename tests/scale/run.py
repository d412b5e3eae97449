"""The scale proof (`uvx nox -s scale`): three replicas of a render behind a real PgBouncer.

Run by the project's own Python (it has httpx and asyncpg), from the template's folder:

    python -m tests.scale.run --project DIR --package NAME --server-url URL --pgbouncer BINARY

On a fresh database: three `alembic upgrade head` at once through PgBouncer (each revision runs
once); three replicas, two uvicorn workers each, on loopback ports; a bounded load spread over
them (sign-ups, logins, /users/me with a token minted on another replica, paginated lists); the
20-same-email race across replicas; then SIGTERM to one replica mid-load; last, the render's own
test suite through a PgBouncer (DATABASE_POOLER=pgbouncer). It fails on any 5xx,
a race with other than one 201 and nineteen 409s, a sign-up not stored exactly once, a
prepared-statement error in any log, more server connections than PgBouncer's pool, or a
request that the terminated replica had accepted and did not answer. It prints req/s, p50 and
p99 for one replica and for three: figures, not pass/fail.
"""

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from tests.scale.pgbouncer import pgbouncer
from tests.served_render import HOST, free_port, served_render

DATABASE = "scale_svc"
REPLICAS = 3
WORKERS = 2
# PgBouncer's server connections (default_pool_size = max_db_connections): the budget.
POOL_SIZE = 20
# PgBouncer's query_timeout, as compose.yaml and deploy/kubernetes/ set it: the statement
# timeout behind PgBouncer (the app's own start-up parameter is refused there).
QUERY_TIMEOUT_SECONDS = 5
CONCURRENCY = 32
# Enough requests to keep CONCURRENCY in flight for seconds, well past the pool's size: the
# budget, the races and the draining are proved by then (more only makes CI slower).
REQUESTS_ONE_REPLICA = 300
REQUESTS_THREE_REPLICAS = 900
REQUESTS_DURING_SIGTERM = 400
# The terminated replica gets SIGTERM once this many of those requests are done.
SIGTERM_AFTER = 150
RACE = 20
# After SIGTERM a replica keeps serving this long (readiness 503), so requests a load balancer
# had already sent it are not cut off when it stops accepting connections.
SHUTDOWN_DELAY_SECONDS = 1
SEED_USERS = 10
# Debian bookworm's PgBouncer 1.18.0 sometimes dies of this when a client leaves while its
# cancel request is being sent (pgbouncer/pgbouncer#801, fixed after 1.18.0): the statement-
# timeout tests send such cancels. Not our bug, so the suite runs again, once, saying so.
PGBOUNCER_CRASH = "in function disconnect_client(): bad client state"
PASSWORD = "scale password 123"
PHASE_TIMEOUT_SECONDS = 300
START_TIMEOUT_SECONDS = 60
EXIT_TIMEOUT_SECONDS = 60
KEEPALIVE_EXPIRY_SECONDS = 2
PREPARED_STATEMENT_ERRORS = ("prepared statement", "DuplicatePreparedStatement")
# The order of the load's requests, repeated (each kind's expected status in EXPECTED).
MIX = ("signup", "me", "list", "login", "me", "list", "signup", "me")
EXPECTED = {"signup": 201, "login": 200, "me": 200, "list": 200, "race": 201}

# Run in the project, with its Python: makes a seeded user an admin, on a direct connection.
PROMOTE = Path(__file__).resolve().parents[1] / "scripts" / "promote_admin.py"


@dataclass
class Replica:
    index: int
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    client: httpx.AsyncClient = field(init=False)
    draining: bool = False

    def __post_init__(self) -> None:
        # Idle connections dropped before the server's 5 s keep-alive timeout ends them (as a
        # load balancer must): else a request sent just as the server closes one is lost.
        limits = httpx.Limits(
            max_connections=CONCURRENCY,
            max_keepalive_connections=CONCURRENCY,
            keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
        )
        self.client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}", limits=limits, timeout=60
        )


@dataclass
class Outcome:
    kind: str
    replica: int
    seconds: float
    status: int | None
    error: str | None = None


@dataclass
class Run:
    """What the load needs to know: the replicas, users, tokens by the replica that made them."""

    replicas: list[Replica]
    users: list[str]
    tokens: dict[tuple[int, str], str]
    admin_token: str
    signed_up: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def sign_up_body(email: str) -> dict[str, str]:
    """The default option set's sign-up (its two required fields)."""
    return {"email": email, "password": PASSWORD, "first_name": "Scale", "last_name": "Test"}


async def send(run: Run, number: int, kind: str, replica: Replica) -> Outcome:
    """One request of `kind` to `replica`, with the tokens another replica minted."""
    others = [r for r in run.replicas if r is not replica] or [replica]
    other = others[number % len(others)]
    user = run.users[number % len(run.users)]
    started = time.perf_counter()
    try:
        if kind == "signup":
            email = f"scale-{uuid.uuid4().hex}@example.com"
            response = await replica.client.post("/users", json=sign_up_body(email))
            if response.status_code == 201:
                run.signed_up.append(email)
        elif kind == "login":
            form = {"username": user, "password": PASSWORD}
            response = await replica.client.post("/token", data=form)
        elif kind == "me":
            headers = {"Authorization": f"Bearer {run.tokens[other.index, user]}"}
            response = await replica.client.get("/users/me", headers=headers)
        else:
            page = {"offset": str(number % 5 * 10), "limit": "10"}
            headers = {"Authorization": f"Bearer {run.admin_token}"}
            response = await replica.client.get("/users", params=page, headers=headers)
    except httpx.TransportError as error:
        return Outcome(kind, replica.index, time.perf_counter() - started, None, repr(error))
    return Outcome(kind, replica.index, time.perf_counter() - started, response.status_code)


async def load(run: Run, replicas: list[Replica], total: int, done: list[Outcome]) -> float:
    """`total` requests of MIX, CONCURRENCY at once, spread over the replicas not draining, as
    a load balancer spreads them; returns the wall time. Outcomes go to `done` as they end."""
    numbers = iter(range(total))

    async def worker() -> None:
        for number in numbers:
            live = [replica for replica in replicas if not replica.draining]
            replica = live[number % len(live)]
            done.append(await send(run, number, MIX[number % len(MIX)], replica))

    started = time.perf_counter()
    workers = [worker() for _ in range(CONCURRENCY)]
    await asyncio.wait_for(asyncio.gather(*workers), PHASE_TIMEOUT_SECONDS)
    return time.perf_counter() - started


def check(run: Run, outcomes: list[Outcome], phase: str) -> None:
    for outcome in outcomes:
        if outcome.status != EXPECTED[outcome.kind]:
            got = outcome.error or outcome.status
            run.failures.append(f"{phase}: {outcome.kind} on replica {outcome.replica}: {got}")


def figures(outcomes: list[Outcome], wall: float) -> str:
    latencies = sorted(outcome.seconds * 1000 for outcome in outcomes)
    p99 = statistics.quantiles(latencies, n=100)[98]
    rate, p50 = len(outcomes) / wall, statistics.median(latencies)
    return f"{len(outcomes)} requests, {rate:7.1f} req/s, p50 {p50:6.1f} ms, p99 {p99:6.1f} ms"


async def fresh_database(server_url: str) -> None:
    connection = await asyncpg.connect(f"{server_url}/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


async def sample_connections(server_url: str, stop: asyncio.Event) -> int:
    """The most server connections to the database seen while the load ran (besides this one)."""
    connection = await asyncpg.connect(f"{server_url}/postgres")
    # Client backends only: an autovacuum worker on the database is not PgBouncer's.
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )
    most = 0
    try:
        while not stop.is_set():
            most = max(most, await connection.fetchval(query, DATABASE))
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    return most


def project_env(url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DATABASE_POOLER": "pgbouncer",
        # Cheaper (still Argon2id) hashes: the load measures the service, not the hash.
        "ARGON2_MEMORY_KIB": "8192",
        "ARGON2_TIME_COST": "1",
        **extra,
    }


def migrate_three_at_once(project: Path, url: str, failures: list[str]) -> None:
    """Three `alembic upgrade head` at once, through PgBouncer: each revision runs once."""
    command = [sys.executable, "-m", "alembic", "--config", "alembic.ini", "upgrade", "head"]
    runs = [
        subprocess.Popen(
            command,
            cwd=project,
            env=project_env(url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(REPLICAS)
    ]
    outputs = [run.communicate(timeout=PHASE_TIMEOUT_SECONDS)[0] for run in runs]
    revisions = len(list((project / "migrations" / "versions").glob("*.py")))
    applied = sum(output.count("Running upgrade") for output in outputs)
    print(f"migrations: 3 upgrades at once, {applied} revision(s) applied of {revisions}")
    for run, output in zip(runs, outputs, strict=True):
        if run.returncode != 0:
            failures.append(f"alembic upgrade head failed through PgBouncer:\n{output}")
    if applied != revisions:
        failures.append(f"{applied} revisions applied for {revisions}: not exactly once")


@contextmanager
def replicas(project: Path, package: str, url: str, logs: Path) -> Iterator[list[Replica]]:
    """REPLICAS uvicorn servers, WORKERS workers each, on loopback ports, each ready on
    /health/ready; stopped after (SIGTERM)."""
    key = secrets.token_urlsafe(32)  # one key: a token minted on one replica is good on all
    env = project_env(
        url,
        SECRET_KEY=key,
        WEB_CONCURRENCY=str(WORKERS),
        SHUTDOWN_DELAY_SECONDS=str(SHUTDOWN_DELAY_SECONDS),
        # Every sign-up of the load comes from one address: 127.0.0.1.
        SIGNUP_MAX_PER_ADDRESS_PER_HOUR="0",
    )
    command = [
        *(sys.executable, "-m", "uvicorn", f"{package}.main:app"),
        *("--host", HOST, "--workers", str(WORKERS), "--no-access-log"),
    ]
    with ExitStack() as stack:
        started = []
        for index in range(REPLICAS):
            log = logs / f"replica-{index}.log"
            server = served_render(
                project, command, env, log=log,
                start_seconds=START_TIMEOUT_SECONDS, stop_seconds=EXIT_TIMEOUT_SECONDS,
            )  # fmt: skip
            served = stack.enter_context(server)
            started.append(Replica(index, served.port, served.process, served.log))
        yield started


async def seed(all_replicas: list[Replica], project: Path, package: str, direct: str) -> Run:
    """Users signed up on the first replica, each logged in on every replica; one admin."""
    first = all_replicas[0].client
    users = [f"seed-{number}-{uuid.uuid4().hex[:8]}@example.com" for number in range(SEED_USERS)]
    for email in users:
        response = await first.post("/users", json=sign_up_body(email))
        assert response.status_code == 201, response.text
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(PROMOTE), package, users[0]],
        cwd=project,
        env={
            **project_env(direct),
            "DATABASE_POOLER": "none",
            "SECRET_KEY": secrets.token_urlsafe(32),
        },
        check=True,
    )
    tokens = {}
    for replica in all_replicas:
        for email in users:
            form = {"username": email, "password": PASSWORD}
            response = await replica.client.post("/token", data=form)
            assert response.status_code == 200, response.text
            tokens[replica.index, email] = response.json()["access_token"]
    return Run(all_replicas, users, tokens, tokens[0, users[0]])


async def race(run: Run) -> None:
    """RACE sign-ups with one email at once, spread over the replicas: one 201, the rest 409."""
    email = f"race-{uuid.uuid4().hex}@example.com"
    replicas = run.replicas
    responses = await asyncio.gather(
        *(
            replicas[n % len(replicas)].client.post("/users", json=sign_up_body(email))
            for n in range(RACE)
        )
    )
    statuses = sorted(response.status_code for response in responses)
    print(
        f"race: {RACE} sign-ups of one email over {len(replicas)} replicas: "
        f"{statuses.count(201)} x 201, {statuses.count(409)} x 409"
    )
    if statuses != [201] + [409] * (RACE - 1):
        run.failures.append(f"race: {statuses}")
    else:
        run.signed_up.append(email)


async def sigterm_mid_load(run: Run) -> None:
    """Load on all replicas; SIGTERM to the last once SIGTERM_AFTER requests are done. The load
    balancer (here: `load`) sends it nothing new from then on; what it had must all succeed."""
    victim = run.replicas[-1]
    outcomes: list[Outcome] = []
    running = asyncio.ensure_future(load(run, run.replicas, REQUESTS_DURING_SIGTERM, outcomes))
    # A count that `load` grows, polled: it has no event to set at SIGTERM_AFTER.
    while len(outcomes) < SIGTERM_AFTER and not running.done():  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    victim.draining = True
    victim.process.send_signal(signal.SIGTERM)
    in_flight = len(outcomes)
    await running
    status = await asyncio.to_thread(victim.process.wait, EXIT_TIMEOUT_SECONDS)
    on_victim = [outcome for outcome in outcomes if outcome.replica == victim.index]
    answered = [o for o in on_victim if o.status == EXPECTED[o.kind]]
    print(
        f"SIGTERM: replica {victim.index} signalled after {in_flight} of "
        f"{REQUESTS_DURING_SIGTERM} requests; it answered {len(answered)} of the "
        f"{len(on_victim)} it was sent, then ended ({status})"
    )
    check(run, outcomes, "during SIGTERM")
    if status not in (0, -signal.SIGTERM):
        run.failures.append(f"the terminated replica ended with {status}")


async def stored_once(run: Run, server_url: str) -> None:
    connection = await asyncpg.connect(f"{server_url}/{DATABASE}")
    try:
        rows = await connection.fetch(
            "SELECT email, count(*) AS n FROM users WHERE email = ANY($1::text[]) GROUP BY email",
            run.signed_up,
        )
    finally:
        await connection.close()
    counts = {row["email"]: row["n"] for row in rows}
    missing = [email for email in run.signed_up if counts.get(email) != 1]
    print(f"sign-ups: {len(run.signed_up)} answered 201, {len(counts)} stored, each once")
    if missing or len(set(run.signed_up)) != len(run.signed_up):
        run.failures.append(f"{len(missing)} sign-ups not stored exactly once")


def through_pgbouncer(server_url: str, port: int) -> str:
    """DATABASE's URL through the PgBouncer on `port`, with `server_url`'s credentials."""
    scheme, _, rest = server_url.partition("://")
    credentials = rest.split("@", 1)[0] + "@" if "@" in rest else ""
    return f"{scheme}://{credentials}{HOST}:{port}/{DATABASE}"


async def prove(args: argparse.Namespace, logs: Path) -> list[str]:
    server_url = args.server_url.rstrip("/")
    await fresh_database(server_url)
    port = free_port()
    failures: list[str] = []
    with ExitStack() as stack:
        pgbouncer_log = stack.enter_context(
            pgbouncer(args.pgbouncer, server_url, port, POOL_SIZE, QUERY_TIMEOUT_SECONDS)
        )
        url = through_pgbouncer(server_url, port)
        migrate_three_at_once(args.project, url, failures)
        all_replicas = stack.enter_context(replicas(args.project, args.package, url, logs))
        run = await seed(all_replicas, args.project, args.package, f"{server_url}/{DATABASE}")
        run.failures.extend(failures)

        one: list[Outcome] = []
        wall_one = await load(run, all_replicas[:1], REQUESTS_ONE_REPLICA, one)
        check(run, one, "one replica")

        three: list[Outcome] = []
        stop = asyncio.Event()
        sampler = asyncio.ensure_future(sample_connections(server_url, stop))
        wall_three = await load(run, all_replicas, REQUESTS_THREE_REPLICAS, three)
        await race(run)
        stop.set()
        most = await sampler
        check(run, three, "three replicas")
        print(f"server connections: at most {most} during the load (PgBouncer's pool: {POOL_SIZE})")
        if most > POOL_SIZE:
            run.failures.append(f"{most} server connections, more than the budget {POOL_SIZE}")

        await sigterm_mid_load(run)
        await stored_once(run, server_url)
        for replica in all_replicas:
            await replica.client.aclose()

        print(f"one replica:    {figures(one, wall_one)}")
        print(f"three replicas: {figures(three, wall_three)}")
        run.failures.extend(_log_errors([pgbouncer_log, *(r.log for r in all_replicas)]))
        server_errors = [o for o in one + three if o.status is not None and o.status >= 500]
        print(f"5xx answers: {len(server_errors)}")
    # On a PgBouncer of its own, once the replicas are stopped: they would only take CPU.
    await asyncio.to_thread(suite_through_pgbouncer, args, run.failures)
    return run.failures


def suite_through_pgbouncer(args: argparse.Namespace, failures: list[str]) -> None:
    """The render's tests, with their harness on PgBouncer: it works there too. Run again,
    once, on a new PgBouncer if this one died of its own known crash (PGBOUNCER_CRASH)."""
    server_url = args.server_url.rstrip("/")
    for attempt in (1, 2):
        port = free_port()
        with pgbouncer(
            args.pgbouncer, server_url, port, POOL_SIZE, QUERY_TIMEOUT_SECONDS
        ) as pgbouncer_log:
            done = run_suite(args.project, through_pgbouncer(server_url, port))
            said = pgbouncer_log.read_text(errors="replace")
        summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"the render's suite through PgBouncer: {summary}")
        if done.returncode != 0 and PGBOUNCER_CRASH in said and attempt == 1:
            print(f"PgBouncer crashed ({PGBOUNCER_CRASH!r}, its bug #801): the suite once more")
            continue
        if done.returncode != 0:
            # PgBouncer's own account first: the suite's output is cut to its end.
            ending = "\n".join(said.splitlines()[-40:])
            failures.append(f"the suite failed through PgBouncer; pgbouncer.log ends:\n{ending}")
            failures.append(f"the suite's output:\n{done.stdout[-20000:]}")
        elif any(marker in done.stdout for marker in PREPARED_STATEMENT_ERRORS):
            failures.append("the suite's output names prepared statements")
        return


def run_suite(project: Path, url: str) -> subprocess.CompletedProcess[str]:
    """The render's suite, with `-n 2`, on the database at `url` (through PgBouncer)."""
    # Not the embedded server's own tests: PgBouncer has no part in them.
    command = [
        *(sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider"),
        "--ignore=tests/database/test_embedded_database.py",
    ]
    # The suite's test of the statement timeout behind a pooler needs to know it.
    env = project_env(url, POOLER_QUERY_TIMEOUT_SECONDS=str(QUERY_TIMEOUT_SECONDS))
    return subprocess.run(
        command,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=PHASE_TIMEOUT_SECONDS,
        check=False,
    )


def _log_errors(logs: list[Path]) -> list[str]:
    found = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if any(marker in line for marker in PREPARED_STATEMENT_ERRORS):
                found.append(f"{log.name}: {line}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--package", required=True)
    parser.add_argument("--server-url", required=True, help="postgresql://user@host:port")
    parser.add_argument("--pgbouncer", required=True, help="PgBouncer's binary")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scale-logs-") as logs:
        failures = asyncio.run(prove(args, Path(logs)))
        if failures:
            for replica_log in sorted(Path(logs).glob("*.log")):
                print(
                    f"--- {replica_log.name} (last lines)\n"
                    + "\n".join(replica_log.read_text(errors="replace").splitlines()[-30:])
                )
    if failures:
        sys.exit("scale: failed:\n" + "\n".join(failures[:50]))
    print("scale: passed")


if __name__ == "__main__":
    main()

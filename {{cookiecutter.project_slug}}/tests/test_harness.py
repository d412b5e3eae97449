"""The harness itself: Ctrl-C stops an async test at once, though conftest replaced the handler
that asyncio.Runner would install around each test (a cost on every async fixture); each test
finds the database clean, even after one lost its connection; in rollback mode, savepoint names
restart with every test on the connection they all share, and `user`'s insert on the driver
leaves the columns it is not given to the server."""

import signal

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

from {{ cookiecutter.package_name }}.database import AsyncDatabase
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.roles import DEFAULT_ROLE

from tests.factories import INSERT_USER, new_user_row, new_user_values, user_row_insert
from tests.isolation import Isolation, RollbackEachTest


async def test_ctrl_c_interrupts_an_async_test_at_once() -> None:
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)


USER_COUNT = select(func.count()).select_from(User)


async def _users(isolation: Isolation) -> int:
    """How many users a new test finds."""
    async with isolation.clean_database() as database, database.connection() as connection:
        count: int = (await connection.execute(USER_COUNT)).scalar_one()
    return count


async def test_a_test_s_rows_are_gone_in_the_next(isolation: Isolation) -> None:
    async with isolation.clean_database() as database, database.connection() as connection:
        await connection.execute(INSERT_USER, new_user_values(DEFAULT_ROLE, "not a hash"))
        assert await connection.scalar(USER_COUNT) == 1
    assert await _users(isolation) == 0


@pytest.fixture
def rollback_mode(isolation: Isolation) -> RollbackEachTest:
    if not isinstance(isolation, RollbackEachTest):
        pytest.skip("only rollback mode keeps a connection, and its savepoints, across tests")
    return isolation


async def _end_connection(database: AsyncDatabase, pid: int) -> None:
    """The server ends the connection served by process `pid` (waiting until it has)."""
    async with database.engine.connect() as other:
        ended = await other.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    assert ended


async def test_a_lost_connection_leaves_the_next_test_a_clean_database(
    rollback_mode: RollbackEachTest, initialize_database: AsyncDatabase
) -> None:
    async with rollback_mode.clean_database() as database, database.connection() as held:
        await held.execute(INSERT_USER, new_user_values(DEFAULT_ROLE, "not a hash"))
        pid = await held.scalar(text("SELECT pg_backend_pid()"))
        await _end_connection(initialize_database, pid)
        with pytest.raises(DBAPIError):  # the server ended it
            await held.execute(text("SELECT 1"))
    assert await _users(rollback_mode) == 0


async def test_a_connection_ended_between_tests_is_replaced(
    rollback_mode: RollbackEachTest, initialize_database: AsyncDatabase
) -> None:
    async with rollback_mode.clean_database() as database, database.connection() as held:
        pid = await held.scalar(text("SELECT pg_backend_pid()"))
    await _end_connection(initialize_database, pid)
    assert await _users(rollback_mode) == 0


async def test_user_s_insert_leaves_a_column_it_is_not_given_to_the_server(
    rollback_mode: RollbackEachTest,
) -> None:
    # As for a column added to the model that the factories do not know of.
    optional = [
        column.key
        for column in User.__table__.columns
        if column.nullable and column.default is None and column.server_default is None
    ]
    if not optional:
        pytest.skip("every column of User is required or has a default")
    row = new_user_row(DEFAULT_ROLE, "not a hash")
    for key in optional:
        row.pop(key, None)
    async with rollback_mode.clean_database() as database, database.connection() as connection:
        [inserted] = await user_row_insert(row).on_driver(connection, row)
    assert {key: inserted[key] for key in optional} == dict.fromkeys(optional)


async def test_savepoint_names_restart_with_every_test(rollback_mode: RollbackEachTest) -> None:
    names: list[str] = []

    def record(connection: object, cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("SAVEPOINT"):
            names.append(statement.removeprefix("SAVEPOINT "))

    for _ in range(2):
        async with rollback_mode.clean_database() as database:
            engine = database.bind.sync_engine
            event.listen(engine, "before_cursor_execute", record)
            try:
                session = database.session()
                await session.execute(text("SELECT 1"))
                await session.commit()
            finally:
                event.remove(engine, "before_cursor_execute", record)
    assert names == ["sa_savepoint_1", "sa_savepoint_1"]

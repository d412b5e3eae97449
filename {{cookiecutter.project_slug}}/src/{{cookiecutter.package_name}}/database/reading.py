"""Reading requests (GET, HEAD, OPTIONS) only read: their sessions refuse to write.

So their statements need no transaction around them. In production each runs on its own
(autocommit), which saves the BEGIN and ROLLBACK round trips, about a tenth of a short GET;
under READ COMMITTED every statement takes its own snapshot anyway, so a reader sees nothing
it would not see in a transaction. The tests refuse the same writes, so a GET behaves alike
in both: a route that must write is a POST, PUT, PATCH or DELETE.
"""

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteInReadingRequestError(RuntimeError):
    """A GET, HEAD or OPTIONS request tried to change the database: a bug of the route."""


class ReadingSession(Session):
    """The session of a reading request: any INSERT, UPDATE or DELETE raises."""


def _refused(what: str) -> WriteInReadingRequestError:
    return WriteInReadingRequestError(
        f"A reading request (GET, HEAD, OPTIONS) tried to {what}: its statements run without "
        "a transaction; make the route a POST, PUT, PATCH or DELETE to change data"
    )


@event.listens_for(ReadingSession, "before_flush")
def _refuse_flush(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    raise _refused("flush changed objects")


@event.listens_for(ReadingSession, "do_orm_execute")
def _refuse_writing_statements(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise _refused("run an INSERT, UPDATE or DELETE")

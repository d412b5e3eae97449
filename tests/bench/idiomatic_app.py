"""The service's reads as FastAPI and SQLAlchemy 2 users commonly write them: what issue 24
compared the template's routes with.

A session from a yield dependency, the caller from the bearer token (PyJWT) and
`session.get(User, ...)`, a page by `select(User)`, on the render's own model and schemas. It
adds nothing the service adds for production: no middleware (body and request limits, headers,
request ids, access log, metrics, traces), no check that the token's session is still open or
the account active, no throttling. The service's figures beside these say what the template's
way of writing a route, with all of that, costs against the everyday way without it.

`uvicorn tests.bench.idiomatic_app:app`, with BENCH_DATABASE_URL, BENCH_PACKAGE (the render's
package) and SECRET_KEY (the service's, which signed the tokens).
"""

import os
from collections.abc import AsyncIterator
from importlib import import_module
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from tests.bench.floor_app import POOL_SIZE

PACKAGE = os.environ["BENCH_PACKAGE"]
import_module(f"{PACKAGE}.models")  # every model, for the mappers' relationships
User: Any = import_module(f"{PACKAGE}.users.models").User
schemas = import_module(f"{PACKAGE}.users.schemas")
UserRead: Any = schemas.UserRead
UserPage: Any = schemas.UserPage
ADMIN_ROLE: Any = import_module(f"{PACKAGE}.users.roles").ADMIN_ROLE

url = os.environ["BENCH_DATABASE_URL"].replace("postgresql://", "postgresql+asyncpg://", 1)
# The floor's pool: the same connections for each app.
engine = create_async_engine(url, pool_size=POOL_SIZE, max_overflow=0)
sessions = async_sessionmaker(engine, expire_on_commit=False)
oauth2 = OAuth2PasswordBearer(tokenUrl="/token")
app = FastAPI(openapi_url=None)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]


async def current_user(session: Session, token: Annotated[str, Depends(oauth2)]) -> Any:
    try:
        claims = jwt.decode(token, os.environ["SECRET_KEY"], algorithms=["HS256"])
    except jwt.InvalidTokenError:
        raise HTTPException(401, detail="Invalid token") from None
    user = await session.get(User, UUID(claims["sub"]))
    if user is None:
        raise HTTPException(401, detail="Invalid token")
    return user


Caller = Annotated[Any, Depends(current_user)]


@app.get("/health")
async def health() -> dict[str, str]:
    """For the bench to know it is up."""
    return {"status": "ok"}


@app.get("/users/me", response_model=UserRead)
async def me(caller: Caller) -> Any:
    return UserRead.model_validate(caller)


@app.get("/users", response_model=UserPage)
async def users(
    session: Session,
    caller: Caller,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Any:
    if caller.role != ADMIN_ROLE:
        raise HTTPException(403, detail="Admins only")
    page = await session.scalars(
        select(User).order_by(User.created_at, User.id).offset(offset).limit(limit)
    )
    total = await session.scalar(select(func.count()).select_from(User))
    items = [UserRead.model_validate(user) for user in page]
    return UserPage(items=items, total=total or 0, offset=offset, limit=limit)

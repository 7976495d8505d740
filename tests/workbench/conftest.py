from tests.monitor_support import (  # noqa: F401 - fixtures used by name
    backend,
    db_url,
    engine,
    factory,
    fast_password_hashing,
    pg_server,
    world,
)

"""The API's bearer tokens are the core's (``gcs.core.tokens``): one verification for every face."""

from gcs.core.tokens import (
    ALGORITHM,
    ENV_SECRET,
    ISSUER,
    MIN_SECRET_LEN,
    SECRET_FILE,
    Principal,
    Role,
    TokenAuthority,
    load_secret,
)

__all__ = ["ALGORITHM", "ENV_SECRET", "ISSUER", "MIN_SECRET_LEN", "SECRET_FILE", "Principal", "Role",
           "TokenAuthority", "load_secret"]  # fmt: skip

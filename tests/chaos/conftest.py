from tests.integration.conftest import roundup, roundup_factory  # noqa: F401  (the real tracker fixtures)

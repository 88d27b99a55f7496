from tests.integration.conftest import redmine, roundup, roundup_factory  # noqa: F401  (the real tracker fixtures)

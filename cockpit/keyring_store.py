"""The OS keyring, the only place the cockpit keeps a secret (trackers, Prometheus, Alertmanager): one service name,
one test of whether a usable keyring exists, and reads, writes and deletes that never raise a backend's own error.
Imported lazily: the keyring library costs start-up time."""

from __future__ import annotations

from typing import Literal

KEYRING_SERVICE = "incident-cockpit"


def keyring_usable() -> bool:
    """A keyring that can hold a secret (not the fail or null backends)."""
    import keyring
    from keyring.backends import fail

    try:
        backend = keyring.get_keyring()
    except Exception:
        return False
    return not isinstance(backend, fail.Keyring) and "null" not in type(backend).__module__


def read_secret(name: str) -> str | None:
    """The secret kept under ``name``; None when there is none, no usable keyring, or the keyring fails."""
    if not keyring_usable():
        return None
    import keyring

    try:
        return keyring.get_password(KEYRING_SERVICE, name) or None
    except Exception:  # a backend failing in its own way: as if nothing were kept
        return None


def write_secret(name: str, secret: str) -> Literal["saved", "no keyring", "refused"]:
    """Keep ``secret`` under ``name``; says whether it was saved, or why not."""
    if not keyring_usable():
        return "no keyring"
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, name, secret)
    except KeyringError:
        return "refused"
    return "saved"


def delete_secret(name: str) -> bool:
    """Forget the secret kept under ``name``; False when there was none to forget."""
    if not keyring_usable():
        return False
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        keyring.delete_password(KEYRING_SERVICE, name)
        return True
    except (PasswordDeleteError, KeyringError):
        return False

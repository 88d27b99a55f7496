"""The OS keyring, the only place the cockpit keeps a secret (trackers, Prometheus, Alertmanager): one service name,
one test of whether a usable keyring exists, and reads, writes and deletes that never raise a backend's own error.
Imported lazily: the keyring library costs start-up time."""

from __future__ import annotations

from typing import Any, Literal

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


def plaintext_keyring() -> str | None:
    """The keyring backend's name when it would keep a secret unencrypted, None for a proper OS keyring.

    keyring rates every backend: a priority below 1 means "not recommended" (keyrings.alt's PlaintextKeyring is
    0.5, "Scheme is unsecured"). A chain of backends stores into its first one, so that one is judged. A backend
    whose rating cannot be read, or whose class says plaintext, counts as plaintext."""
    import keyring
    from keyring.backends.chainer import ChainerBackend

    name = "the keyring backend"
    try:
        backend: Any = keyring.get_keyring()
        if isinstance(backend, ChainerBackend):
            chain = list(backend.backends)
            backend = chain[0] if chain else backend
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        priority = float(backend.priority)
    except Exception:  # a third-party backend may fail in any way; then it cannot be trusted with a secret
        return f"{name}, whose rating could not be read"
    return name if priority < 1 or "plaintext" in name.lower() else None


def keyring_refusal(variable: str, allow_plaintext: bool = False) -> str | None:
    """Before anyone types a secret: why the keyring here cannot keep it (none usable, or one that may keep it
    unencrypted, unless that was allowed), in one sentence naming the variable to use instead; None when fine."""
    if not keyring_usable():
        return f"No usable OS keyring on this machine; set {variable} instead."
    if not allow_plaintext and (backend := plaintext_keyring()):
        return (f"The keyring here ({backend}) is one keyring rates as not recommended: it may keep secrets "
                f"unencrypted in a file, so nothing is asked or saved; set {variable} instead, or add "
                f"--allow-plaintext-keyring to store it there anyway.")
    return None

"""The keyed index of case references: find a review by its case reference without a readable list of them.

A case reference links a review to a person, so it is personal data: it is kept
only in the review's own free text (sealed in the audit chain, erased at the
end of retention). To find a review by reference (to record an appeal's
outcome against it, say) the store keeps, beside the events, a table of
``(digest, review_id)`` rows (``case_index``, schema step 6), where the digest
is an HMAC-SHA-256 of the *normalised* reference under a deployment key. Without
the key the table says nothing about which references it holds: a reference
cannot be confirmed by hashing a guess.

The key comes from the environment variable :data:`KEY_VARIABLE`
(``EDM_CASE_INDEX_KEY``) or is passed to
:class:`~ethical_decisions.EthicalDecisions`. Keep it in the deployment's secret
store, apart from the database and its backups. Changing it makes every digest
unfindable until the index is rebuilt (``ethical-decisions outcomes index``).

Normalising: Unicode NFKC, whitespace removed, upper case, so that
``"hx 123 456"`` and ``"HX123456"`` find the same review.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Callable, Mapping

from .exceptions import ValidationError

__all__ = [
    "KEY_VARIABLE",
    "MIN_KEY_BYTES",
    "case_digest",
    "case_digester",
    "case_index_key",
    "normalise_reference",
]

KEY_VARIABLE = "EDM_CASE_INDEX_KEY"
"""The environment variable that holds the deployment's case index key."""

MIN_KEY_BYTES = 16
"""The shortest key accepted, in bytes of its UTF-8 encoding (32 random characters or more is advised)."""


def case_index_key(
    key: str | bytes | None = None, *, environ: Mapping[str, str] | None = None, required: bool = True
) -> bytes | None:
    """The case index key: *key* if given, else the environment's :data:`KEY_VARIABLE`.

    :param required: raise if there is none; otherwise return ``None``.
    :raises ValidationError: if the key is needed and absent, or too short (the message never shows it).
    """
    if key is None:
        found = (os.environ if environ is None else environ).get(KEY_VARIABLE) or None
        key = found
    if key is None:
        if not required:
            return None
        raise ValidationError(
            "The case index key",
            [
                f"{KEY_VARIABLE}: not set; finding a review by case reference needs the deployment's "
                "case index key (set the environment variable, or pass case_index_key to EthicalDecisions)"
            ],
        )
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if len(raw) < MIN_KEY_BYTES:
        raise ValidationError(
            "The case index key",
            [f"{KEY_VARIABLE}: must be at least {MIN_KEY_BYTES} bytes long (32 random characters or more)"],
        )
    return raw


def normalise_reference(reference: str) -> str:
    """*reference* as the index compares it: NFKC, no whitespace, upper case."""
    if not reference.isascii():  # NFKC leaves ASCII as it is
        reference = unicodedata.normalize("NFKC", reference)
    return "".join(reference.split()).upper()


def case_digest(key: bytes, reference: str) -> str:
    """The index's digest of *reference*: HMAC-SHA-256 of the normalised reference under *key*, in hex."""
    import hmac  # noqa: PLC0415 - loaded when a reference is looked up, not with the library

    return hmac.digest(key, normalise_reference(reference).encode("utf-8"), hashlib.sha256).hex()


_BLOCK = 64
"""SHA-256's block size in bytes, which HMAC pads the key to."""


def case_digester(key: bytes) -> Callable[[str], str]:
    """:func:`case_digest` under *key*, for many references: the key's padded states are hashed once.

    The same HMAC (RFC 2104) as ``hmac.digest``, from ``hashlib.sha256``
    states copied per reference rather than set up from the key each time
    (which is what makes the one-call form slow): for bulk imports.
    """
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def digest(reference: str) -> str:
        first = inner.copy()
        first.update(normalise_reference(reference).encode("utf-8"))
        second = outer.copy()
        second.update(first.digest())
        return second.hexdigest()

    return digest

"""Password hashers that verify the werkzeug hashes a Flask app stores (`generate_password_hash`),
so users brought over by `import_flask_db` log in with their old passwords.

They come last in PASSWORD_HASHERS: Django never writes these formats, and on a user's first
successful login it re-hashes the password with the project's default (first) hasher. A stored
value is the werkzeug hash behind a Django algorithm name, e.g.
`werkzeug_scrypt$scrypt:32768:8:1$<salt>$<hex>` or
`werkzeug_pbkdf2$pbkdf2:sha256:1000000$<salt>$<hex>`.
"""

import hashlib
import hmac
import re
from typing import TYPE_CHECKING, Any

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.translation import gettext_noop as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# What werkzeug 2.3+ writes (older releases wrote the same shapes, with fewer iterations).
PBKDF2 = re.compile(
    r"pbkdf2:(?P<digest>sha1|sha224|sha256|sha384|sha512):(?P<iterations>\d+)"
    r"\$(?P<salt>[^$]+)\$(?P<hash>[0-9a-f]+)"
)
SCRYPT = re.compile(
    r"scrypt:(?P<n>\d+):(?P<r>\d+):(?P<p>\d+)\$(?P<salt>[^$]+)\$(?P<hash>[0-9a-f]+)"
)


class WerkzeugPasswordHasher(BasePasswordHasher):
    """What both formats share: `<algorithm>$<method:parameters>$<salt>$<hex digest>`."""

    pattern: re.Pattern[str]

    def decode(self, encoded: str) -> dict[str, str]:
        algorithm, werkzeug_hash = encoded.split("$", 1)
        assert algorithm == self.algorithm
        parts = self.pattern.fullmatch(werkzeug_hash)
        if parts is None:
            raise ValueError(f"not a {self.algorithm} hash")
        return {"algorithm": algorithm, **parts.groupdict()}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return hmac.compare_digest(self.digest(password.encode(), decoded).hex(), decoded["hash"])

    def digest(self, password: bytes, decoded: dict[str, str]) -> bytes:
        raise NotImplementedError("each format computes its own digest")


class WerkzeugPBKDF2PasswordHasher(WerkzeugPasswordHasher):
    algorithm = "werkzeug_pbkdf2"
    pattern = PBKDF2

    def digest(self, password: bytes, decoded: dict[str, str]) -> bytes:
        return hashlib.pbkdf2_hmac(
            decoded["digest"], password, decoded["salt"].encode(), int(decoded["iterations"])
        )

    def safe_summary(self, encoded: str) -> "dict[StrOrPromise, Any]":
        decoded = self.decode(encoded)
        return {
            _("algorithm"): f"{decoded['algorithm']} ({decoded['digest']})",
            _("iterations"): decoded["iterations"],
            _("salt"): mask_hash(decoded["salt"]),
            _("hash"): mask_hash(decoded["hash"]),
        }


class WerkzeugScryptPasswordHasher(WerkzeugPasswordHasher):
    algorithm = "werkzeug_scrypt"
    pattern = SCRYPT

    def digest(self, password: bytes, decoded: dict[str, str]) -> bytes:
        n, r, p = int(decoded["n"]), int(decoded["r"]), int(decoded["p"])
        # werkzeug's own memory allowance for these parameters, so what it wrote, we can read.
        return hashlib.scrypt(
            password, salt=decoded["salt"].encode(), n=n, r=r, p=p, maxmem=132 * n * r * p
        )

    def safe_summary(self, encoded: str) -> "dict[StrOrPromise, Any]":
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("work factor"): f"n={decoded['n']}, r={decoded['r']}, p={decoded['p']}",
            _("salt"): mask_hash(decoded["salt"]),
            _("hash"): mask_hash(decoded["hash"]),
        }


def from_werkzeug(werkzeug_hash: str) -> str:
    """The Django `password` value for a werkzeug hash; ValueError for a format we cannot check."""
    for hasher in (WerkzeugPBKDF2PasswordHasher, WerkzeugScryptPasswordHasher):
        if hasher.pattern.fullmatch(werkzeug_hash):
            return f"{hasher.algorithm}${werkzeug_hash}"
    raise ValueError("not a werkzeug pbkdf2 or scrypt hash")

"""Open Badges 3.0 credentials for PDU certificates, pure: build, sign, verify.

The signature is a W3C Data Integrity proof with the `eddsa-jcs-2022` cryptosuite (VC Data
Integrity EdDSA Cryptosuites v1.0, §3.3): Ed25519 over
SHA-256(JCS(proof options)) ‖ SHA-256(JCS(credential without proof)), the proof value in
multibase base58btc. JCS is RFC 8785 (canonical JSON). tests/unit/test_credentials.py
reproduces the specification's own test vector, so other verifiers agree with ours.

The issuer key is derived from PDU_SECRET_KEY with HKDF-SHA256 under a label of its own
(nothing about the token secret can be learned from it). Why derived, not stored beside:
every process and machine of a deployment signs with the same key without a key file to
distribute, back up or leak separately, and the secret is already the one thing an
operator must keep. Its public half is published in every proof as a `did:key`, so anyone
can check a credential offline. The price: rotating PDU_SECRET_KEY rotates the issuer key,
and credentials signed before verify only against the old did:key (pass it in `trusted`).

Personal data: the recipient's email and license number are salted SHA-256 hashes
(OB 3.0 IdentityObject, `sha256$hex(identity + salt)`); the holder's name is plain, as it
is printed on the certificate the credential travels in.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from templates.hours import hours_number, hours_text

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"

_KEY_SALT = b"pdu-workflows"
_KEY_INFO = b"open-badges-3.0 issuer ed25519 v1"
_ED25519_PUB = b"\xed\x01"  # multicodec prefixes of Multikey (varint 0xed, 0x1300)
_ED25519_PRIV = b"\x80\x26"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {ch: i for i, ch in enumerate(_B58)}
_MAX_SAFE_INTEGER = 2**53 - 1


class CredentialError(ValueError):
    """A value cannot be put in a canonical credential (JCS has no such number)."""


# --- Canonical JSON (RFC 8785) -----------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """RFC 8785: keys sorted by UTF-16 code units, no whitespace, ECMAScript numbers.

    Python's json module writes strings exactly as ECMAScript's JSON.stringify does
    (ensure_ascii off: the same short escapes, \\u00xx in lower case for the rest).
    Numbers are the part that differs: integral floats are written as integers (6.0 →
    6), other floats in the range where repr() and ECMAScript agree; outside it, an
    error rather than a silently different signature.
    """
    if _plain(value):
        # No floats, ASCII keys: json.dumps writes exactly what _jcs writes, in C (a
        # credential is canonicalised twice a certificate; _jcs took ~1 ms of it).
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return _jcs(value).encode("utf-8")


def _plain(value: Any) -> bool:
    """JSON made of what both encoders write alike: no floats, integers JSON holds
    exactly, object keys in ASCII (where code point and UTF-16 order agree)."""
    if value is None or isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return abs(value) <= _MAX_SAFE_INTEGER
    if type(value) is dict:
        return all(
            isinstance(key, str) and key.isascii() and _plain(item) for key, item in value.items()
        )
    if type(value) is list or type(value) is tuple:
        return all(_plain(item) for item in value)
    return False


def _jcs(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise CredentialError(f"integer {value} is beyond what JSON numbers hold exactly")
        return str(value)
    if isinstance(value, float):
        return _jcs_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise CredentialError("object keys must be strings")
        keys = sorted(value, key=lambda key: key.encode("utf-16-be"))
        return "{" + ",".join(f"{_jcs(key)}:{_jcs(value[key])}" for key in keys) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_jcs(item) for item in value) + "]"
    raise CredentialError(f"{type(value).__name__} is not a JSON value")


def _jcs_number(value: float) -> str:
    if not math.isfinite(value):
        raise CredentialError(f"{value} is not a JSON number")
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if 1e-4 <= abs(value) < 1e16:  # repr() is ECMAScript's shortest form in this range
        return repr(value)
    raise CredentialError(f"{value!r}: outside the numbers this encoder writes canonically")


# --- Keys: base58btc, Multikey, did:key ------------------------------------------------


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(_B58[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    number = 0
    for ch in text:
        if ch not in _B58_INDEX:
            raise CredentialError(f"{ch!r} is not a base58 digit")
        number = number * 58 + _B58_INDEX[ch]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def public_multikey(key: Ed25519PublicKey) -> str:
    """`z6Mk…`: the Multikey (multibase base58btc) form of an Ed25519 public key."""
    return _multikey(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


@lru_cache(maxsize=16)
def _multikey(raw: bytes) -> str:  # the issuer's, three times a certificate
    return "z" + b58encode(_ED25519_PUB + raw)


def public_key_from_multikey(multikey: str) -> Ed25519PublicKey:
    if not multikey.startswith("z"):
        raise CredentialError("a Multikey is multibase base58btc (starts with z)")
    decoded = b58decode(multikey[1:])
    if not decoded.startswith(_ED25519_PUB) or len(decoded) != 34:
        raise CredentialError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(decoded[2:])


def private_key_from_multikey(multikey: str) -> Ed25519PrivateKey:
    decoded = b58decode(multikey.removeprefix("z"))
    if not decoded.startswith(_ED25519_PRIV) or len(decoded) != 34:
        raise CredentialError("not an Ed25519 secret Multikey")
    return Ed25519PrivateKey.from_private_bytes(decoded[2:])


def did_key(key: Ed25519PublicKey) -> str:
    return f"did:key:{public_multikey(key)}"


def verification_method(key: Ed25519PublicKey) -> str:
    multikey = public_multikey(key)
    return f"did:key:{multikey}#{multikey}"


def issuer_key(secret: str) -> Ed25519PrivateKey:
    """The deployment's signing key, derived from PDU_SECRET_KEY (see the module notes)."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=_KEY_SALT, info=_KEY_INFO).derive(
        secret.encode("utf-8")
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


# --- Hashed identities -----------------------------------------------------------------


def identity_hash(identity: str, salt: str) -> str:
    """OB 3.0 IdentityHash: `sha256$` + hex SHA-256 of the identity followed by the salt."""
    return "sha256$" + hashlib.sha256((identity + salt).encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def identity_matches(credential: Mapping[str, Any], identity_type: str, value: str) -> bool:
    """Whether the credential's hashed identity of `identity_type` is `value` (e.g. an
    employer checking that a certificate was issued to the address they know)."""
    if identity_type == "emailAddress":
        value = normalize_email(value)
    for identity in credential.get("credentialSubject", {}).get("identifier", []):
        if identity.get("identityType") != identity_type:
            continue
        if not identity.get("hashed"):
            return bool(identity.get("identityHash") == value)
        if identity.get("identityHash") == identity_hash(value, identity.get("salt", "")):
            return True
    return False


# --- The credential ----------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialFacts:
    """What a PDU certificate says, in the terms the credential needs."""

    number: str
    verification_url: str
    holder_name: str
    email: str | None
    license_number: str
    activity_id: str  # stable per activity: every attendee's credential names one achievement
    activity_title: str
    activity_description: str | None
    provider_name: str | None  # None: pre-approved by OPI itself
    activity_start: datetime
    activity_end: datetime
    hours: Decimal
    hours_available: Decimal
    issued_at: datetime
    issuer_name: str
    issuer_url: str
    salt: str


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise CredentialError(f"naive datetime {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _urn(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def build_credential(facts: CredentialFacts, issuer: Ed25519PublicKey) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of one certificate."""
    identifiers: list[dict[str, Any]] = [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": facts.holder_name,
        },
        {
            "type": "IdentityObject",
            "identityType": "identifier",
            "hashed": True,
            "identityHash": identity_hash(facts.license_number, facts.salt),
            "salt": facts.salt,
        },
    ]
    if facts.email:
        identifiers.insert(
            1,
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": identity_hash(normalize_email(facts.email), facts.salt),
                "salt": facts.salt,
            },
        )
    offered_by = facts.provider_name or facts.issuer_name
    achievement: dict[str, Any] = {
        "id": _urn(facts.activity_id),
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": facts.activity_title,
        "description": facts.activity_description
        or (
            f"A professional development activity offered by {facts.provider_name}."
            if facts.provider_name
            else "A professional development activity pre-approved by the Office of "
            "Public Instruction."
        ),
        "criteria": {
            "narrative": "Attendance at the activity, as recorded by "
            f"{offered_by}. One hour of attendance is one renewal unit (ARM 10.57.215)."
        },
        "creditsAvailable": hours_number(facts.hours_available),
        "creator": {
            "id": _urn(f"pdu-provider:{offered_by}"),
            "type": ["Profile"],
            "name": offered_by,
        },
    }
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": facts.verification_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"PDU certificate {facts.number}",
        "description": f"Montana Professional Development Unit certificate {facts.number}: "
        f"{hours_text(facts.hours)} renewal units. "
        f"Its current status is at {facts.verification_url}.",
        "issuer": {
            "id": did_key(issuer),
            "type": ["Profile"],
            "name": facts.issuer_name,
            "url": facts.issuer_url,
        },
        "validFrom": _instant(facts.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": identifiers,
            "achievement": achievement,
            "creditsEarned": hours_number(facts.hours),
            "activityStartDate": _instant(facts.activity_start),
            "activityEndDate": _instant(facts.activity_end),
        },
    }


# --- Signing and verifying ---------------------------------------------------------------


def _hash_data(document: Mapping[str, Any], options: Mapping[str, Any]) -> bytes:
    return (
        hashlib.sha256(canonical_json(options)).digest()
        + hashlib.sha256(canonical_json(document)).digest()
    )


def sign(
    credential: Mapping[str, Any], key: Ed25519PrivateKey, created: datetime
) -> dict[str, Any]:
    """The credential with an `eddsa-jcs-2022` proof added."""
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    options: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _instant(created),
        "verificationMethod": verification_method(key.public_key()),
        "proofPurpose": PROOF_PURPOSE,
    }
    if "@context" in unsecured:
        options["@context"] = unsecured["@context"]
    signature = key.sign(_hash_data(unsecured, options))
    return {**unsecured, "proof": {**options, "proofValue": "z" + b58encode(signature)}}


def check(signed: Mapping[str, Any], trusted: Collection[str] | None = None) -> str | None:
    """None when the proof verifies, else why not. `trusted`: the issuer did:keys to accept
    (None accepts any did:key, i.e. checks integrity only)."""
    proof = signed.get("proof")
    if not isinstance(proof, Mapping):
        return "the credential has no proof"
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return f"unsupported proof {proof.get('type')}/{proof.get('cryptosuite')}"
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        return f"unexpected proof purpose {proof.get('proofPurpose')!r}"
    method = str(proof.get("verificationMethod", ""))
    did, _, fragment = method.partition("#")
    if not did.startswith("did:key:") or fragment != did.removeprefix("did:key:"):
        return "the verification method is not a did:key"
    if trusted is not None and did not in trusted:
        return f"signed by {did}, which is not a trusted issuer key"
    issuer = signed.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer_id != did:
        return "the proof's key is not the issuer's"
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        context = list(unsecured.get("@context", []))
        if context[: len(options["@context"])] != list(options["@context"]):
            return "the proof's @context does not match the credential's"
    value = str(proof.get("proofValue", ""))
    try:
        public = public_key_from_multikey(fragment)
        if not value.startswith("z"):
            return "the proof value is not multibase base58btc"
        public.verify(b58decode(value[1:]), _hash_data(unsecured, options))
    except InvalidSignature:
        return "the signature does not match the credential (it was altered)"
    except (CredentialError, ValueError) as exc:
        return f"malformed proof: {exc}"
    return None


def verify(signed: Mapping[str, Any], trusted: Collection[str] | None = None) -> bool:
    return check(signed, trusted) is None


def dumps(credential: Mapping[str, Any]) -> bytes:
    """The credential as a file: readable JSON (the proof covers the canonical form, so
    the layout does not matter)."""
    return (json.dumps(credential, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

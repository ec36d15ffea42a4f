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
can check a credential offline. Rotating the secret (PDU_SECRET_KEYS: current first,
earlier after) rotates the issuer key; credentials signed before keep verifying against
the earlier did:keys, which the issuer profile (`issuer_profile`, served at
PUBLIC_URL/issuer) publishes beside the current one.

Personal data: the recipient's email and license number are salted SHA-256 hashes
(OB 3.0 IdentityObject, `sha256$hex(identity + salt)`); the holder's name is plain, as it
is printed on the certificate the credential travels in.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from models.keys import derive_key
from templates.hours import hours_number, hours_text

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"

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

    Values with no float and only ASCII keys (every credential we issue) take json.dumps,
    in C, which writes exactly those bytes (a credential is canonicalised twice a
    certificate); anything else goes through the `rfc8785` library, floats of any size
    included. A value JSON cannot hold exactly (NaN, an integer beyond 2**53) is refused
    rather than signed in a form another verifier would write differently.
    """
    if _plain(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    import rfc8785

    try:
        return rfc8785.dumps(_lists(value))
    except rfc8785.CanonicalizationError as exc:
        raise CredentialError(f"not canonical JSON: {exc}") from None


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


def _lists(value: Any) -> Any:
    """Tuples as lists (the library takes JSON's own types only)."""
    if isinstance(value, Mapping):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(item) for item in value]
    return value


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


def issuer_profile(name: str, url: str, dids: Sequence[str]) -> dict[str, Any]:
    """The issuer's public profile (what credentials' `issuer.url` opens): every did:key it
    has signed with, current first, so a verifier outside can check a credential signed
    before a key rotation. Each key is a Multikey verification method (DID core)."""
    methods = [
        {
            "id": f"{did}#{did.removeprefix('did:key:')}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": did.removeprefix("did:key:"),
        }
        for did in dids
    ]
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": url,
        "type": ["Profile"],
        "name": name,
        "url": url,
        "otherIdentifier": [
            {"type": "IdentifierEntry", "identifier": did, "identifierType": "identifier"}
            for did in dids
        ],
        "verificationMethod": methods,
    }


def verification_method(key: Ed25519PublicKey) -> str:
    multikey = public_multikey(key)
    return f"did:key:{multikey}#{multikey}"


def issuer_key(secret: str) -> Ed25519PrivateKey:
    """The deployment's signing key, derived from PDU_SECRET_KEY (see the module notes)."""
    return Ed25519PrivateKey.from_private_bytes(derive_key(secret, _KEY_INFO))


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

"""Open Badges 3.0 credentials: canonical JSON, the eddsa-jcs-2022 proof, hashed identities.

The test vector is the W3C's own (VC Data Integrity EdDSA Cryptosuites v1.0, appendix
"Representation: eddsa-jcs-2022"): reproducing it byte for byte is what makes our
signatures checkable by anyone else's verifier.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import credentials
from models.credentials import CredentialError, CredentialFacts, canonical_json

# --- The W3C test vector -------------------------------------------------------------------
VECTOR_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_DOCUMENT: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
VECTOR_DOCUMENT_HASH = "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
VECTOR_PROOF_CONFIG_HASH = "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db"
VECTOR_PROOF_VALUE = (
    "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
)
VECTOR_CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)

FACTS = CredentialFacts(
    number="PDU-2026-000042",
    verification_url="https://pdu.opi.example/verify/K7QM-3XPA-9RTD-WH2C",
    holder_name="Nguyễn Thị Minh Khai",
    email="Khai@School.example",
    license_number="123456",
    activity_id="https://pdu.opi.example#event:3",
    activity_title="Montana Literacy Summit 2026",
    activity_description="Two days on structured literacy.",
    provider_name="Big Sky Learning Collaborative",
    activity_start=datetime(2026, 11, 19, 7, tzinfo=UTC),
    activity_end=datetime(2026, 11, 20, 7, tzinfo=UTC),
    hours=Decimal("6.50"),
    hours_available=Decimal("12.00"),
    issued_at=datetime(2026, 11, 23, 16, tzinfo=UTC),
    issuer_name="Montana Office of Public Instruction",
    issuer_url="https://pdu.opi.example",
    salt="5f1c0e7a2b9d4c38",
)
KEY = credentials.issuer_key("test-secret-key-of-some-length")


@pytest.fixture
def signed() -> dict[str, Any]:
    unsigned = credentials.build_credential(FACTS, KEY.public_key())
    return credentials.sign(unsigned, KEY, FACTS.issued_at)


def test_the_w3c_document_hashes_as_the_specification_says() -> None:
    assert hashlib.sha256(canonical_json(VECTOR_DOCUMENT)).hexdigest() == VECTOR_DOCUMENT_HASH


def test_our_signature_of_the_w3c_document_is_the_specifications_proof_value() -> None:
    key = credentials.private_key_from_multikey(VECTOR_SECRET)
    assert credentials.public_multikey(key.public_key()) == VECTOR_PUBLIC
    secured = credentials.sign(VECTOR_DOCUMENT, key, VECTOR_CREATED)
    options = {k: v for k, v in secured["proof"].items() if k != "proofValue"}
    assert hashlib.sha256(canonical_json(options)).hexdigest() == VECTOR_PROOF_CONFIG_HASH
    assert secured["proof"]["proofValue"] == VECTOR_PROOF_VALUE
    assert credentials.check(secured, {f"did:key:{VECTOR_PUBLIC}"}) == (
        "the proof's key is not the issuer's"  # the vector's issuer is a URL, not the did:key
    )


def test_canonical_json_sorts_keys_by_utf16_and_writes_ecmascript_numbers() -> None:
    value = {"b": [1, 6.0, 6.5, 0.25, True, None], "a": "é\n\u2028", "\ue000": 1, "😀": 2}
    # U+1F600 is a surrogate pair in UTF-16 (D83D…): it sorts before U+E000.
    assert canonical_json(value) == (
        '{"a":"é\\n\u2028","b":[1,6,6.5,0.25,true,null],"😀":2,"\ue000":1}'.encode()
    )


@pytest.mark.parametrize("number", [float("nan"), float("inf"), 2**60])
def test_canonical_json_refuses_numbers_it_cannot_write_exactly_as_ecmascript_does(
    number: float,
) -> None:
    with pytest.raises(CredentialError):
        canonical_json({"n": number})


def test_base58_round_trips_leading_zero_bytes() -> None:
    for data in (b"", b"\0", b"\0\0\x01\xff", bytes(range(40))):
        assert credentials.b58decode(credentials.b58encode(data)) == data


def test_a_signed_credential_verifies_against_the_issuer_key(signed: dict[str, Any]) -> None:
    did = credentials.did_key(KEY.public_key())
    assert credentials.check(signed, {did}) is None
    assert signed["issuer"]["id"] == did
    assert signed["proof"]["verificationMethod"] == f"{did}#{did.removeprefix('did:key:')}"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("credentialSubject", "creditsEarned"), 12),
        (("credentialSubject", "achievement", "name"), "Another Summit"),
        (("credentialSubject", "identifier", 0, "identityHash"), "Someone Else"),
        (("validFrom",), "2026-11-24T16:00:00Z"),
        (("name",), "PDU certificate PDU-2026-000043"),
    ],
)
def test_changing_one_field_breaks_the_signature(
    signed: dict[str, Any], path: tuple[Any, ...], value: Any
) -> None:
    altered = copy.deepcopy(signed)
    target = altered
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert credentials.check(altered) == (
        "the signature does not match the credential (it was altered)"
    )
    assert not credentials.verify(altered)


def test_a_credential_re_signed_with_another_key_is_not_trusted(signed: dict[str, Any]) -> None:
    intruder = credentials.issuer_key("an-attacker-chose-this-secret")
    forged = copy.deepcopy(signed)
    forged["issuer"]["id"] = credentials.did_key(intruder.public_key())
    forged = credentials.sign(forged, intruder, FACTS.issued_at)
    assert credentials.verify(forged)  # intact, but not ours:
    trusted = {credentials.did_key(KEY.public_key())}
    assert "not a trusted issuer key" in (credentials.check(forged, trusted) or "")


def test_a_credential_without_proof_or_with_another_suite_does_not_verify(
    signed: dict[str, Any],
) -> None:
    assert credentials.check({k: v for k, v in signed.items() if k != "proof"}) == (
        "the credential has no proof"
    )
    other = copy.deepcopy(signed)
    other["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    assert "unsupported proof" in (credentials.check(other) or "")


def test_the_email_is_a_salted_hash_never_the_address(signed: dict[str, Any]) -> None:
    text = credentials.dumps(signed).decode()
    assert "khai@school.example" not in text.lower()
    assert "123456" not in text
    email = next(
        i for i in signed["credentialSubject"]["identifier"] if i["identityType"] == "emailAddress"
    )
    expected = hashlib.sha256(b"khai@school.example" + FACTS.salt.encode()).hexdigest()
    assert email == {
        "type": "IdentityObject",
        "identityType": "emailAddress",
        "hashed": True,
        "identityHash": f"sha256${expected}",
        "salt": FACTS.salt,
    }


def test_whoever_knows_the_address_can_check_it_against_the_hash(signed: dict[str, Any]) -> None:
    assert credentials.identity_matches(signed, "emailAddress", " KHAI@school.example ")
    assert not credentials.identity_matches(signed, "emailAddress", "someone@school.example")
    assert credentials.identity_matches(signed, "identifier", "123456")
    assert credentials.identity_matches(signed, "name", "Nguyễn Thị Minh Khai")


def test_the_credential_is_an_open_badge_with_the_certificates_facts(
    signed: dict[str, Any],
) -> None:
    assert signed["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert signed["@context"] == [credentials.VC_CONTEXT, credentials.OB_CONTEXT]
    assert signed["id"] == FACTS.verification_url
    subject = signed["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["creditsEarned"] == 6.5
    assert subject["achievement"]["creditsAvailable"] == 12
    assert subject["achievement"]["creator"]["name"] == "Big Sky Learning Collaborative"
    assert subject["activityEndDate"] == "2026-11-20T07:00:00Z"
    assert signed["validFrom"] == "2026-11-23T16:00:00Z"


def test_the_issuer_key_is_derived_from_the_secret_the_same_way_every_time() -> None:
    again = credentials.issuer_key("test-secret-key-of-some-length")
    other = credentials.issuer_key("test-secret-key-of-some-lengtH")
    assert credentials.did_key(again.public_key()) == credentials.did_key(KEY.public_key())
    assert credentials.did_key(other.public_key()) != credentials.did_key(KEY.public_key())


def test_a_credential_for_an_opi_pre_approval_names_opi_as_the_creator() -> None:
    facts = CredentialFacts(**{**FACTS.__dict__, "provider_name": None, "email": None})
    credential = credentials.build_credential(facts, KEY.public_key())
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["creator"]["name"] == "Montana Office of Public Instruction"
    kinds = [i["identityType"] for i in credential["credentialSubject"]["identifier"]]
    assert kinds == ["name", "identifier"]


def test_large_integral_floats_are_written_in_full_as_ecmascript_does() -> None:
    assert canonical_json([1.5e17, 1e20]) == b"[150000000000000000,100000000000000000000]"


def test_floats_outside_1e_minus_4_to_1e16_are_written_as_ecmascript_does() -> None:
    # Refused before the slow path went through the rfc8785 library.
    assert canonical_json({"n": [1e-7, 1e21, 1.5e-300, -2.5e30]}) == (
        b'{"n":[1e-7,1e+21,1.5e-300,-2.5e+30]}'
    )


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_the_fast_canonical_form_is_the_rfc_8785_one(value: object) -> None:
    # canonical_json takes json.dumps when nothing differs (no floats, ASCII keys): on any
    # value, the bytes must be those of the RFC 8785 library.
    import rfc8785

    assert canonical_json(value) == rfc8785.dumps(value)

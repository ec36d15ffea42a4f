"""Messages never acted on: our own, bounces, robots, lists; and trusted DMARC results."""

from __future__ import annotations

from mailbox.classify import Reason, classify, dmarc_pass, failed_recipients

from tests.unit.mailbox.support import fixture, message, parse

OWN = {"pdu@opi.example"}
LOOP = "opi.example"


def reason(parsed) -> Reason | None:
    found = classify(parsed, own_addresses=OWN, loop_header_value=LOOP)
    return found.reason if found else None


def reason_of(headers: str) -> Reason | None:
    return reason(parse(message("From: Jane <jane@school.example>\n" + headers)))


def test_an_ordinary_reply_may_be_acted_on():
    assert reason(fixture("gmail_reply.eml")) is None
    assert reason(fixture("outlook_desktop_reply.eml")) is None  # X-Auto-Response-Suppress


def test_a_dsn_is_a_bounce_with_its_failed_recipients_only():
    found = classify(fixture("dsn_bounce.eml"), own_addresses=OWN, loop_header_value=LOOP)
    assert found is not None and found.reason is Reason.BOUNCE
    assert found.failed_recipients == ("nobody@school.example",)  # not the delayed one


def test_mail_from_the_mailer_daemon_with_a_delivery_status_is_a_bounce():
    raw = (
        b"From: MAILER-DAEMON@mx.example\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
        b"Final-Recipient: rfc822; gone@school.example\nStatus: 5.0.0\n--b--\n"
    )
    found = classify(parse(raw), own_addresses=OWN, loop_header_value=LOOP)
    assert found is not None and found.failed_recipients == ("gone@school.example",)


def test_an_out_of_office_reply_is_auto_generated():
    assert reason(fixture("out_of_office.eml")) is Reason.AUTO_GENERATED


def test_rfc3834_and_vendor_robot_headers_mean_auto_generated():
    assert reason_of("Auto-Submitted: auto-generated") is Reason.AUTO_GENERATED
    assert reason_of("Auto-Submitted: auto-replied; owner-email=x@y") is Reason.AUTO_GENERATED
    assert reason_of("Precedence: bulk") is Reason.AUTO_GENERATED
    assert reason_of("Precedence: junk") is Reason.AUTO_GENERATED
    assert reason_of("X-Autoreply: yes") is Reason.AUTO_GENERATED
    assert reason_of("X-Autorespond: vacation") is Reason.AUTO_GENERATED
    assert reason_of("Return-Path: <>") is Reason.AUTO_GENERATED


def test_auto_submitted_no_and_auto_response_suppress_are_not_robot_signals():
    assert reason_of("Auto-Submitted: no") is None
    assert reason_of("X-Auto-Response-Suppress: All") is None


def test_auto_reply_subjects_are_recognised_only_at_the_start():
    assert reason_of("Subject: Out of Office: back Monday") is Reason.AUTO_GENERATED
    assert reason_of("Subject: Autosvar: [PA-2026-00042]") is Reason.AUTO_GENERATED
    assert reason_of("Subject: Re: [PA-2026-00042] I was out of office") is None


def test_a_mailing_list_message_is_recognised_by_its_list_headers():
    assert reason(fixture("mailing_list.eml")) is Reason.MAILING_LIST
    assert reason_of("List-Unsubscribe: <mailto:leave@x.example>") is Reason.MAILING_LIST


def test_our_loop_header_or_our_own_address_is_a_loop():
    assert reason_of("X-PDU-Loop: opi.example") is Reason.LOOP
    own = parse(message("From: PDU <pdu+abc@OPI.example>"))
    assert reason(own) is Reason.LOOP


def test_another_pdu_systems_loop_header_is_auto_generated():
    assert reason_of("X-PDU-Loop: other-state.example") is Reason.AUTO_GENERATED


def test_failed_recipients_come_from_failed_actions_or_permanent_statuses():
    status = (
        "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@x.example\nAction: failed\n\n"
        "Final-Recipient: rfc822;b@x.example\nAction: delivered\n\n"
        "Final-Recipient: rfc822; <C@X.example>\nStatus: 5.1.1\n"
    )
    assert failed_recipients(status) == ("a@x.example", "c@x.example")


def test_dmarc_pass_from_our_own_server_is_trusted():
    assert dmarc_pass(fixture("gmail_reply.eml"), "mx.opi.example")
    assert dmarc_pass(fixture("gmail_reply.eml"), "MX.opi.example")


def test_dmarc_results_from_other_servers_are_ignored():
    parsed = parse(message("From: j@opi.example\nAuthentication-Results: evil.example; dmarc=pass"))
    assert not dmarc_pass(parsed, "mx.opi.example")


def test_a_forged_trusted_result_below_ours_is_ignored():
    assert not dmarc_pass(fixture("forged_from.eml"), "mx.opi.example")


def test_dmarc_pass_for_another_from_domain_does_not_count():
    parsed = parse(
        message(
            "From: j@opi.example\nAuthentication-Results: mx.opi.example 1; "
            "dkim=pass (good; signature); dmarc=pass (p=none) header.from=evil.example"
        )
    )
    assert not dmarc_pass(parsed, "mx.opi.example")


def test_no_authentication_results_means_no_dmarc_pass():
    assert not dmarc_pass(fixture("apple_mail_reply.eml"), "mx.opi.example")

import pytest

from models.enums import CLOSED_STATUSES, CaseKind, CaseStatus
from models.workflow import TRANSITIONS, Event, IllegalTransition, advance, allowed_events

S = CaseStatus


def test_status_values_are_the_ones_the_json_interface_promises():
    assert {s.value for s in CaseStatus} == {
        "submitted",
        "declined",
        "redirected",
        "in_review",
        "awaiting_applicant",
        "awaiting_proof",
        "proof_review",
        "completed",
        "denied",
        "expired",
        "withdrawn",
        "purged",
    }


@pytest.mark.parametrize(
    ("kind", "path", "end"),
    [
        (
            CaseKind.PREAPPROVAL,
            [
                Event.TRIAGE_REVIEW,
                Event.REQUEST_INFO,
                Event.APPLICANT_REPLIED,
                Event.APPROVE,
                Event.PROOF_RECEIVED,
                Event.REJECT_PROOF,
                Event.PROOF_RECEIVED,
                Event.ACCEPT_PROOF,
            ],
            S.COMPLETED,
        ),
        (CaseKind.PREAPPROVAL, [Event.TRIAGE_DECLINE], S.DECLINED),
        (CaseKind.PREAPPROVAL, [Event.TRIAGE_REDIRECT, Event.PURGE], S.PURGED),
        (CaseKind.PREAPPROVAL, [Event.TRIAGE_REVIEW, Event.DENY], S.DENIED),
        (CaseKind.PREAPPROVAL, [Event.TRIAGE_REVIEW, Event.APPROVE, Event.EXPIRE], S.EXPIRED),
        (CaseKind.PREAPPROVAL, [Event.TRIAGE_REVIEW, Event.APPROVE, Event.WITHDRAW], S.WITHDRAWN),
        (CaseKind.PROVIDER, [Event.TRIAGE_REVIEW, Event.APPROVE], S.COMPLETED),
    ],
)
def test_a_legal_path_through_the_table_ends_where_the_workflow_says(kind, path, end):
    status = S.SUBMITTED
    for event in path:
        status = advance(kind, status, event)
    assert status is end


@pytest.mark.parametrize(
    ("kind", "status", "event"),
    [
        (CaseKind.PREAPPROVAL, S.SUBMITTED, Event.APPROVE),
        (CaseKind.PREAPPROVAL, S.DENIED, Event.APPROVE),
        (CaseKind.PREAPPROVAL, S.COMPLETED, Event.WITHDRAW),
        (CaseKind.PREAPPROVAL, S.IN_REVIEW, Event.PURGE),
        (CaseKind.PREAPPROVAL, S.PURGED, Event.PURGE),
        (CaseKind.PROVIDER, S.IN_REVIEW, Event.PROOF_RECEIVED),
        (CaseKind.PREAPPROVAL, S.AWAITING_APPLICANT, Event.APPROVE),
    ],
)
def test_an_illegal_transition_raises_and_names_the_status(kind, status, event):
    with pytest.raises(IllegalTransition, match=status.value):
        advance(kind, status, event)


def test_a_closed_case_only_leaves_by_purging_or_an_admin_reopening_it_for_review():
    for table in TRANSITIONS.values():
        for (source, event), target in table.items():
            if source in CLOSED_STATUSES:
                assert (event, target) in {(Event.PURGE, S.PURGED), (Event.REOPEN, S.IN_REVIEW)}


REOPENABLE = {S.DECLINED, S.REDIRECTED, S.DENIED, S.COMPLETED}


@pytest.mark.parametrize("kind", list(CaseKind))
@pytest.mark.parametrize("status", list(CaseStatus))
def test_only_decided_cases_can_be_reopened_and_they_go_back_to_review(kind, status):
    legal = status in REOPENABLE or (kind is CaseKind.PREAPPROVAL and status is S.AWAITING_PROOF)
    if legal:
        assert advance(kind, status, Event.REOPEN) is S.IN_REVIEW
    else:
        with pytest.raises(IllegalTransition, match="cannot take 'reopen'"):
            advance(kind, status, Event.REOPEN)


def test_an_open_case_can_never_be_purged():
    for kind in CaseKind:
        for status in set(CaseStatus) - CLOSED_STATUSES:
            assert Event.PURGE not in allowed_events(kind, status)


def test_every_status_but_purged_is_reachable_from_submitted():
    reachable = {S.SUBMITTED}
    frontier = [S.SUBMITTED]
    while frontier:
        status = frontier.pop()
        for kind in CaseKind:
            for event in allowed_events(kind, status):
                target = advance(kind, status, event)
                if target not in reachable:
                    reachable.add(target)
                    frontier.append(target)
    assert reachable == set(CaseStatus)

"""The contract check itself: it must catch what breaks the reference spec, or the other tests prove nothing."""

from __future__ import annotations

import httpx

from tests.goto.harness import ContractCheck, Exchange

BASE = "http://127.0.0.1:9/G2M/rest"
GOOD_UPCOMING = {
    "startTime": "2030-01-01T09:00:00Z",
    "endTime": "2030-01-01T10:00:00Z",
    "lastName": "One",
    "firstName": "Room",
    "accountKey": "1",
    "organizerKey": "2",
    "email": "a@b.test",
    "locale": "en_US",
    "passwordRequired": False,
    "status": "INACTIVE",
    "subject": "s",
    "meetingId": "123",
    "meetingType": "scheduled",
    "conferenceCallInfo": "Hybrid",
}


def _exchange(method: str, path: str, status: int, body: object, request_json: object = None) -> Exchange:
    request = httpx.Request(method, BASE + path, json=request_json, headers={"Authorization": "Bearer t"})
    return Exchange("client", request, httpx.Response(status, json=body))


def test_a_response_that_fits_the_contract_passes(contract: ContractCheck) -> None:
    assert contract.problems([_exchange("GET", "/upcomingMeetings", 200, [GOOD_UPCOMING])]) == []


def test_missing_fields_wrong_enums_and_bad_dates_are_caught(contract: ContractCheck) -> None:
    for broken in (
        {k: v for k, v in GOOD_UPCOMING.items() if k != "email"},
        {**GOOD_UPCOMING, "status": "RUNNING"},
        {**GOOD_UPCOMING, "startTime": "next monday"},
        {**GOOD_UPCOMING, "meetingId": 123},
    ):
        assert contract.problems([_exchange("GET", "/upcomingMeetings", 200, [broken])]), broken


def test_a_request_body_the_contract_rejects_is_caught(contract: ContractCheck) -> None:
    exchange = _exchange(
        "POST",
        "/meetings",
        400,
        {"int_err_code": "InvalidRequest", "msg": "x"},
        request_json={"subject": "s", "starttime": "2030-01-01T09:00:00Z"},
    )
    assert any(p.startswith("request") for p in contract.problems([exchange]))


def test_an_undocumented_status_needs_a_goto_error_body(contract: ContractCheck) -> None:
    goto_error = {"int_err_code": "InvalidToken", "msg": "x"}
    assert contract.problems([_exchange("GET", "/upcomingMeetings", 401, goto_error)]) == []
    assert contract.problems([_exchange("GET", "/upcomingMeetings", 401, {"error": "x"})])
    assert contract.problems([_exchange("GET", "/upcomingMeetings", 418, {"int_err_code": "x", "msg": "x"})])

"""Outbox (admin): every invitation e-mail, whether it was sent, waits for SMTP or failed; send the waiting ones."""

from __future__ import annotations

import streamlit as st

from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime
from core.kernel.models import OutboxMessage
from core.meetings import mail
from ui.session import engine, error, flash, guard, lang, t

user = guard("admin")
st.title(t("outbox.title"))
smtp = mail.smtp_configured()
st.caption(t("outbox.intro_smtp") if smtp else t("outbox.intro_no_smtp"))

if smtp and st.button(t("outbox.send_waiting"), key="send_waiting", type="primary"):
    try:
        with session_scope(engine()) as session:
            sent = mail.retry_outbox(session, user=user)
        flash(t("outbox.sent_count", count=sent))
        st.rerun()
    except RoomDeskError as err:
        error(err)

with session_scope(engine()) as session:
    messages = mail.list_outbox(session, user=user)
if not messages:
    st.info(t("outbox.empty"))
    st.stop()


METHODS = {"REQUEST": "outbox.method_request", "CANCEL": "outbox.method_cancel"}
STATES = {"sent": "outbox.state_sent", "waiting": "outbox.state_waiting", "failed": "outbox.state_failed"}


def state(message: OutboxMessage) -> str:
    return t(STATES[mail.outbox_state(message)], error=message.error)


def when(message: OutboxMessage) -> str:
    return format_datetime(message.created_at, lang(), user.time_zone)


st.dataframe(
    [
        {
            t("outbox.created"): when(m),
            t("outbox.method"): t(METHODS[m.method]),
            t("outbox.subject"): m.subject,
            t("outbox.recipients"): ", ".join(m.recipients.splitlines()),
            t("outbox.state"): state(m),
        }
        for m in messages
    ],
    hide_index=True,
    width="stretch",
)

by_id = {m.id: m for m in messages}
chosen = st.selectbox(
    t("outbox.message"),
    list(by_id),
    key="outbox_message",
    format_func=lambda i: f"{when(by_id[i])} · {by_id[i].subject}",
)
try:
    with session_scope(engine()) as session:
        message = mail.outbox_message(session, user=user, message_id=chosen)
except RoomDeskError as err:
    error(err)
    st.stop()

st.subheader(message.subject)
st.caption(t("outbox.envelope", sender=message.sender, recipients=", ".join(message.recipients.splitlines())))
{"sent": st.success, "waiting": st.info, "failed": st.error}[mail.outbox_state(message)](state(message))
st.text(message.body)
st.code(message.ics, language=None)
st.download_button(
    t("outbox.download_ics"),
    data=message.ics,
    file_name=f"invite-{message.id}.ics",
    mime="text/calendar",
    key=f"download_ics_{message.id}",
)

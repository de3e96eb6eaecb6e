"""Audit (admin): who changed what and when, as whom, with the values before and after; CSV export."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from core.access import auth
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime
from core.reporting import audit_log
from ui.session import engine, error, guard, lang, t

user = guard("admin")
tz = ZoneInfo(user.time_zone)
st.title(t("audit.title"))
st.caption(t("audit.intro"))

today = datetime.now(tz).date()
c1, c2, c3, c4, c5, c6 = st.columns([2, 2, 2, 2, 2, 1])
first = c1.date_input(t("audit.from"), value=today - timedelta(days=7), key="audit_from", format="DD.MM.YYYY")
last = c2.date_input(t("audit.to"), value=today, key="audit_to", format="DD.MM.YYYY")
start = datetime.combine(first or today, time(0), tz)
end = datetime.combine((last or today) + timedelta(days=1), time(0), tz)  # the whole last day
with session_scope(engine()) as session:
    people = {p.id: p.display_name for p in auth.list_users(session)}
    actions, entities = audit_log.facets(session, user=user, start=start, end=end)
who = c3.selectbox(
    t("audit.user"),
    [None, *people],
    key="audit_user",
    format_func=lambda i: t("audit.anyone") if i is None else people[i],
)
action = c4.selectbox(
    t("audit.action"),
    [None, *actions],
    key="audit_action",
    format_func=lambda a: t("audit.any") if a is None else audit_log.action_label(a, lang()),
)
entity = c5.selectbox(
    t("audit.entity"), [None, *entities], key="audit_entity", format_func=lambda e: t("audit.any") if e is None else e
)
entity_id = c6.text_input(t("audit.entity_id"), key="audit_entity_id")
filters = audit_log.AuditFilter(
    start=start, end=end, user_id=who, action=action, entity=entity, entity_id=entity_id or None
)
try:
    with session_scope(engine()) as session:
        window = audit_log.search(session, user=user, filters=filters)
except RoomDeskError as err:
    error(err)
    st.stop()

shared_engine = engine()


def export() -> bytes:
    with session_scope(shared_engine) as session:
        return audit_log.export_csv(session, user=user, filters=filters, tz=user.time_zone)[0]


st.download_button(
    t("audit.export", limit=audit_log.EXPORT_LIMIT),
    data=export,
    key="audit_export",
    file_name=f"roomdesk-audit-{first}-{last}.csv",
    mime="text/csv",
    icon=":material/download:",
)
if not window.rows:
    st.info(t("audit.none"))
    st.stop()
if window.more:
    st.caption(t("audit.more", limit=audit_log.PAGE_LIMIT))
table = st.dataframe(
    [
        {
            t("audit.when"): format_datetime(r.at, lang(), user.time_zone),
            t("audit.user"): r.user,
            t("audit.effective_user"): r.effective_user or "",
            t("audit.action"): audit_log.action_label(r.action, lang()),
            t("audit.entity"): r.entity,
            t("audit.entity_id"): r.entity_id,
        }
        for r in window.rows
    ],
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="audit_table",
)
picked = window.rows[table.selection.rows[0]] if table and table.selection.rows else window.rows[0]

st.subheader(t("audit.entry", action=audit_log.action_label(picked.action, lang()), id=picked.id))
moment = format_datetime(picked.at, lang(), user.time_zone)
st.caption(
    t("audit.entry_line", user=picked.user, effective=picked.effective_user, at=moment)
    if picked.effective_user
    else t("audit.entry_line_self", user=picked.user, at=moment)
)
diff = audit_log.changes(picked.before, picked.after)


def shown(value: object) -> str:
    return "—" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


if diff:
    st.dataframe(
        [{t("audit.field"): k, t("audit.before"): shown(old), t("audit.after"): shown(new)} for k, old, new in diff],
        hide_index=True,
        width="stretch",
        key="audit_changes",
    )
else:
    st.caption(t("audit.no_values"))
left, right = st.columns(2)
left.markdown(f"**{t('audit.before')}**")
left.json(picked.before or {}, expanded=False)
right.markdown(f"**{t('audit.after')}**")
right.json(picked.after or {}, expanded=False)

"""The sandbox's few HTML pages: sign-in/consent, OAuth errors, developer center, join and host."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from starlette.responses import HTMLResponse

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}"
    ".badge{background:#fde68a;border-radius:4px;padding:2px 6px;font-size:.8rem}"
    "label{display:block;margin:.8rem 0 .2rem}input[type=email],input[type=password]{width:100%;padding:.4rem}"
    "button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem}.error{color:#b91c1c}code{word-break:break-all}"
    ".sandbox-only{border:2px dashed #d97706;background:#fffbeb;border-radius:6px;padding:.2rem 1rem 1rem;"
    "margin-top:1.5rem}"
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><p><span class='badge'>GoTo sandbox</span></p>"
        f"<h1>{escape(title)}</h1>{body}</body></html>",
        status_code=status,
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )


def oauth_error_page(message: str) -> HTMLResponse:
    """The authorize endpoint's refusal; it never redirects to an unverified redirect_uri."""
    return _page(
        "Sign-in not possible",
        f"<p class='error' id='error'>{escape(message)}</p>"
        "<p>The application that sent you here is not set up correctly. No data was shared.</p>",
        400,
    )


def consent_page(params: Mapping[str, str], accounts: list[str], *, error: str = "", email: str = "") -> HTMLResponse:
    """Sign in with a sandbox account and allow or deny the application."""
    hidden = "".join(f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>" for k, v in params.items())
    listed = "".join(f"<li><code>{escape(a)}</code></li>" for a in accounts)
    problem = f"<p class='error' id='error' role='alert'>{escape(error)}</p>" if error else ""
    body = (
        f"<p><b>{escape(params.get('client_id', ''))}</b> wants to schedule and manage GoTo meetings for "
        f"your account.</p>{problem}<form method='post' action='/oauth/authorize'>{hidden}"
        f"<label for='email'>E-mail</label><input id='email' name='email' type='email' value='{escape(email)}' "
        "autocomplete='username' required>"
        "<label for='password'>Password</label><input id='password' name='password' type='password' "
        "autocomplete='current-password'>"
        "<div><button type='submit' name='decision' value='allow'>Allow</button>"
        "<button type='submit' name='decision' value='deny' formnovalidate>Deny</button></div>"
        # Only the sandbox has this: on real GoTo the account exists before anyone links it.
        "<section class='sandbox-only' aria-labelledby='sandbox-only'>"
        "<h2 id='sandbox-only'>Sandbox only: create this account</h2>"
        "<p>This is Room Desk's GoTo <b>sandbox</b>, not GoTo. A room whose GoTo account is new has no sandbox "
        "account yet: create it here with the e-mail above and the password you typed (left empty: "
        "<code>sandbox</code>), and allow access in one step. Real GoTo has no such button.</p>"
        "<button type='submit' name='decision' value='create'>Create sandbox account and allow</button>"
        "</section></form>"
        f"<details><summary>Sandbox accounts (password <code>sandbox</code> unless changed)</summary>"
        f"<ul>{listed}</ul></details>"
    )
    return _page("Sign in to GoTo", body, 401 if error else 200)


def developer_page(clients: Mapping[str, list[str]]) -> HTMLResponse:
    """Every OAuth client with its registered redirect URIs (read-only; changes go through the JSON API)."""
    sections = []
    for client_id, uris in clients.items():
        items = "".join(f"<li><code>{escape(u)}</code></li>" for u in uris) or "<li><i>none registered</i></li>"
        sections.append(f"<h2>Client <code>{escape(client_id)}</code></h2><p>Redirect URIs:</p><ul>{items}</ul>")
    return _page(
        "Developer center",
        "".join(sections) + "<p>Register a redirect URI with <code>POST "
        "/developer/clients/{client_id}/redirect-uris</code>, header <code>X-Sandbox-Admin</code> set to the "
        "client secret.</p>",
    )


def meeting_page(title: str, meeting_id: int, subject: str, note: str) -> HTMLResponse:
    """What a join or host URL shows in the sandbox."""
    return _page(title, f"<p>Meeting <b id='meeting-id'>{meeting_id}</b>: {escape(subject)}</p><p>{escape(note)}</p>")


def not_found_page() -> HTMLResponse:
    """An unknown join or host link."""
    return _page("Meeting not found", "<p>This meeting does not exist (any more).</p>", 404)

"""Where a browser lands: ``/`` by role, the login page when signed out, and back afterwards."""

from __future__ import annotations

import html as html_module
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor.db import MonitorSettings
from detente.monitor.models import AuthSession
from detente.web import create_app
from detente.web.landing import MAX_NEXT, local_target
from tests.monitor_support import PASSWORD, World

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

#: Where each role lands: who edits scenarios starts in the Workbench, a monitor and a liaison
#: in the Monitor (the role sets of detente.monitor.enums, written out here).
LANDING = {
    "admin": "/workbench/",
    "monitor": "/incidents",
    "analyst": "/workbench/",
    "liaison_red": "/incidents",
    "liaison_blue": "/incidents",
}
SITE = "http://testserver"
XSS = '/incidents?q="><script>alert(1)</script>'


def _client(db_url: str) -> TestClient:
    return TestClient(create_app(MonitorSettings(db_url=db_url, secret_key="k")))


def _form(html: str) -> dict[str, str]:
    """The login form's hidden fields, as a browser reads them."""
    found = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html)
    return {name: html_module.unescape(value) for name, value in found}


def _log_in(c: TestClient, login_page: str, who: str, password: str = PASSWORD) -> Any:
    hidden = _form(c.get(login_page).text)
    data = {**hidden, "username": who, "password": password}
    return c.post("/login", data=data, follow_redirects=False)


@SQLITE
@pytest.mark.parametrize("who", list(LANDING))
def test_each_role_lands_where_its_work_is(db_url: str, world: World, who: str) -> None:
    del world
    with _client(db_url) as c:
        r = _log_in(c, "/login", who)
        assert (r.status_code, r.headers["location"]) == (303, LANDING[who])
        r = c.get("/", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, LANDING[who])
        page = c.get("/")
        assert page.status_code == 200  # the landing page is one the role may see
        assert str(page.url) == SITE + LANDING[who]


@SQLITE
def test_signed_out_goes_to_the_login_page_and_comes_back(db_url: str, world: World) -> None:
    with _client(db_url) as c:
        # "/" itself: the login page, which then lands by role.
        assert c.get("/", follow_redirects=False).headers["location"] == "/login"
        # A page: the login page remembers it (path and query), and returns there.
        wanted = f"/incidents?agreement_id={world.agreement_id}&state=reported"
        r = c.get(wanted, follow_redirects=False)
        login = r.headers["location"]
        assert (r.status_code, login) == (303, "/login?" + urlencode({"next": wanted}))
        assert parse_qs(urlsplit(login).query) == {"next": [wanted]}
        assert _form(c.get(login).text)["next"] == wanted
        # A wrong password keeps it for the next try.
        wrong = _log_in(c, login, "analyst", "wrong password")
        assert wrong.status_code == 401
        assert _form(wrong.text)["next"] == wanted
        r = _log_in(c, login, "analyst")
        assert (r.status_code, r.headers["location"]) == (303, wanted)
        assert c.get(wanted).status_code == 200


@SQLITE
def test_an_ended_session_returns_to_the_page_after_login(
    db_url: str, world: World, factory: sessionmaker[Session]
) -> None:
    del world
    with _client(db_url) as c:
        _log_in(c, "/login", "monitor")
        with factory() as s, s.begin():
            s.execute(update(AuthSession).values(revoked_at=AuthSession.created_at))
        r = c.get("/workbench/scenarios/7/history", follow_redirects=False)
        assert r.headers["location"] == "/login?next=%2Fworkbench%2Fscenarios%2F7%2Fhistory"
        # A form sent with an ended session cannot be sent again: the plain login page.
        _log_in(c, "/login", "monitor")
        csrf = _form(c.get("/incidents").text)["csrf"]
        with factory() as s, s.begin():
            s.execute(update(AuthSession).values(revoked_at=AuthSession.created_at))
        r = c.post("/incidents/1/notes", data={"csrf": csrf, "body": "x"}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login")


@SQLITE
@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "incidents",
        "/" + "x" * MAX_NEXT,
    ],
)
def test_a_next_address_off_this_site_is_ignored(db_url: str, world: World, target: str) -> None:
    del world
    with _client(db_url) as c:
        login = "/login?" + urlencode({"next": target})
        assert "next" not in _form(c.get(login).text)
        data = {**_form(c.get("/login").text), "next": target}
        r = c.post("/login", data={**data, "username": "liaison_red", "password": PASSWORD})
        assert r.status_code == 200
        assert str(r.url) == SITE + "/incidents"  # the landing page, not the address given


@SQLITE
def test_the_next_address_is_escaped_in_the_form(db_url: str, world: World) -> None:
    del world
    with _client(db_url) as c:
        page = c.get("/login?" + urlencode({"next": XSS}))
        assert "<script>" not in page.text
        assert _form(page.text)["next"] == XSS


@given(st.text(alphabet=st.sampled_from('/\\:.@?#%&=a\t\n\x00 "<'), max_size=12))
def test_an_accepted_address_stays_on_this_site_however_a_browser_reads_it(text: str) -> None:
    target = local_target(text)
    if target is None:
        return
    # Browsers drop tabs and newlines and read a backslash as a slash (WHATWG URL).
    as_browser = target.replace("\t", "").replace("\n", "").replace("\\", "/")
    for read in (target, as_browser):
        assert urlsplit(urljoin("https://site.example/a/b", read)).netloc == "site.example"
    assert target == text
    assert target.startswith("/")

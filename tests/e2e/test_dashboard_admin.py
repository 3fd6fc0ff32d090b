"""Signing in with a password, what each role sees (desktop and phone), and the admin's settings editor.

Real parts throughout: accounts written by ``gcs.core.accounts`` into the program's data dir, the
real POST /api/auth/login, the real config store behind PUT /api/config/..., Debian's Chromium.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gcs.core.accounts import AccountStore
from gcs.core.config.fields import human_label
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Program,
    sign_in_password,
    wait_js,
    wait_live,
    wait_state,
)

pytestmark = pytest.mark.slow

PASSWORD = "kestrel-e2e-password"
MESSAGES = "document.getElementById('messages').textContent"
OPERATOR_ONLY = ("#abort", "#btn-arm", "#btn-takeoff", "#tracker-select", "#follow-toggle", "#rec-toggle")


@pytest.fixture(scope="module", autouse=True)
def accounts(program: Program) -> AccountStore:
    """Accounts in the program's data dir, as `gcs user add` makes them."""
    store = AccountStore()
    for name, role in (("vera", "viewer"), ("otto", "operator"), ("ada", "admin"), ("guess", "viewer")):
        store.add(name, PASSWORD, role)
    return store


def text(page: Any, selector: str) -> str:
    return str(page.locator(selector).inner_text())


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways on this screen: {width}"


def test_password_sign_in_shows_controls_by_role_on_a_phone(open_page: Any, program: Program) -> None:
    page = open_page(PHONE, phone=True)
    page.goto("/")
    assert page.locator("#password-form").is_visible()  # the password form comes first
    no_sideways_scroll(page)

    sign_in_password(page, "vera", "not her password")
    wait_js(page, "document.getElementById('login-error').textContent === 'wrong user name or password'")
    page.locator("#login-user").fill("vera")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard_login_phone.png"))
    assert page.locator("#login").is_visible() and not page.locator("#app").is_visible()
    assert page.locator("#login-password").input_value() == ""  # a refused password is not left in the form

    sign_in_password(page, "vera", PASSWORD)
    wait_live(page)
    assert text(page, "#role-badge").lower() == "viewer"
    assert "vera" in text(page, "#signed-in")
    for selector in (*OPERATOR_ONLY, "#settings-open", "#settings"):
        assert page.locator(selector).count() == 0, f"{selector} is on a viewer's page"
    no_sideways_scroll(page)

    page.locator("#logout-footer").click()  # the phone layout keeps Sign out in the footer
    page.wait_for_selector("#login:not([hidden])")
    assert page.evaluate("localStorage.getItem('kestrel.token')") is None

    sign_in_password(page, "otto", PASSWORD)
    wait_live(page)
    assert text(page, "#role-badge").lower() == "operator"
    for selector in OPERATOR_ONLY:
        assert page.locator(selector).count() == 1, f"{selector} missing for an operator"
    abort = page.locator("#abort").bounding_box()
    assert abort and abort["y"] + abort["height"] <= PHONE["height"] and abort["x"] + abort["width"] <= PHONE["width"]
    assert page.locator("#settings-open").count() == 0
    no_sideways_scroll(page)
    # The API refuses settings to an operator anyway, whatever the page shows.
    status = page.evaluate(
        """async () => (await fetch('/api/config/safety/max_speed_mps', {method: 'PUT',
            headers: {Authorization: 'Bearer ' + localStorage.getItem('kestrel.token'),
                      'Content-Type': 'application/json'}, body: JSON.stringify({value: 3})})).status"""
    )
    assert status == 403


def test_too_many_wrong_passwords_are_refused_and_the_page_says_when_to_retry(
    open_page: Any, program: Program
) -> None:
    page = open_page()
    for attempt in range(5):
        sign_in_password(page, "guess", f"wrong {attempt}")
        wait_js(page, "document.getElementById('login-error').textContent === 'wrong user name or password'")
        page.evaluate("document.getElementById('login-error').textContent = ''")
    sign_in_password(page, "guess", PASSWORD)  # the right one, too late: the guesser learns nothing
    wait_js(page, "/^Too many attempts: wait \\d+ s/.test(document.getElementById('login-error').textContent)")
    assert not page.locator("#app").is_visible()


def field_row(page: Any, key: str) -> Any:
    return page.locator(f".setting[data-key='{key}']")


def test_admin_edits_settings_sees_refusals_history_and_restores_a_backup(open_page: Any, program: Program) -> None:
    config = program.service.config
    fields = {f.key: f for f in config.fields()}
    page = open_page(DESKTOP)
    sign_in_password(page, "ada", PASSWORD)
    wait_live(page)
    assert text(page, "#role-badge").lower() == "admin"
    page.locator("#settings-open").click()
    page.wait_for_selector("#settings:not([hidden]) .setting")
    assert not page.locator("#app").is_visible()
    assert page.locator(".setting").count() == len(fields)  # one row per setting in the schema
    sections = page.locator("#settings-sections .tab").all_inner_texts()
    assert sections == [human_label(s) for s in dict.fromkeys(f.section for f in fields.values())]
    # named in words with the unit as the desktop editor names them, the key in the tooltip
    names = page.locator(".setting-name").evaluate_all("(els) => els.map((e) => [e.textContent, e.title])")
    assert names == [[f.label, f.key] for f in fields.values()]
    assert ["Max speed (m/s)", "safety.max_speed_mps"] in names

    # A valid change: saved through the API into the store, in the history with who did it.
    page.locator("#settings-sections .tab", has_text="safety").click()
    speed = field_row(page, "safety.max_speed_mps")
    assert speed.is_visible() and speed.locator(".apply").get_attribute("data-apply") == "live"
    old_speed = config.get("safety", "max_speed_mps")
    new_speed = 3.5 if old_speed != 3.5 else 4.0
    speed.locator("input").fill(str(new_speed))
    speed.locator("button", has_text="Save").click()
    wait_state(lambda: config.get("safety", "max_speed_mps") == new_speed, "the page's change in the config store")
    wait_js(page, "document.querySelector(\".setting[data-key='safety.max_speed_mps'] .setting-msg\")"
            f".textContent.startsWith('saved: {new_speed:g} ')")
    page.wait_for_selector("#settings-history li .h-key:text('safety.max_speed_mps')")
    first = page.locator("#settings-history li").first
    assert f"{old_speed:g} → {new_speed:g}" in first.inner_text() and "api:ada" in first.inner_text()

    # A choice, through its list.
    page.locator("#settings-sections .tab", has_text="tracking").click()
    tracker = field_row(page, "tracking.tracker")
    tracker.locator("select").select_option("KCF")
    tracker.locator("button", has_text="Save").click()
    wait_state(lambda: config.get("tracking", "tracker") == "KCF", "tracker chosen from the page")

    # A refused value: the message names the field and the bound; nothing changes.
    page.locator("#settings-filter").fill("setpoint_lifetime")
    lifetime = field_row(page, "safety.setpoint_lifetime_s")
    assert lifetime.is_visible() and page.locator(".setting:visible").count() == 1
    before = config.get("safety", "setpoint_lifetime_s")
    history_before = config.history()
    maximum = fields["safety.setpoint_lifetime_s"].maximum
    lifetime.locator("input").fill(str(maximum * 3))
    lifetime.locator("input").press("Enter")
    page.wait_for_selector(".setting[data-key='safety.setpoint_lifetime_s'][data-invalid]")
    message = lifetime.locator(".setting-msg").inner_text()
    assert "safety.setpoint_lifetime_s" in message and f"{maximum:g}" in message, message
    assert config.get("safety", "setpoint_lifetime_s") == before and config.history() == history_before
    assert text(page, "#action-result").startswith("SETTING safety.setpoint_lifetime_s refused")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#settings-filter").fill("")
    page.locator("#settings-sections .tab", has_text="safety").click()
    page.wait_for_timeout(200)
    page.screenshot(path=str(SCREENSHOTS / "dashboard_settings.png"))

    # Restore the backup made before the tracker change: the tracker goes back, the speed stays.
    newest = config.backups()[0]
    button = page.locator(f"#settings-backups button[data-backup='{newest.id}']")
    button.click()
    assert button.inner_text() == "Press again to restore" and config.get("tracking", "tracker") == "KCF"
    button.click()
    wait_state(lambda: config.get("tracking", "tracker") != "KCF", "the backup restored from the page")
    assert config.get("safety", "max_speed_mps") == new_speed
    wait_js(page, "document.getElementById('action-result').textContent.startsWith('RESTORE ')")
    assert "tracking.tracker" in text(page, "#action-result")
    restored = config.get("tracking", "tracker")
    wait_js(page, f"document.querySelector(\".setting[data-key='tracking.tracker'] select\").value === {restored!r}")

    page.locator("#settings-close").click()
    page.wait_for_selector("#app:not([hidden])")
    assert page.locator("#settings").is_hidden()


def test_settings_work_on_a_phone(open_page: Any, program: Program) -> None:
    page = open_page(PHONE, phone=True)
    sign_in_password(page, "ada", PASSWORD)
    wait_live(page)
    page.locator("#settings-open").click()
    page.wait_for_selector("#settings:not([hidden]) .setting")
    no_sideways_scroll(page)
    row = page.locator(".setting:visible").first
    box = row.locator("input, select, textarea").first.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.locator("#abort").is_visible()  # ABORT stays on screen in the settings too


def test_recording_status_shows_in_the_messages(open_page: Any, program: Program, tmp_path: Any) -> None:
    """A real video recording announces itself on the bus (``video.recording``), the API's telemetry
    feed pushes it as a ``video_recording`` status event, and the page shows it in its messages."""
    from gcs.core.video.recorder import TOPIC

    service = program.service
    seen: list[Any] = []
    page = open_page()
    sign_in_password(page, "otto", PASSWORD)
    wait_live(page)
    subscription = service.bus.subscribe(TOPIC, lambda _t, status: seen.append(status))
    try:
        service.start_video_recording(str(tmp_path / "flight.mp4"))
        try:
            page.wait_for_selector("#rec-state:not([hidden])")
            wait_js(page, f"{MESSAGES}.includes('video recording started: flight.mp4')")
            wait_state(lambda: service.video_recording_status().frames_written >= 10, "frames recorded")
        finally:
            finished = service.stop_video_recording()
        wait_js(page, f"{MESSAGES}.includes('video recording finished: flight.mp4 (')")
    finally:
        subscription.cancel()
    page.wait_for_selector("#rec-state", state="hidden")
    assert [s.recording for s in seen] == [True, False]
    line = page.locator("#messages li", has_text="video recording finished").first.inner_text()
    assert f"({finished.frames_written} frames" in line


def test_operator_records_the_video_from_the_page_and_a_viewer_sees_it(open_page: Any, program: Program) -> None:
    service = program.service
    operator = open_page()
    sign_in_password(operator, "otto", PASSWORD)
    wait_live(operator)
    viewer = open_page(PHONE, phone=True)
    sign_in_password(viewer, "vera", PASSWORD)
    wait_live(viewer)
    assert viewer.locator("#rec-toggle").count() == 0
    assert operator.locator("#rec-state").is_hidden()

    operator.locator("#rec-toggle").click()
    wait_state(lambda: (service.video_recording_status() or None) is not None
               and service.video_recording_status().recording, "recording started from the page")
    path = Path(service.video_recording_status().path)
    wait_js(operator, f"document.getElementById('action-result').textContent === 'RECORD: recording to {path.name}'")
    operator.wait_for_selector("#rec-toggle[aria-pressed='true']")
    for page in (operator, viewer):  # the viewer learns it too (it polls the status; events when the feed has them)
        page.wait_for_selector("#rec-state:not([hidden])")
        wait_js(page, f"{MESSAGES}.includes('video recording started: {path.name}')")
    wait_js(viewer, "/^● REC 0:0[2-9]/.test(document.getElementById('rec-state').textContent)")  # the clock runs

    operator.locator("#rec-toggle").click()
    wait_state(lambda: not service.video_recording_status().recording, "recording stopped from the page")
    final = service.video_recording_status()
    assert final.frames_written > 10 and final.error is None
    assert path.exists() and path.stat().st_size > 10_000  # a real MP4 on disk
    wait_js(operator, "document.getElementById('action-result').textContent.startsWith('STOP RECORDING: saved')")
    for page in (operator, viewer):
        page.wait_for_selector("#rec-state", state="hidden")
        wait_js(page, f"{MESSAGES}.includes('video recording finished: {path.name} (')")
        assert page.locator("#messages li", has_text=f"video recording started: {path.name}").count() == 1  # once

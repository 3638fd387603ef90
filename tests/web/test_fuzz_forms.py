"""Bad input, hypothesis-driven: every POST route against junk field values.

The routes come from the URL map, so a new POST route fails the test until it is listed in
ROUTES (with its fields) or in NO_FIELDS. Each route is posted by the person it is for (a
client with a plan, her therapist, or an anonymous visitor), with each field drawn from
realistic values and junk: numbers out of range, impossible dates, unknown time zones,
10,000 characters, control characters and NUL (PostgreSQL refuses NUL in text), HTML, and
sometimes the raw body with invalid UTF-8. The answer is never a 5xx: it is a success, or
a refusal that says why; and afterwards no stored text has control characters, no pain is
outside 0-10, no date is absurd and no text is longer than its column.
"""
import math
import secrets
from datetime import date, timedelta
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import CharField, DateField, DateTimeField, TextField

from tests.conftest import PASSWORD, Auth, csrf_token, make_user
from tests.images import transparent_png
from tracker.domain import builder, library
from tracker.store import accounts, invites, photos, plans, questionnaires, tokens
from tracker.store.db import database
from tracker.store.models import (
    ALL_MODELS,
    CareLink,
    CheckIn,
    PasswordReset,
    PlanTemplate,
    PushSubscription,
    SessionNote,
    Technique,
    utcnow,
)

# --- junk ------------------------------------------------------------------------------

JUNK = [
    "", " ", "-1", "11", "1e308", "-1e308", "NaN", "nan", "inf", "-0", "0x10", "3.5",
    "99999999999999999999999", "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01",
    "1-1-1", "24:00", "25:99", "08:00:00.5", "Mars/Olympus", "../../etc/passwd",
    "Europe/London\x00", "\x00", "a\x00b", "\x1b[31mred", "tab\there", "bell\x07", "\x7f",
    "\u0085next line", "\u202eright-to-left", "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>', "{{ 7*7 }}", "'; DROP TABLE user; --", "x" * 10_000,
    "é" * 3000, "🙂" * 300,
]
# Bytes that are not UTF-8: a lone surrogate, a stray continuation byte, a cut sequence.
BAD_BYTES = [b"\xed\xa0\x80", b"\xff\xfe", b"\x80abc", b"caf\xc3", b"\xc0\xaf"]

TEXT = st.one_of(st.sampled_from(JUNK), st.text(st.characters(exclude_categories=["Cs"]),
                                                max_size=40))


def _kinds(today: date) -> dict:
    """Field kind -> realistic values (junk is added to every kind)."""
    return {
        "text": ["Gentle week", "Left leg, after the walk"],
        "pain": [str(n) for n in range(11)],
        "date": [today.isoformat(), (today + timedelta(days=1)).isoformat()],
        "time": ["08:00", "21:30"],
        "tz": ["Europe/London", "America/New_York"],
        "bool": ["y"],
        "int": ["30", "3", "1"],
        "email": ["new.person@example.org"],
        "password": [PASSWORD, "a longer new password"],
        # A's first session (the plan starts on this Monday)
        "session": [f"massage@{(today - timedelta(days=today.weekday())).isoformat()}"],
    }


# --- the routes ----------------------------------------------------------------------

A, T, ANON = "client A", "therapist T", "anonymous"

# endpoint -> (who posts, URL values, {field: kind or list of realistic values})
ROUTES = {
    "auth.login": (ANON, {}, {"email": "email", "password": "password"}),
    "auth.register": (ANON, {}, {"email": "email", "name": "text", "password": "password",
                                 "timezone": "tz", "role": ["client", "therapist"]}),
    "auth.change_password": (A, {}, {"current": "password", "new": "password",
                                     "confirm": "password"}),
    "auth.forgot_password": (ANON, {}, {"email": "email"}),
    "auth.reset_password": (ANON, {"token": "{reset_token}"}, {"new": "password"}),
    "settings.account": (A, {}, {"name": "text", "email": "email", "timezone": "tz",
                                 "password": "password"}),
    "clients.join": (ANON, {"token": "{invite_token}"},
                     {"email": "email", "name": "text", "password": "password", "timezone": "tz"}),
    "clients.invite": (T, {}, {"note": "text", "email": "email",
                               "send_email": ["Send invite by email"]}),
    "notes.new": (T, {"client_id": "{a}"}, {"session": "session", "done": "text",
                                            "areas": "text", "response": "text",
                                            "pressure": ["", "light", "deep", "hard"],
                                            "shared": "bool"}),
    "notes.edit": (T, {"client_id": "{a}", "note_id": "{note}"},
                   {"done": "text", "areas": "text", "response": "text",
                    "pressure": ["", "firm"], "shared": "bool"}),
    "checkin.form": (A, {}, {"back_pain": "pain", "leg_pain": "pain", "numbness": "bool",
                             "weakness": "bool", "soreness": "bool", "note": "text",
                             "anything_new": ["yes", "no", "maybe"],
                             "contraindications": ["swelling", "open_wound", "bruise"],
                             "areas": ["thighs", "elbow"], "day": "date", "op_id": "text"}),
    "checkin.safety": (A, {}, {**{flag["key"]: ["yes", "no"] for flag in library.RED_FLAGS},
                               "problems": ["swelling", "bruise"], "areas": ["lower_back", "x"],
                               "note": "text"}),
    "checkin.resume": (A, {}, {"confirm": "bool"}),
    "plans.start": (A, {}, {"template": [t["slug"] for t in library.TEMPLATES],
                            "start": "date", "replace": "bool"}),
    "plans.suggestion": (A, {}, {"decision": ["accept", "decline"]}),
    "today.check": (A, {"day_text": "{today}", "item_key": "piriformis"},
                    {"done": ["0", "1"], "op_id": "text"}),
    "today.skip": (A, {"day_text": "{today}", "item_key": "piriformis"},
                   {"reason": ["flare_up", "no_time"], "op_id": "text"}),
    "today.book": (A, {"day_text": "{today}", "item_key": "massage"},
                   {"day": "date", "at": "time"}),
    "reminders.settings": (A, {}, {"selfcare_time": "time", "second_time": "time",
                                   "session_day_before": "bool",
                                   "session_day_before_time": "time", "quiet_start": "time",
                                   "quiet_end": "time", "email": "bool"}),
    "settings.delete_account": (A, {}, {"password": "password", "confirm": "bool"}),
    "alerts.settings": (T, {}, {"warning": ["email", "push", "both", "none"],
                                "area": ["email", "push", "both", "none"],
                                "flare_up": ["email", "none"], "step_down": ["both", "none"],
                                "inactive": ["push", "none"], "inactive_days": "int",
                                "digest_time": "time"}),
    "library.new": (T, {}, {"name": "text", "kind": ["stretch", "heat_cold"],
                            "body_area": "text", "summary": "text", "instructions": "text",
                            "hold_seconds": "int", "repetitions": "int", "sets": "int",
                            "minutes": "int", "per_side": "bool", "cautions": "text"}),
    "client_page.pause": (T, {"client_id": "{a}"}, {"pause-day": "date", "pause-reason": "text"}),
    "client_page.resume": (T, {"client_id": "{a}"}, {"resume-day": "date"}),
    "client_page.step": (T, {"client_id": "{a}"}, {"step-day": "date", "step-to_phase":
                                                   ["0", "1", "2"], "step-reason": "text"}),
    "client_page.suggestion": (T, {"client_id": "{a}"}, {"decision": ["accept", "decline"]}),
    "client_page.safety_resume": (T, {"client_id": "{a}"}, {"safety-confirm": "bool"}),
    "push.subscribe": (A, {}, {"endpoint": "text"}),
    "push.unsubscribe": (A, {}, {"endpoint": "text"}),
    "messages.thread": (A, {"therapist_id": "{t}"}, {"body": "text"}),
    "messages.client_thread": (T, {"client_id": "{a}"}, {"body": "text"}),
    "questionnaires.answer": (A, {"instrument_id": "psfs"}, {
        "name_activity_1": "text", "activity_1": "pain", "name_activity_2": "text",
        "activity_2": "pain", "save": ["draft", "complete"], "day": "date", "op_id": "text"}),
    "questionnaires.assign": (T, {"client_id": "{a}"}, {
        "questionnaire-instrument": ["psfs", "groc"], "questionnaire-at_start": "bool",
        "questionnaire-every_weeks": "int", "questionnaire-at_phase_change": "bool"}),
}
ROUTES["library.edit"] = (T, {"technique_id": "{technique}"}, ROUTES["library.new"][2])
# The photo's file itself is tested in tests/web/test_photo_views.py; here its words.
ROUTES["library.photos"] = (T, {"technique_id": "{technique}"}, {"alt": "text",
                                                                 "caption": "text"})

# Routes that read no form fields: junk fields must still not hurt them.
NO_FIELDS = {
    "auth.logout": (A, {}),
    "plans.finish": (A, {}),
    "checkin.checked": (A, {}),
    "builder.delete_template": (T, {"template_id": "{template}"}),
    "calendar.new_link": (A, {}),
    "calendar.delete_link": (A, {}),
    "clients.accept": (A, {"token": "{invite_token}"}),
    "clients.archive": (T, {"client_id": "{a}"}),
    "clients.restore": (T, {"client_id": "{a}"}),
    "clients.cancel_invite": (T, {"invite_id": "{invite}"}),
    "library.copy": (T, {"technique_id": "{technique}"}),
    "library.delete": (T, {"technique_id": "{technique}"}),
    "library.delete_photo": (T, {"technique_id": "{technique}", "photo_id": "{photo}"}),
    "notes.delete": (T, {"client_id": "{a}", "note_id": "{note}"}),
    "push.delete": (A, {"sub_id": "{subscription}"}),
    "push.done": (ANON, {"token": "not-a-real-token"}),
    "reminders.unsubscribe": (ANON, {"token": "{unsubscribe_token}"}),
    "settings.end_link": (A, {"link_id": "{link}"}),
    "settings.export": (A, {}),
    "settings.sign_out_device": (A, {"session_id": "1"}),
    "settings.sign_out_everywhere": (A, {}),
    "questionnaires.unassign": (T, {"client_id": "{a}", "instrument_id": "psfs"}),
}
# The builder's fields are many and numbered: fuzzed separately from a real draft.
BUILDER = {"builder.update"}

MAX_EXAMPLES = 15
MANY_FIELDS_EXAMPLES = 25  # forms with many fields that store text


# --- the world ------------------------------------------------------------------------


def _world(app) -> dict:
    """A client A with a plan and a check-in, her therapist T with his own things."""
    with database.connection_context():
        plans.seed_library()
        a = make_user("a@example.org", "Ann Client")
        t = make_user("t@example.org", "Theo Therapist", "therapist")
        link = CareLink.create(therapist=t, client=a)
        today = plans.local_today(a)
        plan = plans.assign(a, library.template("acute-therapist-led")["spec"],
                            plans.monday_of(today), therapist=t, title="Ann's plan")
        questionnaires.assign(plan, "psfs")
        CheckIn.create(client=a, day=today - timedelta(days=1), back_pain=2, leg_pain=5)
        technique = Technique.create(slug="theos-own-abc123", name="Theo's own stretch",
                                     kind="stretch", owner=t, instructions=["Hold it."])
        photo = photos.add(technique, transparent_png((40, 40)), "Theo's photo")
        template = PlanTemplate.create(owner=t, name="Theo's taper",
                                       spec=library.template("maintenance")["spec"])
        invite, invite_token = invites.create(t, "for someone")
        subscription = PushSubscription.create(user=a, endpoint="https://fcm.googleapis.com/x",
                                               p256dh="k" * 87, auth="a" * 22)
        with app.app_context():
            unsubscribe = tokens.unsubscribe_token(a)
        note = SessionNote.create(plan=plan, client=a, therapist=t, item_key="massage",
                                  session_day=plans.monday_of(today), done="First session")
        reset_token = secrets.token_urlsafe(32)
        PasswordReset.create(user=a, token_hash=accounts.hash_token(reset_token),
                             expires_at=utcnow() + accounts.RESET_VALID_FOR)
    return {"a": a.id, "t": t.id, "plan": plan.id, "technique": technique.id,
            "photo": photo.id, "template": template.id, "invite": invite.id,
            "invite_token": invite_token, "link": link.id,
            "subscription": subscription.id, "today": today.isoformat(),
            "unsubscribe_token": unsubscribe, "today_date": today, "reset_token": reset_token,
            "note": note.id}


def _client_for(app, who: str):
    """A test client logged in as ``who``, and its CSRF token."""
    client = app.test_client()
    if who == ANON:
        return client, csrf_token(client)
    email = "a@example.org" if who == A else "t@example.org"
    assert Auth(client).login(email).status_code == 302
    return client, csrf_token(client, "/library")


def _url(app, endpoint: str, args: dict, world: dict) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for(endpoint, **{k: v.format(**world) for k, v in args.items()})


# --- posting ------------------------------------------------------------------------


def _encode(fields: list[tuple[str, bytes]]) -> bytes:
    return b"&".join(quote_from_bytes(k.encode()).encode() + b"=" + quote_from_bytes(v).encode()
                     for k, v in fields)


def _post(client, url: str, fields: list[tuple[str, str | bytes]], token: str, raw: bool):
    headers = {"X-CSRFToken": token}
    if raw or any(isinstance(v, bytes) for _, v in fields):
        body = _encode([(k, v if isinstance(v, bytes) else v.encode("utf-8", "surrogatepass"))
                        for k, v in fields])
        return client.post(url, data=body, headers={
            **headers, "Content-Type": "application/x-www-form-urlencoded"},
            environ_overrides={"QUERY_STRING": "q=%ff%ed%a0%80&r=\xff"})
    data: dict[str, list[str]] = {}
    for k, v in fields:
        data.setdefault(k, []).append(v)
    return client.post(url, data=data, headers=headers)


def _says_why(response) -> bool:
    """A refusal that tells the person what to fix (a form's error, or the error page)."""
    body = response.get_data(as_text=True)
    if response.is_json:
        return bool(response.get_json().get("error"))
    signs = ('class="error', 'id="error-summary"', "flash-error", "<h1>Bad Request</h1>",
             "<h1>Form expired</h1>")
    return any(sign in body for sign in signs)


def _check_answer(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if response.status_code < 400:
        return
    refusals = (400, 403, 404, 410, 422, 429)
    assert response.status_code in refusals, f"{where}: {response.status_code}"
    if response.status_code in (400, 422):
        assert _says_why(response), f"{where}: a {response.status_code} that says nothing"


def _value(kind, kinds) -> st.SearchStrategy:
    realistic = kinds[kind] if isinstance(kind, str) else kind
    return st.one_of(st.sampled_from(realistic), TEXT, st.sampled_from(BAD_BYTES))


def _run(examples: int, test) -> None:
    settings(max_examples=examples, deadline=None, database=None,
             suppress_health_check=list(HealthCheck))(given(data=st.data())(test))()


# --- the tests ------------------------------------------------------------------------


def _post_routes(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def test_every_post_route_is_fuzzed(app):
    listed = ROUTES.keys() | NO_FIELDS.keys() | BUILDER
    assert _post_routes(app) - listed == set(), "add the new POST routes to ROUTES or NO_FIELDS"
    assert listed - _post_routes(app) == set(), "remove routes that no longer take a POST"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_junk_in_form_fields(app, endpoint):
    world = _world(app)
    who, args, fields = ROUTES[endpoint]
    client, token = _client_for(app, who)
    url = _url(app, endpoint, args, world)
    kinds = _kinds(world["today_date"])
    examples = MANY_FIELDS_EXAMPLES if len(fields) >= 4 else MAX_EXAMPLES

    def post_junk(data):
        chosen = data.draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, unique=True))
        posted = [(name, data.draw(_value(fields[name], kinds))) for name in chosen]
        raw = data.draw(st.sampled_from([False, False, False, True]))
        response = _post(client, url, posted, token, raw)
        _check_answer(response, f"POST {url} {posted!r:.300}")

    _run(examples, post_junk)
    _assert_nothing_stored_is_garbage()


# The edges of each kind of field, each tried once in each field (not left to chance).
EDGES = {
    "text": ["a\x00b", "x" * 10_000, "\x85"],
    "pain": ["-1", "11", "1e308", "NaN"],
    "int": ["-1", "1e308", "NaN"],
    "date": ["0001-01-01", "9999-12-31", "2026-02-30"],
    "time": ["24:00", "\x00"],
    "tz": ["Mars/Olympus", "UTC\x00"],
}
OTHER_EDGES = ["a\x00b", "x" * 10_000]


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_edge_values_in_each_field(app, endpoint):
    """NUL, too long, out of range, impossible dates: once in each field, the others fine."""
    world = _world(app)
    who, args, fields = ROUTES[endpoint]
    client, token = _client_for(app, who)
    url = _url(app, endpoint, args, world)
    kinds = _kinds(world["today_date"])
    realistic = {name: (kinds[kind] if isinstance(kind, str) else kind)[0]
                 for name, kind in fields.items()}
    for name, kind in fields.items():
        for edge in EDGES.get(kind, OTHER_EDGES) if isinstance(kind, str) else OTHER_EDGES:
            posted = [(k, edge if k == name else v) for k, v in realistic.items()]
            _check_answer(_post(client, url, posted, token, raw=False),
                          f"POST {url} {name}={edge!r:.40}")
    _assert_nothing_stored_is_garbage()


@pytest.mark.parametrize("endpoint", sorted(NO_FIELDS))
def test_junk_where_no_fields_are_read(app, endpoint):
    world = _world(app)
    who, args = NO_FIELDS[endpoint]
    client, token = _client_for(app, who)
    url = _url(app, endpoint, args, world)

    def post_junk(data):
        posted = data.draw(st.lists(st.tuples(st.sampled_from(["x", "name", "note", "\x00"]),
                                              st.one_of(TEXT, st.sampled_from(BAD_BYTES))),
                                    max_size=3))
        _check_answer(_post(client, url, posted, token, raw=True), f"POST {url} {posted!r:.300}")

    _run(2, post_junk)
    _assert_nothing_stored_is_garbage()


def test_junk_in_the_plan_builder(app):
    world = _world(app)
    client, token = _client_for(app, T)
    url = _url(app, "builder.update", {}, world)
    base = builder.form_fields(builder.draft_from_spec(
        library.template("acute-therapist-led")["spec"]))
    base |= {"title": ["Ann's new plan"], "client": [str(world["a"])],
             "start": [world["today"]], "template_name": ["Mine"],
             "template_description": ["For slow starters"], "source": [""]}
    names = sorted(base)
    actions = ["preview", "assign", "save-template", "add-phase", "refresh", "remove-phase-0",
               "add-item-0", "\x00", "x" * 10_000]

    def post_junk(data):
        junked = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=6, unique=True))
        fields = [(k, v) for k, values in base.items() if k not in junked for v in values]
        fields += [(k, data.draw(st.one_of(TEXT, st.sampled_from(BAD_BYTES)))) for k in junked]
        fields.append(("action", data.draw(st.sampled_from(actions))))
        raw = data.draw(st.sampled_from([False, False, True]))
        _check_answer(_post(client, url, fields, token, raw), f"POST {url} {junked}")

    _run(MANY_FIELDS_EXAMPLES, post_junk)
    _assert_nothing_stored_is_garbage()


JUNK_QUERY = ("?q=%00%ff&day=%ed%a0%80&template=%00&client=%ff&field=phases-0-items-0"
              "&phases-0-items-0-search=%00&phases-0-items-0-technique=%00&next=%ff%00")


@pytest.mark.parametrize("who", [A, T])
def test_junk_in_query_strings_and_paths(app, who):
    """Every GET route, with junk (NUL, invalid UTF-8) in its query string and text parts."""
    world = _world(app)
    client, _ = _client_for(app, who)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if any(conv.__class__.__name__ == "IntegerConverter"
               for conv in rule._converters.values()):
            path = _url(app, rule.endpoint, {k: "{a}" for k in rule.arguments}, world)
        else:
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<{name}>", "%ff%00%ed%a0%80")
        response = client.get(path + JUNK_QUERY)
        _check_answer(response, f"GET {path} as {who}")
        # raw bytes that aren't UTF-8, not percent-escaped (a WSGI server passes them on)
        response = client.get(path, environ_overrides={"QUERY_STRING": "q=\xff\xed\xa0\x80"})
        _check_answer(response, f"GET {path}?q=<raw \\xff> as {who}")


# --- HTML comes back escaped --------------------------------------------------------

SCRIPT = "<script>alert('x')</script>"


@pytest.mark.parametrize("who, endpoint, fields, status, shown_on", [
    (A, "checkin.form", {"back_pain": "2", "leg_pain": "3", "anything_new": "no",
                         "note": SCRIPT}, 302, "/checkin"),
    (A, "checkin.safety", {**{flag["key"]: "no" for flag in library.RED_FLAGS},
                           "problems": "swelling", "note": SCRIPT}, 302, "/checkin/paused"),
    (T, "clients.invite", {"note": SCRIPT}, 200, "/clients/invite"),  # the link, on the page
    (T, "library.new", {"name": SCRIPT, "kind": "stretch", "summary": SCRIPT,
                        "instructions": SCRIPT}, 302, "/library"),
    (ANON, "auth.register", {"email": "new@example.org", "name": SCRIPT,
                             "password": PASSWORD, "timezone": "UTC", "role": "client"},
     302, "/home"),
])
def test_html_comes_back_escaped(app, who, endpoint, fields, status, shown_on):
    world = _world(app)
    client, token = _client_for(app, who)
    url = _url(app, endpoint, ROUTES[endpoint][1], world)
    response = client.post(url, data=fields, headers={"X-CSRFToken": token})
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    body = client.get(shown_on, follow_redirects=True).get_data(as_text=True)
    assert SCRIPT not in body
    assert "&lt;script&gt;" in body


# --- nothing stored is garbage ------------------------------------------------------

TEXT_OK = "\n\r\t"
SANE_DATES = (date(1970, 1, 1), date(2200, 1, 1))


def _bad_text(text: str) -> bool:
    return any((ord(ch) < 32 and ch not in TEXT_OK) or ord(ch) == 127 for ch in text)


def _strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings_in(k)
            yield from _strings_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings_in(v)


def _numbers_in(value):
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _numbers_in(v)


def _assert_nothing_stored_is_garbage() -> None:
    problems = []
    with database.connection_context():
        for model in ALL_MODELS:
            for row in model.select().dicts():
                for name, field in model._meta.fields.items():
                    value = row[name]
                    where = f"{model.__name__}.{name} = {value!r:.80}"
                    if value is None:
                        continue
                    if isinstance(field, CharField | TextField) and isinstance(value, str):
                        if _bad_text(value):
                            problems.append(f"control character in {where}")
                        if isinstance(field, CharField) and len(value) > field.max_length:
                            problems.append(f"longer than {field.max_length}: {where}")
                    elif isinstance(field, DateField | DateTimeField):
                        day = value if type(value) is date else value.date()
                        if not SANE_DATES[0] <= day <= SANE_DATES[1]:
                            problems.append(f"absurd date in {where}")
                    elif isinstance(value, dict | list):  # JSON
                        if any(_bad_text(s) for s in _strings_in(value)):
                            problems.append(f"control character in {where}")
                        if any(not math.isfinite(n) for n in _numbers_in(value)):
                            problems.append(f"not a finite number in {where}")
            if model is CheckIn:
                for checkin in CheckIn.select():
                    for pain in (checkin.back_pain, checkin.leg_pain):
                        if pain is not None and not 0 <= pain <= 10:
                            problems.append(f"pain {pain} in check-in {checkin.id}")
    assert problems == []


# --- JSON bodies: nested too deeply, too large, or sent to a form ---------------------

NESTED = "[" * 1000  # the parser recurses per level: a RecursionError once gave a 500
NESTED_OBJECT = '{"a":' * 1000
OVERSIZED = '{"endpoint": "' + "x" * (1024 * 1024) + '"}'  # over MAX_CONTENT_LENGTH (1 MB)
JSON_ROUTES = {"push.subscribe", "push.unsubscribe"}  # tracker.web.security.JSON_ENDPOINTS
# Routes taking more than MAX_CONTENT_LENGTH (tracker.web.security.UPLOAD_LIMITS: a photo,
# up to 10 MB): OVERSIZED is within their limit, so it is refused for not being a form.
UPLOAD_ROUTES = {"library.photos"}
REFUSAL_WORDS = {
    400: "error",  # the JSON routes' {"error": ...}
    422: "error",
    413: "too much data to send at once",
    415: "This address takes a form, and what was sent was not one.",
}


def _every_post_route() -> dict:
    """endpoint -> (who posts, URL values), for every POST route."""
    routes = {endpoint: (who, args) for endpoint, (who, args, _) in ROUTES.items()}
    return {**routes, **NO_FIELDS, "builder.update": (T, {})}


@pytest.mark.parametrize("endpoint", sorted(_every_post_route()))
def test_json_bodies_are_refused_never_a_500(app, endpoint):
    """Nested, oversized and plain JSON (with the CSRF header) to every POST route, by the
    person it is for and anonymously: a form route refuses any JSON (415, before reading
    it); a JSON route answers 400 for nesting too deep and 413 for too much."""
    world = _world(app)
    who, args = _every_post_route()[endpoint]
    url = _url(app, endpoint, args, world)
    for person in {who, ANON}:
        client, token = _client_for(app, person)
        for body in (NESTED, NESTED_OBJECT, OVERSIZED, '{"email": "a@example.org"}'):
            response = client.post(url, data=body, content_type="application/json",
                                   headers={"X-CSRFToken": token})
            where = f"POST {url} as {person}: {body[:12]}… ({len(body)} bytes)"
            if body is OVERSIZED and endpoint not in UPLOAD_ROUTES:
                expected = 413  # refused before anything reads it
            elif endpoint not in JSON_ROUTES:
                expected = 415
            elif person == ANON:
                expected = 302  # to the login page, body unread
            elif body.startswith(("[", '{"a"')):
                expected = 400
            else:
                expected = 422 if endpoint == "push.subscribe" else 400  # not a subscription
            assert response.status_code == expected, where
            if expected in REFUSAL_WORDS:
                assert REFUSAL_WORDS[expected] in response.get_data(as_text=True), where
    _assert_nothing_stored_is_garbage()

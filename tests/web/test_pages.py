from flask import Flask, render_template_string

from tracker.web.pages import render, wants_fragment


def _app(tmp_path):
    app = Flask(__name__, template_folder=str(tmp_path))
    (tmp_path / "page.html").write_text("PAGE {% include 'frag.html' %}")
    (tmp_path / "frag.html").write_text("<div id=f>FRAG</div>")
    from htmx_flask import Htmx

    Htmx(app)
    return app


def test_full_page_for_plain_boosted_and_history_restore(tmp_path):
    app = _app(tmp_path)
    for headers in (
        {},
        {"HX-Request": "true", "HX-Boosted": "true"},
        {"HX-Request": "true", "HX-History-Restore-Request": "true"},
    ):
        with app.test_request_context(headers=headers):
            assert not wants_fragment()
            response = render("page.html", "frag.html")
            assert response.get_data(as_text=True).startswith("PAGE")
            assert "HX-Request" in response.headers["Vary"]


def test_fragment_only_for_an_htmx_swap(tmp_path):
    app = _app(tmp_path)
    with app.test_request_context(headers={"HX-Request": "true"}):
        assert wants_fragment()
        assert render("page.html", "frag.html").get_data(as_text=True) == "<div id=f>FRAG</div>"
        assert render_template_string("x") == "x"

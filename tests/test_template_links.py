"""The template helpers that build a page's links and form options once: the same output as the long way."""

from flask import Flask, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.templating import select_options, static_url, with_query

QUERY_ARGS = st.dictionaries(
    st.sampled_from(["q", "category", "state", "near", "sort", "after"]),
    st.text(min_size=1, max_size=30),
    max_size=4,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=QUERY_ARGS)
def test_a_link_with_a_query_is_the_link_url_for_builds(app: Flask, args):
    with app.test_request_context("/"):
        assert with_query(url_for("marketplace.listings"), args) == url_for("marketplace.listings", **args)


def test_static_urls_follow_the_mount_point(app: Flask):
    for script_root in ("", "/shop"):
        with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
            for filename in ("css/app.css", "js/browse.js"):
                assert static_url(filename) == url_for("static", filename=filename)
                assert static_url(filename).startswith(f"{script_root}/static/")


def test_select_options_escape_their_text_and_mark_only_the_choice():
    options = {"a&b": "<script>alert(1)</script>", "tx": "Texas", "ok": 'say "hi"'}
    html = str(select_options(options, "tx"))
    assert "<script>" not in html
    assert '<option value="a&amp;b">&lt;script&gt;alert(1)&lt;/script&gt;</option>' in html
    assert '<option value="tx" selected>Texas</option>' in html
    assert html.count("selected") == 1
    assert "say &#34;hi&#34;" in html
    assert "selected" not in str(select_options(options, None))
    assert "selected" not in str(select_options(options, "<unknown>"))

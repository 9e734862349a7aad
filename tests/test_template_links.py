"""The template helpers that build a page's links and form options once: the same output as the long way."""

from flask import Flask, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.templating import nav_link, page_url, query_links, select_options, static_url, with_query

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


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    args=QUERY_ARGS,
    key=st.sampled_from(["category", "q", "state"]),
    values=st.lists(st.text(max_size=30), min_size=1, max_size=4),
)
def test_links_that_differ_in_one_value_are_the_links_url_for_builds(app: Flask, args, key, values):
    with app.test_request_context("/"):
        path = url_for("marketplace.listings")
        link = query_links(path, args, key)
        for value in values:
            expected = {**args, key: value} if value else {name: v for name, v in args.items() if name != key}
            assert link(value) == with_query(path, expected) == url_for("marketplace.listings", **expected)


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


def test_a_navigation_link_marks_the_page_being_shown_and_escapes_its_text(app: Flask):
    with app.test_request_context("/listings"):
        app.preprocess_request()
        shown = str(nav_link("marketplace.listings", "Browse <all>"))
        other = str(nav_link("marketplace.login", "Sign in"))
        with_values = str(nav_link("marketplace.listing", "A & B", listing_id=5))
        assert (
            shown == f'<a href="{url_for("marketplace.listings")}" aria-current="page">Browse &lt;all&gt;</a>'
        )
        assert other == f'<a href="{url_for("marketplace.login")}">Sign in</a>'
        assert with_values == f'<a href="{url_for("marketplace.listing", listing_id=5)}">A &amp; B</a>'


def test_page_urls_are_url_for_under_any_mount_point(app: Flask):
    # page_url skips url_for's url_defaults functions: it is only right while the app registers none.
    assert not any(app.url_default_functions.values())
    argless = [rule.endpoint for rule in app.url_map.iter_rules() if not rule.arguments]
    assert "marketplace.listings" in argless and "favicon" in argless
    for script_root in ("", "/shop"):
        with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
            for endpoint in argless:
                assert page_url(endpoint) == url_for(endpoint), endpoint
            assert page_url("marketplace.listings") == f"{script_root}/listings"

"""The template helpers that build a page's links and form options once: the same output as the long way."""

import html
from html.parser import HTMLParser

from flask import Flask, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from app.templating import (
    KEPT_PER_STORE,
    escape_text,
    kept_per_app,
    nav_link,
    page_url,
    query_links,
    select_field,
    select_options,
    static_url,
    with_query,
)
from marketplace.browse.tabs import CategoryTab, tab_list

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


# ---- escape_text: html.escape, looking before replacing ---------------------------------------------------------

SPECIAL = "&<>\"'"


@settings(max_examples=300)
@given(text=st.text(alphabet=st.one_of(st.sampled_from(SPECIAL), st.characters()), max_size=40))
def test_escaping_text_gives_what_html_escape_gives(text: str):
    assert escape_text(text) == html.escape(text)


def test_each_special_character_is_escaped_alone_and_among_others():
    for char in SPECIAL:
        for text in (char, f"a{char}", f"{char}b", f"x{char}y{char}z"):
            assert escape_text(text) == html.escape(text), text
    assert escape_text(SPECIAL) == "&amp;&lt;&gt;&quot;&#x27;"


@settings(max_examples=300)
@given(text=st.text(alphabet=st.characters(exclude_characters=SPECIAL), max_size=40))
def test_text_with_nothing_to_escape_comes_back_as_the_same_object(text: str):
    assert escape_text(text) is text


# ---- select_field: the browser's labelled selects, as the template's macro wrote them ---------------------------

# The macro browse.html used before select_field (commit 4ccc9e0), in an autoescaping block as the page was.
OLD_CHOICE_MACRO = """{% autoescape true %}{% macro choice(name, label, options, selected, blank) %}
  <div class="field">
    <label for="{{ name }}">{{ label }}</label>
    <select id="{{ name }}" name="{{ name }}">
      <option value="">{{ blank }}</option>
      {{ select_options(options, selected) }}
    </select>
  </div>
{% endmacro %}{{ choice(name, label, options, selected, blank) }}{% endautoescape %}"""

# And the category tabs' loop of _results.html before tab_list.
OLD_TABS_LOOP = """{% autoescape true %}{% if tabs %}
  <ul class="tabs facets" aria-label="Categories">
    {% for tab in tabs %}
      <li><a href="{{ tab.href }}"{% if tab.current %} aria-current="page"{% endif %}>{{ tab.label }} ({{ tab.count }})</a></li>
    {% endfor %}
  </ul>
{% endif %}{% endautoescape %}"""


class _Events(HTMLParser):
    """A fragment as the browser reads it: tags with their attributes and text with its references resolved, so
    two spellings of one escape (&#34; and &quot;) and the whitespace between tags compare equal."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, tuple(attrs)))

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.events.append(("text", data.strip()))


def _as_read(fragment: str) -> list[tuple]:
    parser = _Events()
    parser.feed(fragment)
    parser.close()
    return parser.events


OPTIONS = st.dictionaries(st.text(max_size=12), st.text(max_size=20), max_size=5)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(max_size=12),
    label=st.text(max_size=20),
    options=OPTIONS,
    blank=st.text(max_size=20),
    data=st.data(),
)
def test_a_select_field_is_what_the_templates_macro_wrote(app: Flask, name, label, options, blank, data):
    selected = data.draw(st.one_of(st.none(), st.sampled_from([*options, "not-an-option"])))
    old = app.jinja_env.from_string(OLD_CHOICE_MACRO).render(
        name=name, label=label, options=options, selected=selected, blank=blank
    )
    new = str(select_field(name, label, options, selected, blank))
    assert _as_read(new) == _as_read(old)
    assert " ".join(new.split()) == " ".join(old.split())


def test_a_select_field_has_its_label_the_blank_choice_first_and_the_chosen_one_marked():
    html_ = str(
        select_field("state", "State <b>", {"TX": "Texas", "OR": "Oregon & co"}, "OR", 'All "states"')
    )
    assert html_ == (
        '<div class="field">\n<label for="state">State &lt;b&gt;</label>\n'
        '<select id="state" name="state">\n<option value="">All &#34;states&#34;</option>\n'
        '<option value="TX">Texas</option><option value="OR" selected>Oregon &amp; co</option>\n'
        "</select>\n</div>"
    )
    assert "selected" not in str(select_field("state", "State", {"TX": "Texas"}, None, "All states"))


def test_a_select_fields_hostile_name_and_label_are_escaped():
    html_ = str(select_field('x" onfocus="alert(1)', "<script>alert(2)</script>", {"'": "<i>"}, "'", "<b>"))
    assert "<script>" not in html_ and "<i>" not in html_ and "<b>" not in html_
    assert 'onfocus="alert(1)"' not in html_
    assert [event for event in _as_read(html_) if event[0] == "start"][:3] == [
        ("start", "div", (("class", "field"),)),
        ("start", "label", (("for", 'x" onfocus="alert(1)'),)),
        ("start", "select", (("id", 'x" onfocus="alert(1)'), ("name", 'x" onfocus="alert(1)'))),
    ]


# ---- tab_list: the category tabs, as the template's loop wrote them ---------------------------------------------

TABS = st.lists(
    st.builds(
        CategoryTab,
        href=st.text(max_size=30),
        label=st.text(max_size=20),
        count=st.text(max_size=12),
        current=st.booleans(),
    ),
    max_size=5,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tabs=TABS)
def test_the_tab_list_reads_as_the_templates_loop_wrote_it(app: Flask, tabs):
    old = app.jinja_env.from_string(OLD_TABS_LOOP).render(tabs=tabs)
    assert _as_read(str(tab_list(tabs))) == _as_read(old)


def test_no_tabs_is_an_empty_markup():
    nothing = tab_list([])
    assert isinstance(nothing, Markup) and nothing == ""


def test_the_tab_list_marks_the_current_tab_and_escapes_every_value():
    tabs = [
        CategoryTab("/listings?q=a&b", "All", "1,234", False),
        CategoryTab('/listings?category=x"><script>alert(1)</script>', "<b>Grooming</b>", "about 12", True),
        CategoryTab("/listings?category=stud", "Stud & 'co'", '<i>3"', False),
    ]
    list_html = tab_list(tabs)
    assert isinstance(list_html, Markup)
    assert str(list_html) == (
        '<ul class="tabs facets" aria-label="Categories">\n'
        '<li><a href="/listings?q=a&amp;b">All (1,234)</a></li>\n'
        '<li><a href="/listings?category=x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" aria-current="page">'
        "&lt;b&gt;Grooming&lt;/b&gt; (about 12)</a></li>\n"
        '<li><a href="/listings?category=stud">Stud &amp; &#x27;co&#x27; (&lt;i&gt;3&quot;)</a></li>\n'
        "</ul>\n"
    )
    # Markup in a template is not escaped again.
    assert Markup("{}").format(list_html) == list_html


def test_a_kept_value_is_built_once_per_key_and_per_app_and_a_full_store_starts_again(app: Flask):
    built: list[int] = []

    def build(n: int):
        return lambda: built.append(n) or f"value {n}"

    with app.app_context():
        assert kept_per_app("test_store", 1, build(1)) == "value 1"
        assert kept_per_app("test_store", 1, build(99)) == "value 1"  # kept: not built again
        assert built == [1]
        for n in range(2, KEPT_PER_STORE + 1):
            kept_per_app("test_store", n, build(n))
        assert len(app.extensions["test_store"]) == KEPT_PER_STORE
        kept_per_app("test_store", KEPT_PER_STORE + 1, build(KEPT_PER_STORE + 1))
        assert (
            len(app.extensions["test_store"]) == 1
        )  # full: it started again, so it never grows past the cap
        assert kept_per_app("test_store", 1, build(1)) == "value 1" and built[-1] == 1  # built again
    with Flask("another").app_context():
        assert kept_per_app("test_store", 1, build(2)) == "value 2"  # each app keeps its own

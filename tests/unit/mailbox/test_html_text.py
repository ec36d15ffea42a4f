"""HTML mail to text the quote trimmer can read."""

from __future__ import annotations

from mailbox.html_text import HORIZONTAL_RULE, QUOTE_BOUNDARY, html_to_text, sanitize

import pytest

from tests.linear import grows_linearly


def test_gmail_divs_and_brs_become_lines():
    html = "<div dir=ltr><div>APPROVE 6</div><div><br></div><div>Thanks</div></div>"
    assert html_to_text(html) == "APPROVE 6\n\nThanks"


def test_outlook_msonormal_paragraphs_are_single_lines():
    html = (
        '<p class="MsoNormal">DENY not eligible<o:p></o:p></p>'
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Jane</p>'
    )
    assert html_to_text(html) == "DENY not eligible\n\nJane"


def test_ordinary_paragraphs_are_separated_by_a_blank_line():
    assert html_to_text("<p>One</p><p>Two</p>") == "One\n\nTwo"


def test_script_style_and_title_are_dropped():
    html = "<head><title>T</title><style>p{}</style></head><body><script>x()</script>Hi</body>"
    assert html_to_text(html) == "Hi"


def test_blockquotes_become_quoted_lines_at_each_depth():
    html = "Yes<blockquote>Asked<blockquote>Earlier</blockquote></blockquote>"
    assert html_to_text(html) == "Yes\n> Asked\n> > Earlier"


def test_gmail_quote_and_outlook_reply_header_leave_a_boundary_line():
    gmail = 'OK<div class="gmail_quote gmail_quote_container">On Mon wrote:</div>'
    outlook = 'OK<div id="divRplyFwdMsg"><b>From:</b> x</div>'
    assert html_to_text(gmail).split("\n")[1] == QUOTE_BOUNDARY
    assert html_to_text(outlook).split("\n")[1] == QUOTE_BOUNDARY


def test_a_horizontal_rule_becomes_a_delimiter_line():
    assert html_to_text("a<hr>b") == f"a\n{HORIZONTAL_RULE}\nb"


def test_entities_lists_tables_and_preformatted_text_keep_their_shape():
    assert html_to_text("caf&eacute; &amp; &#8220;tea&#8221;") == "café & “tea”"
    assert html_to_text("<ul><li>one</li><li>two</li></ul>") == "- one\n- two"
    assert html_to_text("<table><tr><td>a</td><td>b</td></tr></table>") == "a b"
    assert html_to_text("<pre>  x = 1\n  y = 2</pre>") == "  x = 1\n  y = 2"


def test_comments_and_outlook_conditional_markup_are_removed():
    html = "<!--[if gte mso 9]><xml><o:x/></xml><![endif]-->A<![if !supportLists]>B<![endif]>"
    assert html_to_text(html) == "AB"


def test_a_stray_less_than_sign_is_text():
    assert html_to_text("3 < 4 and <5") == "3 < 4 and <5"


@pytest.mark.parametrize("unit", ["<a", "</", "<!--", "<![<![", "<a b='", "<?", "<b>x</b>"])
def test_hostile_markup_converts_in_linear_time(unit):
    # html.parser alone needs ~30 s for 200 KB of "<a" and raises on "<![<![".
    assert grows_linearly(lambda size: html_to_text(unit * (size // len(unit))), 50_000)


def test_the_sanitizer_keeps_only_simple_tags():
    assert (
        sanitize('<DIV class="x" onclick="evil()" id=y>t</DIV>') == '<div class="x" id="y">t</div>'
    )

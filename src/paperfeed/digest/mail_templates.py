"""The Jinja sources of the mails (kept in Python so they ship with the package, whatever installs it).
HTML is autoescaped: titles and abstracts come from remote sources and may contain markup."""

from __future__ import annotations

_STYLE_BODY = ("margin:0 auto;max-width:640px;padding:24px 16px;"
               "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1a1a1a;line-height:1.45")

_HTML_FOOTER = """
<hr style="border:none;border-top:1px solid #ddd;margin:24px 0 12px">
<p style="font-size:12px;color:#555">{{ footer }}</p>
{% if manage_url %}<p style="font-size:12px;color:#555">
<a href="{{ manage_url }}" style="color:#0b57d0">Change interests or frequency</a> &middot;
<a href="{{ unsubscribe_url }}" style="color:#0b57d0">Unsubscribe</a></p>{% endif %}
"""

DIGEST_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{ subject }}</title></head>
<body style="margin:0;padding:0;background:#ffffff"><div style="STYLE">
<p style="font-size:13px;color:#555;margin:0">paperfeed &middot; {{ period_label }}</p>
<h1 style="font-size:20px;margin:4px 0 16px">{{ headline }}</h1>
{% for section in sections %}
<h2 style="font-size:15px;text-transform:uppercase;letter-spacing:.04em;color:#444;border-bottom:1px solid #ddd;
padding-bottom:4px;margin:24px 0 12px">{{ section.title }}</h2>
{% for item in section.papers %}
<div style="margin:0 0 20px">
<a href="{{ item.url }}" style="font-size:16px;font-weight:600;color:#0b57d0;text-decoration:none">{{ item.title }}</a>
<div style="font-size:13px;color:#555">{{ item.byline }}</div>
<div style="font-size:13px;color:#7a4b00;margin:2px 0">{{ item.reason }}</div>
{% if item.closest %}<div style="font-size:13px;color:#555;margin:2px 0">Close to:
{% for title, href in item.closest %}{% if not loop.first %}; {% endif %}
<a href="{{ href }}" style="color:#0b57d0">{{ title }}</a>{% endfor %}</div>{% endif %}
{% if item.shared_words %}
<div style="font-size:13px;color:#555;margin:2px 0">Shared words: {{ item.shared_words }}</div>{% endif %}
{% if item.snippet %}<div style="font-size:14px;color:#333">{{ item.snippet }}</div>{% endif %}
<div style="font-size:13px;margin-top:2px">
{% for label, href in item.links %}{% if not loop.first %} &middot; {% endif %}
<a href="{{ href }}" style="color:#0b57d0">{{ label }}</a>{% endfor %}</div>
</div>
{% endfor %}{% endfor %}
FOOTER
</div></body></html>
""".replace("STYLE", _STYLE_BODY).replace("FOOTER", _HTML_FOOTER)

DIGEST_TEXT = """{{ headline }}
paperfeed, {{ period_label }}
{% for section in sections %}

{{ section.title | upper }}
{% for item in section.papers %}
{{ loop.index }}. {{ item.title }}
   {{ item.byline }}
   Why: {{ item.reason }}
{% if item.closest %}
   Close to:
{% for title, href in item.closest %}
     - {{ title }} <{{ href }}>
{% endfor %}{% endif %}
{% if item.shared_words %}
   Shared words: {{ item.shared_words }}
{% endif %}
   {{ item.url }}
{% endfor %}{% endfor %}
--
{{ footer }}
Change interests or frequency: {{ manage_url }}
Unsubscribe: {{ unsubscribe_url }}
"""

CONFIRM_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="margin:0;padding:0"><div style="STYLE">
<h1 style="font-size:20px">Confirm your paperfeed digest</h1>
<p>Someone, hopefully you, asked to get a {{ frequency }} digest of research papers at {{ email }}
({{ hour_text }}, {{ timezone }}).</p>
{% if interests %}<p>Interests:</p><ul>{% for line in interests %}<li>{{ line }}</li>{% endfor %}</ul>
{% else %}<p>No interests yet: the digest will hold the day's trending papers.</p>{% endif %}
<p><a href="{{ link }}" style="display:inline-block;padding:10px 16px;background:#0b57d0;color:#fff;
text-decoration:none;border-radius:4px">Confirm the subscription</a></p>
<p style="font-size:13px;color:#555">Or open this link: {{ link }}<br>
It is valid for {{ valid_hours }} hours. If you did not ask for this, ignore this mail: nothing will be sent.</p>
</div></body></html>
""".replace("STYLE", _STYLE_BODY)

CONFIRM_TEXT = """Confirm your paperfeed digest

Someone, hopefully you, asked to get a {{ frequency }} digest of research papers at {{ email }}
({{ hour_text }}, {{ timezone }}).
{% if interests %}
Interests:
{% for line in interests %}  - {{ line }}
{% endfor %}{% else %}
No interests yet: the digest will hold the day's trending papers.
{% endif %}
Confirm the subscription by opening this link (valid for {{ valid_hours }} hours):
{{ link }}

If you did not ask for this, ignore this mail: nothing will be sent.
"""

ALREADY_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="margin:0;padding:0"><div style="STYLE">
<p>Someone, hopefully you, asked to subscribe {{ email }} to the paperfeed digest. This address is subscribed
already, so nothing has changed.</p>
<p><a href="{{ link }}" style="color:#0b57d0">Change your interests or frequency</a>, or unsubscribe, there.</p>
</div></body></html>
""".replace("STYLE", _STYLE_BODY)

ALREADY_TEXT = """Someone, hopefully you, asked to subscribe {{ email }} to the paperfeed digest. This address is
subscribed already, so nothing has changed.

Change your interests or frequency, or unsubscribe: {{ link }}
"""

# A comment that names the reader (@username). The comment is quoted as its author wrote it (Markdown
# source, autoescaped in the HTML part), never as rendered HTML: nothing a commenter types becomes markup.
MENTION_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="margin:0;padding:0"><div style="STYLE">
<p>{{ author }} mentioned you in a comment on
<a href="{{ link }}" style="color:#0b57d0">{{ paper_title }}</a>:</p>
<blockquote style="margin:12px 0;padding:8px 12px;border-left:3px solid #ddd;color:#333;white-space:pre-wrap">
{{- quote -}}
</blockquote>
<p><a href="{{ link }}" style="color:#0b57d0">Read the discussion and reply</a></p>
<hr style="border:none;border-top:1px solid #ddd;margin:24px 0 12px">
<p style="font-size:12px;color:#555">You get this mail because a comment named you.
<a href="{{ settings_url }}" style="color:#0b57d0">Stop mention mails</a> in your account settings.</p>
</div></body></html>
""".replace("STYLE", _STYLE_BODY)

MENTION_TEXT = """{{ author }} mentioned you in a comment on "{{ paper_title }}":

{{ quote }}

Read the discussion and reply: {{ link }}

--
You get this mail because a comment named you. Stop mention mails: {{ settings_url }}
"""

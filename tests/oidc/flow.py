"""A browser for the login flow: the Flask test client on the portal's side, ``requests`` on the
provider's side, following the redirects between the two by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from flask.testing import FlaskClient

PORTAL = "http://portal.test"


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    """The forms (action and hidden inputs) and links of one of the provider's pages."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", "")))
        elif tag == "input" and self.forms and values.get("type") == "hidden":
            self.forms[-1].fields[values.get("name", "")] = values.get("value", "")
        elif tag == "a" and "href" in values:
            self.links.append(values["href"])


def parse_page(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser


def with_query(url: str, **changes: str | None) -> str:
    """``url`` with query parameters replaced (a value of None removes the parameter)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


@dataclass
class Browser:
    """One person's browser: the portal's cookies in ``client``, the provider's in ``http``."""

    client: FlaskClient
    http: requests.Session

    def start(self, provider: str, **query: str) -> str:
        """Click the provider's button; return the authorization URL the portal redirects to."""
        response = self.client.get(f"/log-ind/{provider}", query_string=query)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response.headers["Location"]

    def authorize(self, authorization_url: str, account: str, *, cancel: bool = False) -> str:
        """Log in at the provider's development pages and consent; return the URL at which the
        provider sends the browser back to the portal."""
        response = self.http.get(authorization_url, allow_redirects=False, timeout=10)
        for _step in range(12):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if location.startswith(PORTAL):
                    return location
                response = self.http.get(location, allow_redirects=False, timeout=10)
                continue
            assert response.status_code == 200, response.text[:500]
            page = parse_page(response.text)
            if cancel:
                abort = next(link for link in page.links if "/abort" in link)
                response = self.http.get(
                    urljoin(response.url, abort), allow_redirects=False, timeout=10
                )
                continue
            form = page.forms[0]
            data = dict(form.fields)
            if data.get("prompt") == "login":
                data.update(login=account, password="any password will do")
            response = self.http.post(
                urljoin(response.url, form.action), data=data, allow_redirects=False, timeout=10
            )
        raise AssertionError("the provider did not send the browser back to the portal")

    def callback(self, url: str) -> Any:
        """Follow the provider's redirect back to the portal."""
        assert url.startswith(PORTAL), url
        parts = urlsplit(url)
        return self.client.get(parts.path, query_string=parts.query)

    def log_in(self, provider: str, account: str, **query: str) -> Any:
        return self.callback(self.authorize(self.start(provider, **query), account))

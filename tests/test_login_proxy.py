"""The login in front of the UIs without one, on the real oauth2-proxy at the image's release, with the
arguments, files and secrets the program generates, against a real OpenID Connect provider: mockoidc
(github.com/oauth2-proxy/mockoidc, in tests/oidc), the provider oauth2-proxy's own tests use. It serves
discovery, JWKS and the code flow with PKCE and nonce, signs its ID tokens, and puts the groups claim in them
when asked for the `groups` scope, as Dex and Okta do; a test chooses who signs in next.

Only addresses change between the pod and the test: the listen address, the upstream (a loopback server
that answers with the request it received), the provider's URLs, and the files' directories. The proxies see
the public host in the Host header, as behind a controller.
"""

import base64
import http.client
import json
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from components.login import proxy as login
from scripts.ports import free_port
from tests.harness import Recording
from tests.servers import Server, built
from tests.test_exposure import INGRESS_MODE, exposed

IDP = "https://idp.example.com/realms/dictamesh"
OIDC = {
    "issuerUrl": IDP,
    "clientId": "dictamesh-ui",
    "clientSecret": "a-client-secret-from-the-provider",
    "authorizationUrl": f"{IDP}/protocol/openid-connect/auth",
    "tokenUrl": f"{IDP}/protocol/openid-connect/token",
    "jwksUrl": f"{IDP}/protocol/openid-connect/certs",
    "scope": "openid email profile groups",
}
ADMINS, VIEWERS = "platform-admins", "engineering"


class Upstream(ThreadingHTTPServer):
    """The UI behind a proxy: answers every request with its path and headers, as JSON."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Echo)


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Provider:
    process: subprocess.Popen[str]
    endpoints: dict[str, str]

    def next_user(self, email: str, groups: list[str]) -> None:
        body = json.dumps({"email": email, "groups": groups}).encode()
        request = urllib.request.Request(self.endpoints["control"], data=body, method="POST")  # noqa: S310 (loopback)
        urllib.request.urlopen(request, timeout=5).close()  # noqa: S310


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def location(self) -> str:
        return self.headers["Location"] or ""


@dataclass
class Browser:
    """Sends requests for public hosts to the proxy serving each, keeps the cookies they set, follows nothing."""

    proxies: dict[str, int]  # public host -> loopback port of its proxy
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        return self.send("GET", url, headers=headers)

    def send(self, method: str, url: str, body: str = "", headers: dict[str, str] | None = None) -> Response:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = self.proxies.get(host, parts.port or 80)  # the provider's own URLs are loopback ones
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        sent = {"Host": host, **(headers or {})}
        if self.cookies and host in self.proxies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in sorted(self.cookies.items()))
        if body:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body or None, sent)
        answer = connection.getresponse()
        response = Response(answer.status, answer.headers, answer.read().decode())
        connection.close()
        for line in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def sign_in(self, provider: Provider, url: str, email: str, groups: list[str]) -> Response:
        """Opens `url` signed out, signs in at the provider as `email`, and returns the callback's answer."""
        start = self.get(url)
        assert start.status == 302, start
        assert start.location.startswith(provider.endpoints["authorization"] + "?"), start.location
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(start.location).query)
        assert query["code_challenge_method"] == ["S256"] and query["nonce"], query
        provider.next_user(email, groups)
        authorized = self.get(start.location)
        assert authorized.status == 302, authorized
        return self.get(authorized.location)


def proxy_command(recording: Recording, ui: str, work: Path, port: int, rewrites: dict[str, str]) -> list[str]:
    """The proxy's container command as the program registered it, with loopback addresses and local files."""
    name = f"{ui}-login"
    pod = recording.one("kubernetes:apps/v1:Deployment", name).inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    local = work / name
    local.mkdir()
    mounted: dict[str, str] = {}
    secret = recording.one("kubernetes:core/v1:Secret", f"{name}-secrets").inputs["stringData"]
    files = recording.of_type("kubernetes:core/v1:ConfigMap")
    data: dict[str, str] = next((c.inputs["data"] for c in files if c.name == f"{name}-files"), {})
    for mount in container["volumeMounts"]:
        source = secret if mount["name"] == "secrets" else data
        path = local / mount["subPath"]
        path.write_text(source[mount["subPath"]])
        mounted[mount["mountPath"].rsplit("/", 1)[0]] = str(local)
    args = []
    for arg in container["args"]:
        key, _, value = arg.partition("=")
        if key == "--http-address":
            value = f"127.0.0.1:{port}"
        elif key == "--upstream":
            value = rewrites["upstream"] + urllib.parse.urlsplit(value).path
        else:
            value = rewrites.get(value, value)
            for directory, moved in mounted.items():
                value = value.replace(directory, moved)
        args.append(f"{key}={value}")
    return [built("oauth2-proxy"), *args]


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = Upstream()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    env = {"OIDC_CLIENT_ID": OIDC["clientId"], "OIDC_CLIENT_SECRET": OIDC["clientSecret"]}
    process = subprocess.Popen([built("oidc")], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    endpoints = json.loads(process.stdout.readline())
    yield Provider(process, endpoints)
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def start_proxies(
    recording: Recording, uis: list[str], work: Path, rewrites: dict[str, str]
) -> tuple[Browser, list[Server]]:
    ports = {ui: free_port() for ui in uis}
    servers = [
        Server(
            proxy_command(recording, ui, work, port, rewrites),
            f"http://127.0.0.1:{port}{login.PREFIX}/ready",
        )
        for ui, port in ports.items()
    ]
    return Browser({f"{ui}.dictamesh.example.com": port for ui, port in ports.items()}), servers


@pytest.fixture(scope="module")
def with_provider(
    provider: Provider, upstream: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Browser, Recording]]:
    settings = {**INGRESS_MODE, "login": {"oidc": OIDC, "adminGroups": [ADMINS], "viewerGroups": [VIEWERS]}}
    recording = exposed("prod", settings)
    rewrites = {
        "upstream": upstream,
        OIDC["issuerUrl"]: provider.endpoints["issuer"],
        OIDC["authorizationUrl"]: provider.endpoints["authorization"],
        OIDC["tokenUrl"]: provider.endpoints["token"],
        OIDC["jwksUrl"]: provider.endpoints["jwks"],
    }
    browser, servers = start_proxies(
        recording, ["prometheus", "console", "jaeger"], tmp_path_factory.mktemp("p"), rewrites
    )
    yield browser, recording
    for server in servers:
        server.stop()


PROMETHEUS = "https://prometheus.dictamesh.example.com/graph"
CONSOLE = "https://console.dictamesh.example.com/topics"
JAEGER = "https://jaeger.dictamesh.example.com/search"


def test_signed_out_users_go_to_the_provider_and_back_to_the_ui(
    with_provider: tuple[Browser, Recording], provider: Provider
) -> None:
    browser = Browser(with_provider[0].proxies)
    callback = browser.sign_in(provider, PROMETHEUS, "ada@example.com", [VIEWERS])
    assert callback.status == 302 and callback.location == "/graph", callback
    page = browser.get(PROMETHEUS)
    assert page.status == 200, page
    seen = json.loads(page.body)
    assert seen["path"] == "/graph"
    assert seen["headers"]["X-Forwarded-Email"] == "ada@example.com"


def test_one_sign_in_serves_every_ui_and_each_checks_its_own_groups(
    with_provider: tuple[Browser, Recording], provider: Provider
) -> None:
    viewer = Browser(with_provider[0].proxies)
    viewer.sign_in(provider, PROMETHEUS, "ada@example.com", [VIEWERS])
    assert viewer.get(JAEGER).status == 200  # the same cookie, no second sign-in
    assert viewer.get(CONSOLE).status == 403  # the Console is the admins' alone
    admin = Browser(with_provider[0].proxies)
    assert admin.sign_in(provider, CONSOLE, "grace@example.com", [ADMINS, VIEWERS]).status == 302
    assert admin.get(CONSOLE).status == 200
    assert admin.get(PROMETHEUS).status == 200  # admins open the read-only UIs too


def test_a_user_outside_the_groups_is_refused_at_the_callback(
    with_provider: tuple[Browser, Recording], provider: Provider
) -> None:
    stranger = Browser(with_provider[0].proxies)
    refused = stranger.sign_in(provider, CONSOLE, "eve@example.com", ["marketing"])
    assert refused.status == 403, refused
    assert stranger.get(CONSOLE).status == 302  # no session: back to the provider


def test_the_clients_authorization_header_never_reaches_the_ui(
    with_provider: tuple[Browser, Recording], provider: Provider
) -> None:
    browser = Browser(with_provider[0].proxies)
    browser.sign_in(provider, PROMETHEUS, "ada@example.com", [VIEWERS])
    forged = browser.get(PROMETHEUS, {"Authorization": "Bearer forged-by-the-client"})
    authorization = json.loads(forged.body)["headers"].get("Authorization", "")
    assert authorization.startswith("Bearer ey") and "forged" not in authorization  # the user's own ID token
    # the generated user, over basic auth (API clients, emergencies): its password stays at the proxy
    recording = with_provider[1]
    user, password = recording.outputs["uiBasicAuthUser"], recording.outputs["uiBasicAuthPassword"]
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    api = Browser(browser.proxies).get(CONSOLE, {"Authorization": f"Basic {basic}"})
    assert api.status == 200, api
    assert "Authorization" not in json.loads(api.body)["headers"]
    wrong = base64.b64encode(f"{user}:not-the-password".encode()).decode()
    assert Browser(browser.proxies).get(CONSOLE, {"Authorization": f"Basic {wrong}"}).status != 200


def test_the_proxies_start_and_stay_ready_while_the_provider_is_down(upstream: str, tmp_path: Path) -> None:
    settings = {**INGRESS_MODE, "login": {"oidc": OIDC}}
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: the provider is down
    rewrites = {"upstream": upstream, **{OIDC[key]: f"{closed}/{key}" for key in OIDC if key.endswith("Url")}}
    browser, servers = start_proxies(exposed("prod", settings), ["prometheus"], tmp_path, rewrites)
    try:
        assert browser.get(PROMETHEUS).status == 302  # to the provider, whenever it is back
        assert servers[0].process.poll() is None
    finally:
        servers[0].stop()


def test_without_a_provider_the_generated_user_signs_in_on_a_form(upstream: str, tmp_path: Path) -> None:
    recording = exposed("prod", INGRESS_MODE)
    browser, servers = start_proxies(recording, ["alertmanager"], tmp_path, {"upstream": upstream})
    url = "https://alertmanager.dictamesh.example.com/"
    try:
        page = browser.get(url)
        assert page.status == 403 and 'action="/oauth2/sign_in"' in page.body and "Google" not in page.body, page
        user, password = recording.outputs["uiBasicAuthUser"], recording.outputs["uiBasicAuthPassword"]
        form = urllib.parse.urlencode({"username": user, "password": "wrong", "rd": "/"})
        assert "Wrong user or password" in browser.send("POST", f"{url}oauth2/sign_in", form).body
        form = urllib.parse.urlencode({"username": user, "password": password, "rd": "/"})
        signed_in = browser.send("POST", f"{url}oauth2/sign_in", form)
        assert signed_in.status == 302, signed_in
        assert browser.get(url).status == 200
    finally:
        servers[0].stop()

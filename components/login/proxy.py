"""oauth2-proxy in front of one UI: who runs, with which flags (flags as at v7.15.6, pkg/apis/options).

The controller sends the UI's requests to the proxy; the proxy sends signed-in users' requests on to the
UI, and everyone else to the sign-in. One cookie, under the exposure's domain and with one secret, signs a
user in to every UI there; each proxy checks its own groups on every request.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

import pulumi

from components.login import images
from components.login.settings import Login
from components.model import SECRETS_DIR, Port, Probe, WebUi, Workload

PORT = 4180
PREFIX = "/oauth2"  # oauth2-proxy's own paths; its ping and ready checks move under it, off the UI's paths
COOKIE_SECRET = f"{SECRETS_DIR}/cookie-secret"
CLIENT_SECRET = f"{SECRETS_DIR}/client-secret"
HTPASSWD = f"{SECRETS_DIR}/htpasswd"
TEMPLATES = "/etc/dictamesh/login"

# Without a provider, the generated user signs in on this form; the upstream page would also offer a provider
# button, which leads nowhere then. Fields as pkg/app/pagewriter/sign_in_page.go hands them to the template.
SIGN_IN_PAGE = """{{define "sign_in.html"}}<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: DictaMesh</title></head>
<body style="font-family: sans-serif; max-width: 22em; margin: 4em auto">
<h1>DictaMesh</h1>
<form method="POST" action="{{.ProxyPrefix}}/sign_in">
<input type="hidden" name="rd" value="{{.Redirect}}">
<p><label>User <input type="text" name="username" autocomplete="username" required></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p>
{{if eq .StatusCode 400 401}}<p role="alert">Wrong user or password.</p>{{end}}
</form>
<p><small>The stack's outputs uiBasicAuthUser and uiBasicAuthPassword hold the login.</small></p>
</body>
</html>
{{end}}
"""


def name(ui: WebUi) -> str:
    return f"{ui.name}-login"


def proxy(
    ui: WebUi,
    *,
    host: str,
    cookie_domain: str,
    cookie_name: str,
    login: Login,
    trusted_proxies: list[str],
    address: Callable[[str], str],
    cookie_secret: pulumi.Output[str],
    htpasswd: pulumi.Output[str],
) -> Workload:
    """The proxy of one UI served at `host`, reaching its routes' workloads at `address(workload)`."""
    args = [
        f"--http-address=0.0.0.0:{PORT}",
        *(f"--upstream=http://{address(route.workload)}:{route.port}{route.path}" for route in ui.routes),
        f"--redirect-url=https://{host}{PREFIX}/callback",
        f"--cookie-name={cookie_name}",
        f"--cookie-secret-file={COOKIE_SECRET}",
        f"--cookie-domain={cookie_domain}",
        f"--cookie-expire={login.session}",
        "--cookie-samesite=lax",
        f"--htpasswd-file={HTPASSWD}",
        f"--ping-path={PREFIX}/ping",
        f"--ready-path={PREFIX}/ready",
        "--silence-ping-logging=true",
        # the upstream gets the signed-in user's ID token, never what the client sent (a basic-auth password)
        "--pass-authorization-header=true",
    ]
    if trusted_proxies:  # X-Forwarded-* from these alone; without them, none is read
        args += ["--reverse-proxy=true", *(f"--trusted-proxy-ip={cidr}" for cidr in trusted_proxies)]
    secrets = {COOKIE_SECRET: cookie_secret, HTPASSWD: htpasswd}
    files: dict[str, str] = {}
    egress: list[int] = []
    if oidc := login.oidc:
        groups = login.allowed_groups(ui.name, ui.admin)
        args += [
            "--provider=oidc",
            f"--oidc-issuer-url={oidc.issuer_url}",
            f"--client-id={oidc.client_id}",
            f"--client-secret-file={CLIENT_SECRET}",
            "--skip-oidc-discovery=true",
            f"--login-url={oidc.authorization_url}",
            f"--redeem-url={oidc.token_url}",
            f"--oidc-jwks-url={oidc.jwks_url}",
            f"--scope={oidc.scope}",
            f"--oidc-groups-claim={oidc.groups_claim}",
            "--code-challenge-method=S256",
            "--insecure-oidc-skip-nonce=false",
            "--skip-provider-button=true",  # straight to the provider
            *(f"--email-domain={domain}" for domain in oidc.email_domains),
            *(f"--allowed-group={group}" for group in groups),
            # the generated user passes wherever a group is asked for
            *(f"--htpasswd-user-group={group}" for group in groups),
        ]
        secrets[CLIENT_SECRET] = pulumi.Output.secret(oidc.client_secret)
        urls = (oidc.authorization_url, oidc.token_url, oidc.jwks_url)
        egress = sorted({urlsplit(url).port or 443 for url in urls})
    else:
        # a provider is always required: the default one's placeholders make no call until someone uses it,
        # and the page offers no way to
        args += [
            "--client-id=none",
            "--client-secret=none",
            "--email-domain=*",
            f"--custom-templates-dir={TEMPLATES}",
        ]
        files[f"{TEMPLATES}/sign_in.html"] = SIGN_IN_PAGE
    return Workload(
        name=name(ui),
        component="login",
        image=login.image,
        run_as=images.OAUTH2_PROXY.user,
        resources=login.resources,
        args=args,
        files=files,
        secrets=secrets,
        ports=[Port("http", PORT)],
        scratch=(),
        probe=Probe(command=(), http_path=f"{PREFIX}/ready", http_port=PORT),
        egress_ports=egress,
    )

"""Settings of the login in front of the UIs without one (`dictamesh:kubernetes.exposure.login`).

Every change rolls the login proxies (stateless Deployments); sessions survive it, since the cookie secret
is generated once per stack.
"""

from typing import Annotated

from pydantic import Field

from components.fields import Image, Resources, SecretText, Section, matching
from components.login import images

HttpsUrl = Annotated[str, matching(r"https://[^\s/$.?#][^\s]*", "an https:// URL")]
Duration = Annotated[
    str, matching(r"(?=[0-9])([0-9]+h)?([0-9]+m)?", "a duration in hours and minutes, e.g. 12h or 90m")
]
Group = Annotated[str, Field(min_length=1)]


class Oidc(Section):
    """An OpenID Connect provider that signs users in (Keycloak, Dex, Okta, Entra ID, Google...).

    The proxies skip discovery and take the provider's endpoints from here: oauth2-proxy discovers at start
    and exits when the provider cannot be reached, so an outage of the provider would crash-loop every
    proxy. Copy the endpoints from `<issuerUrl>/.well-known/openid-configuration`.
    """

    issuer_url: HttpsUrl = Field(description="the provider's issuer, as its ID tokens name it (`iss`)")
    client_id: str = Field(min_length=1)
    client_secret: SecretText = Field(description="the client's secret at the provider")
    authorization_url: HttpsUrl = Field(description="`authorization_endpoint` of the discovery document")
    token_url: HttpsUrl = Field(description="`token_endpoint` of the discovery document")
    jwks_url: HttpsUrl = Field(description="`jwks_uri` of the discovery document")
    scope: str = Field(
        default="openid email profile",
        description="what the proxies ask for; add `groups` where the provider wants it for the groups claim (Dex, "
        "Okta)",
    )
    groups_claim: str = Field(default="groups", description="the ID-token claim that lists the user's groups")
    email_domains: list[str] = Field(
        default=["*"], min_length=1, description="whose e-mail may sign in: domains, or * for every user it signs in"
    )


class Login(Section):
    """Who may open the UIs without a login of their own (Prometheus, Alertmanager, Jaeger, the Console).

    With `oidc`, users sign in with the provider, and a generated user (`uiBasicAuthUser` and
    `uiBasicAuthPassword` outputs) stays for API clients and emergencies, through HTTP basic auth. Without
    it, that user alone signs in, on a form.
    """

    oidc: Oidc | None = Field(
        default=None, description="the provider users sign in with; unset: the generated user alone"
    )
    admin_groups: list[Group] = Field(
        default=["dictamesh-admins"],
        min_length=1,
        description="who may open the UIs that change the platform: the Console (topics, ACLs) and Alertmanager "
        "(silences)",
    )
    viewer_groups: list[Group] = Field(
        default_factory=list,
        description="who may open the read-only UIs (Prometheus, Jaeger) besides the admin groups; empty: every "
        "user the provider signs in",
    )
    groups: dict[str, list[Group]] = Field(
        default_factory=dict,
        description="groups for one UI instead of the above, e.g. {console: [data-platform]}; [] lets every "
        "signed-in user in",
    )
    image: Image = images.OAUTH2_PROXY.image
    resources: Resources = Field(
        default=Resources(cpu="100m", memory="64Mi", ephemeral_storage="64Mi"),
        description="of each UI's proxy (about 21 MiB idle)",
    )
    session: Duration = Field(
        default="12h", description="how long a sign-in lasts; a user removed from a group keeps access until then"
    )

    def allowed_groups(self, ui: str, admin: bool) -> list[str]:
        """The groups a UI admits: empty lets every signed-in user in."""
        if ui in self.groups:
            return sorted(set(self.groups[ui]))
        if admin:
            return sorted(set(self.admin_groups))
        return sorted({*self.viewer_groups, *self.admin_groups}) if self.viewer_groups else []

"""Cache: Redis 7, the L2 cache of DictaMesh, with ACL users and an exporter."""

import pulumi

from components.cache import alerts, files, images
from components.cache.settings import CacheSettings
from components.exporter import metrics_exporter
from components.model import SECRETS_DIR, Port, Probe, Runtime, Telemetry, Volume, Workload
from components.secrets import generated_password

REDIS_USER = images.REDIS.runs_as
EXPORTER_USER = images.EXPORTER.runs_as
CONFIG_FILE = "/etc/redis/redis.conf"


class Cache(pulumi.ComponentResource):
    host: str
    port: int
    host_address: str | None
    url: pulumi.Output[str]
    telemetry: Telemetry

    def __init__(
        self, name: str, args: CacheSettings, runtime: Runtime, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dictamesh:cache:Cache", name, None, opts)
        app_password = generated_password(f"{name}-app-password", self)
        monitor_password = generated_password(f"{name}-monitor-password", self)
        acl = pulumi.Output.all(app_password, monitor_password).apply(lambda pw: files.users_acl(pw[0], pw[1]))
        acl_file = f"{SECRETS_DIR}/users.acl"
        monitor_file = f"{SECRETS_DIR}/monitor-password"
        port = Port("redis", 6379, host_port=args.host_port)
        ping = (
            f'REDISCLI_AUTH="$(cat {monitor_file})" redis-cli --no-auth-warning --user {files.MONITOR_USER} ping'
            " | grep -q PONG"
        )
        server = Workload(
            name="redis",
            component="cache",
            image=args.image,
            run_as=REDIS_USER,
            resources=args.resources,
            args=["redis-server", CONFIG_FILE],
            files={CONFIG_FILE: files.redis_conf(args, acl_file)},
            secrets={acl_file: acl, monitor_file: monitor_password},
            ports=[port],
            volumes={"data": Volume("/data", args.storage)},
            # loading a large RDB or AOF happens before Redis answers: room for that on every restart
            probe=Probe(command=["sh", "-c", ping], startup_seconds=600),
            clients=["redis-exporter", *args.clients],
        )
        ready = runtime.deploy(server, self)
        self.host = runtime.address(server.name)
        self.port = port.port
        self.host_address = runtime.published(port)

        exporter_target = f"redis://{self.host}:{port.port}"
        password_file = f"{SECRETS_DIR}/redis-passwords.json"
        runtime.deploy(
            metrics_exporter(
                "redis-exporter",
                image=args.exporter_image,
                resources=args.exporter_resources,
                run_as=EXPORTER_USER,
                port=alerts.EXPORTER_PORT,
                health_path="/health",
                env=files.exporter_env(exporter_target, password_file),
                secrets={
                    password_file: monitor_password.apply(lambda pw: files.exporter_passwords(exporter_target, pw))
                },
            ),
            self,
            depends_on=ready,
        )
        self.telemetry = alerts.TELEMETRY
        self.url = pulumi.Output.secret(
            pulumi.Output.format("redis://{0}:{1}@{2}:{3}/0", files.APP_USER, app_password, self.host, port.port)
        )
        self.register_outputs({"host": self.host, "port": self.port, "url": self.url})

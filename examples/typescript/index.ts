// The DictaMesh event bus in a namespace this program does not own: three Redpanda brokers in production mode with
// SASL, the Console (exposed behind a sign-in, with `domain` set) and one topic. The SDK comes from `pulumi package add <the provider's folder>`, which writes sdks/dictamesh.
import * as pulumi from "@pulumi/pulumi";
import * as dictamesh from "@pulumi/dictamesh";

const config = new pulumi.Config();
const storageClass = config.get("storageClass") || undefined; // unset: the cluster's default class
// set: the Console at https://console.<domain>, through an Ingress and behind a sign-in (its generated user)
const domain = config.get("domain") || undefined;
const exposure = domain ? {
    mode: "ingress",
    domain,
    ingressClass: config.require("ingressClass"),
    controllerNamespace: config.require("controllerNamespace"), // where the ingress controller's pods run
    tls: { clusterIssuer: config.require("clusterIssuer") },
    uis: ["console"],
} : undefined;

const bus = new dictamesh.EventBus("event-bus", {
    target: { kubernetes: { namespace: config.require("namespace"), storageClass, tls: { enabled: false }, exposure } },
    brokers: 3,
    devContainer: false, // production mode: fsync on, a reactor per core
    sasl: true,
    storage: "20Gi",
    topics: [{ name: "orders.v1", partitions: 6, replicas: 3 }],
    clients: ["orders-api"],
});

export const bootstrapServers = bus.bootstrapServers;
export const schemaRegistryUrl = bus.schemaRegistryUrl;
export const saslUsername = bus.saslUsername;
export const saslPassword = bus.saslPassword;
export const consoleUrl = bus.publicUrls.apply((urls) => urls?.console);
export const consoleUser = bus.uiBasicAuthUser;
export const consolePassword = bus.uiBasicAuthPassword;

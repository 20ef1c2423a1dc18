/** The tenant config as the OpenAPI document shows it (a separate file: the schemas change with video providers). */
export const EXAMPLE_TENANT_CONFIG = {
  tenantId: "demo-clinic",
  version: 3,
  licensed: true,
  maxParticipants: 6,
  waitingRoomEnabled: true,
  consentRequired: true,
  joinTokenTtlSeconds: 3600,
  fallbackBandwidthKbps: 150,
  aiSummaryEnabled: false,
  videoBackends: [
    {
      name: "primary",
      provider: "jitsi",
      domain: "meet.example.org",
      appId: "virtual-care",
      secret: "[REDACTED]",
      healthUrl: "https://meet.example.org/about/health",
      maxConcurrentRooms: 50,
    },
    {
      name: "jaas",
      provider: "jaas",
      domain: "8x8.vc",
      appId: "vpaas-magic-cookie-1fc542a3e4414a44b2611668195e2bfe",
      keyId: "vpaas-magic-cookie-1fc542a3e4414a44b2611668195e2bfe/4f4910",
      privateKey: "[REDACTED]",
      healthUrl: null,
      maxConcurrentRooms: null,
    },
  ],
  branding: { displayName: "Riverside Family Clinic", logoUrl: null, accentColor: "#0b6e4f", contactPhone: "+1 555 0100", contactUrl: null },
  webhooks: [
    {
      name: "ehr-sync",
      url: "https://hooks.example.org/virtual-care",
      eventTypes: ["virtualcare.session.created.v1", "virtualcare.session.ended.v1"],
      secret: "[REDACTED]",
    },
  ],
};

/** A PUT body: the read config with one change; `secret`/`privateKey` "[REDACTED]" keep what is stored. */
export const EXAMPLE_TENANT_CONFIG_BODY = { ...EXAMPLE_TENANT_CONFIG, maxParticipants: 8 };

/**
 * Example values of the wire shapes, for the OpenAPI document (schemas' `examples`). Fictional;
 * Spectral checks each against its schema (test/interfaces/openapi-lint.test.ts).
 */
export const EXAMPLE_IDS = {
  session: "2f1c7a0e-5b8d-4c3e-9a61-0d2b7e4f9c15",
  patientParticipant: "8d3e41b2-7c6a-4f0e-b1d9-5a2c7e9f0b34",
  clinicianParticipant: "c5a9e7d1-2b4f-4c8a-9e3d-6f1b0a7c2d58",
  asyncVisit: "6b2d9f4e-1a7c-4e3b-8d5f-0c9a2e7b1f63",
  attachment: "a1e4c7b9-3d2f-4a6e-8b0c-5f9d1e3a7c26",
  reply: "4f7a2c9e-6b1d-4e8f-a3c5-9d0b2e6f1a78",
  summary: "9e3b6d1f-4a8c-4f2e-b7d0-1c5a9e2f6b43",
  linkRequest: "7c0e5a3b-9d2f-4b6e-a1c8-3f7d0b9e5a12",
} as const;

export const EXAMPLE_PATIENT = {
  id: EXAMPLE_IDS.patientParticipant,
  role: "patient",
  displayName: "Alex Morgan",
  externalId: "pat-1042",
  status: "waiting",
  waitingSince: "2030-01-07T08:58:41.000Z",
  admittedAt: null,
  removedAt: null,
  precallKbps: 2450.5,
  precallBelowThreshold: false,
  precallCheckedAt: "2030-01-07T08:58:12.000Z",
  precallVideoAnyway: null,
};

export const EXAMPLE_CLINICIAN = {
  id: EXAMPLE_IDS.clinicianParticipant,
  role: "clinician",
  displayName: "Dr. Lee",
  externalId: "dr-lee",
  status: "invited",
  waitingSince: null,
  admittedAt: null,
  removedAt: null,
  precallKbps: null,
  precallBelowThreshold: null,
  precallCheckedAt: null,
  precallVideoAnyway: null,
};

export const EXAMPLE_SESSION = {
  id: EXAMPLE_IDS.session,
  tenantId: "demo-clinic",
  status: "scheduled",
  patientId: "pat-1042",
  providerId: "dr-lee",
  appointmentId: "appt-20300107-0900",
  scheduledStart: "2030-01-07T09:00:00.000Z",
  scheduledEnd: "2030-01-07T09:30:00.000Z",
  video: { backend: "primary", provider: "jitsi", domain: "meet.example.org", roomName: "vc-5f0c2a9e7b1d4c3a8e6f0b2d9c7a1e4f3b5d8c0a" },
  encounterId: null,
  cancelReason: null,
  fallback: null,
  startedAt: null,
  endedAt: null,
  createdAt: "2030-01-06T15:12:03.120Z",
  updatedAt: "2030-01-07T08:58:41.000Z",
  version: 2,
  participants: [EXAMPLE_PATIENT, EXAMPLE_CLINICIAN],
};

/** A join token as issued: opaque to clients (`kid.payload.mac`); this one verifies nowhere. */
export const EXAMPLE_JOIN_TOKEN = "k1.WzEsImRlbW8tY2xpbmljIiwiMmYxYzdhMGUiXQ.0bJx3c9YvQm2Lr7TzKp4WfN8sHd1UaGe6ViCo5XyBnA";

export const EXAMPLE_VIDEO_URL = "https://meet.example.org/vc-5f0c2a9e7b1d4c3a8e6f0b2d9c7a1e4f3b5d8c0a?jwt=eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl";

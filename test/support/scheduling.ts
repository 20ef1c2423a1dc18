import { randomUUID } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { publishRaw } from "./nats.js";

export const BOOKED = "scheduling.appointment.booked.v1";
export const CANCELLED = "scheduling.appointment.cancelled.v1";

export interface AppointmentEventInput {
  type?: string;
  tenantId: string;
  appointmentId?: string;
  visitMode?: string;
  id?: string;
  data?: Record<string, unknown>;
}

/** A scheduling CloudEvent (structured JSON) as contract §8 describes it. */
export function appointmentEvent(input: AppointmentEventInput): { id: string; type: string; appointmentId: string; body: string } {
  const id = input.id ?? randomUUID();
  const type = input.type ?? BOOKED;
  const appointmentId = input.appointmentId ?? `appt-${randomUUID().slice(0, 8)}`;
  const body = JSON.stringify({
    specversion: "1.0",
    id,
    source: "/scheduling",
    type,
    subject: appointmentId,
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    tenantid: input.tenantId,
    data: input.data ?? {
      appointmentId,
      tenantId: input.tenantId,
      patientId: "patient-7",
      providerId: "dr-7",
      start: "2026-12-02T10:00:00.000Z",
      end: "2026-12-02T10:20:00.000Z",
      visitMode: input.visitMode ?? "virtual",
    },
  });
  return { id, type, appointmentId, body };
}

/** Publishes without Nats-Msg-Id, so JetStream stores every copy and only the inbox can deduplicate. */
export async function deliver(url: string, event: { type: string; body: string }, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) await publishRaw(url, event.type, event.body);
}

/** True when the durable consumer has nothing left to deliver and nothing awaiting an ack. */
export async function consumerIdle(url: string, durable: string): Promise<boolean> {
  const nc = await connect({ servers: url });
  try {
    const info = await (await jetstreamManager(nc)).consumers.info("SCHEDULING", durable);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  } finally {
    await nc.close();
  }
}

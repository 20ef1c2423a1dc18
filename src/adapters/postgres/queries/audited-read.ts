import { sql } from "drizzle-orm";
import { auditEvent } from "../../../platform/audit.js";
import type { AuditEntry } from "../../../platform/ports.js";
import type { Db } from "../connection/database.js";
import { selectKeys, wrappedSelect } from "../connection/drizzle-internals.js";
import { outboxRow } from "../repositories/outbox-writer.js";

/** The audit row's columns, as the group-committed audit writes them (group-commit-audit.ts). */
const COLUMNS = ["id", "tenant_id", "aggregate_type", "aggregate_id", "type", "data", "occurred_at", "traceparent"];
const CASTS = ["::uuid", "", "", "", "", "::jsonb", "::timestamptz", ""];
const NAMES = ["auditId", "auditTenant", "auditAggregateType", "auditAggregateId", "auditType", "auditData", "auditTime", "auditTrace"] as const;

/** A row of `withAuditRow`'s statement: the select's row, and whether the audit row was written. */
export type AuditedRow<R> = R & { audited: boolean };

/**
 * A prepared select that also writes its audit row, in one statement: the select becomes a CTE,
 * and a data-modifying CTE inserts the row once when the select found a row (and, with `when`,
 * one that meets that SQL condition; `column(key)` names the select's column of that field).
 * Answers the select's rows, mapped as the select maps them, each with `audited`. The values come
 * from `auditRowValues`. The select must have a flat row mapper (withFlatRowMapper).
 */
export function withAuditRow<P>(db: Db, select: P, name: string, when?: (column: (key: string) => string) => string): P {
  const keys = selectKeys(select);
  // Named by position: the select may have two columns of the same name (a join's "status"s).
  const column = (key: string) => {
    const i = keys.indexOf(key);
    if (i < 0) throw new Error(`${name}: the select has no field "${key}"`);
    return `"read"."c${i}"`;
  };
  const condition = when ? ` where ${when(column)}` : "";
  return wrappedSelect(
    db,
    select,
    name,
    (text, n) =>
      `with "read"(${keys.map((_, i) => `"c${i}"`).join(", ")}) as (${text}), ` +
      `"audit" as (insert into "virtual_care_outbox" (${COLUMNS.map((c) => `"${c}"`).join(", ")}) ` +
      `select ${COLUMNS.map((_, i) => `$${n + i}${CASTS[i]}`).join(", ")} from (select 1 from "read"${condition} limit 1) as "found" returning 1) ` +
      `select "read".*, exists (select 1 from "audit") as "audited" from "read"`,
    NAMES.map((p) => sql.placeholder(p)),
    ["audited"],
  );
}

/** The placeholder values of `withAuditRow`'s statement: the entry as the outbox row any audit writes. */
export function auditRowValues(entry: AuditEntry, now: Date): Record<(typeof NAMES)[number], unknown> {
  const row = outboxRow(auditEvent(entry, now), now);
  return {
    auditId: row.id,
    auditTenant: row.tenantId,
    auditAggregateType: row.aggregateType,
    auditAggregateId: row.aggregateId,
    auditType: row.type,
    auditData: JSON.stringify(row.data),
    auditTime: row.occurredAt.toISOString(),
    auditTrace: row.traceparent ?? null,
  };
}

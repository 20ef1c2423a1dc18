import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { DomainError } from "../../domain/errors.js";
import type { HttpFeature } from "../../http/app.js";
import { json, problems } from "../../http/openapi/responses.js";
import { FhirId } from "../../platform/schemas.js";
import { NAME_LOOKUP_MAX, type GetPatientNames } from "./get-patient-names.js";
import type { SearchPatients } from "./search-patients.js";

const PatientSummary = Type.Object(
  {
    id: FhirId,
    name: Type.String({ maxLength: 500 }),
    birthDate: Type.Union([Type.Null(), Type.String({ maxLength: 10 })]),
  },
  {
    $id: "PatientSummary",
    description: "A patient as read from the FHIR server (never stored by this service)",
    examples: [{ id: "pat-1042", name: "Alex Morgan", birthDate: "1987-04-12" }],
  },
);

const PatientQuery = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 2, maxLength: 100, description: "search: every word must match a part of `Patient.name`", examples: ["morgan"] })),
    id: Type.Optional(
      Type.Array(FhirId, { minItems: 1, maxItems: NAME_LOOKUP_MAX, description: "look-up: the names behind these ids (repeat `id`)", examples: [["pat-1042", "pat-2210"]] }),
    ),
  },
  { additionalProperties: false },
);

/** Patient records from the FHIR server, for the console: names behind ids, and the create form's search. */
export function patientRoutes(s: { getPatientNames: GetPatientNames; searchPatients: SearchPatients }): HttpFeature {
  return {
    schemas: [PatientSummary],
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      app.get(
        "/patients",
        {
          onRequest: app.authenticateStaff,
          schema: {
            tags: ["patients"],
            security: [{ bearerAuth: [] }],
            operationId: "findPatients",
            summary: "Patients by name (search) or by id (names for a list)",
            description:
              "Exactly one of `name` (search, at most 10 matches, roles that may create a visit) or `id` (repeatable, at most " +
              "100: the names behind a list's patient ids; ids the FHIR server does not know are left out). Read from the FHIR " +
              "server (`Patient`), cached for up to a minute, never stored. 503 `PATIENT_DIRECTORY_UNAVAILABLE` when the FHIR " +
              "server cannot answer: show the ids.",
            querystring: PatientQuery,
            response: {
              200: json(Type.Object({ items: Type.Array(Type.Ref(PatientSummary), { maxItems: NAME_LOOKUP_MAX }) }), "The patients found", {
                example: { items: [{ id: "pat-1042", name: "Alex Morgan", birthDate: "1987-04-12" }] },
              }),
              ...problems("VALIDATION_FAILED", "FORBIDDEN", "PATIENT_DIRECTORY_UNAVAILABLE"),
            },
          },
        },
        async (req) => {
          const { name, id } = req.query;
          if ((name === undefined) === (id === undefined)) {
            throw new DomainError("VALIDATION_FAILED", "give either `name` or `id`", { errors: [{ path: "/name", message: "exactly one of name or id" }] });
          }
          return name !== undefined ? s.searchPatients.execute(req.actor, name) : s.getPatientNames.execute(req.actor, id!);
        },
      );
    },
  };
}

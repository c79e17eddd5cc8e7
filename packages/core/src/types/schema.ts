import type { StandardSchemaV1 } from "@standard-schema/spec";

export type { StandardSchemaV1 };

/** Any Standard Schema v1 (zod, valibot, arktype, …), its types erased. */
export type AnySchema = StandardSchemaV1<unknown, unknown>;

/** The type a schema accepts. */
export type inferSchemaInput<TSchema extends AnySchema> = StandardSchemaV1.InferInput<TSchema>;

/** The type a schema produces: what the state is narrowed to after it. */
export type inferSchemaOutput<TSchema extends AnySchema> = StandardSchemaV1.InferOutput<TSchema>;
